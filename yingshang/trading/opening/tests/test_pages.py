"""The hall's pages without JavaScript: every control is a form that posts to a view calling one
service and comes back; refusals are shown beside the control in the viewer's language; what
each viewer sees is what ``selectors.view`` gives (nothing of a bid before the window closes).

Real database, real certificates, packages and envelopes (the opening builders); the domain
clock is a FixedClock.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yingshang.kernel.money import format_fen
from yingshang.pki import Vendor
from yingshang.trading.bids.tests.builders import PKI_NOW, trust
from yingshang.trading.opening import services, states
from yingshang.trading.opening.models import OpeningSession
from yingshang.trading.opening.tests.builders import Entrant, Hall
from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender

pytestmark = [pytest.mark.django_db(transaction=False)]


@pytest.fixture
def hall(settings, tmp_path):
    settings.YINGSHANG = {**settings.YINGSHANG, "BID_CHUNK_BYTES": 64 * 1024}
    settings.KEYS_DIR = tmp_path / "keys"
    vendor = Vendor.create("金城CA", now=PKI_NOW, region="金城市")
    with at(START) as fixed:
        trust(vendor)
        cast = Cast.make()
        tender = published_tender(cast)
        yield Hall(cast, tender, tender.lots.get().pk, vendor, fixed, tmp_path)


def _opened(hall: Hall) -> OpeningSession:
    for _ in range(3):
        hall.add_bidder()
    hall.to_deadline()
    services.open_due_sessions(hall.fixed.now())
    return OpeningSession.objects.get(tender_id=hall.tender.pk, lot_id=hall.lot_id)


def key_file(entrant: Entrant) -> SimpleUploadedFile:
    """The bidder tool's ``bid.env.key`` (docs/bidder-tool.md)."""
    body = {
        "format": "yingshang-content-key/1",
        "content_key": entrant.key_b64(),
        "envelope_sha256": "0" * 64,
        "ciphertext_sha256": "0" * 64,
        "tender": "1",
        "lot": "1",
        "bidder": entrant.bidder.organisation.uscc,
    }
    return SimpleUploadedFile("bid.env.key", json.dumps(body).encode(), content_type="application/json")


def _no_figures(html: str, hall: Hall) -> None:
    for entrant in hall.entrants:
        assert format_fen(entrant.price_fen) not in html
        assert str(entrant.price_fen // 100) not in html
    assert "项目经理" not in html


def test_the_hall_page_by_page_without_javascript(hall):
    session = _opened(hall)
    url = f"/trading/opening/{session.pk}/"
    guest = Client()
    listing = guest.get("/trading/opening/").content.decode()
    assert url in listing and "签到中" in listing

    page = guest.get(url).content.decode()
    assert "签到中" in page and hall.entrants[0].bidder.organisation.name in page
    assert "访客" in page and 'method="post"' not in page.split('id="main"')[1]  # no controls
    assert f'data-stream-url="/trading/opening/{session.pk}/stream"' in page

    host = hall.signed_client("agency")
    page = host.get(url).content.decode()
    assert "主持人" in page and f'action="{url}decryption/"' in page and "公布控制价" in page
    # A refusal is shown beside its control, in the viewer's language, with the state kept.
    refused = host.post(f"{url}control-price/", {"amount": "一千万"})
    assert refused.status_code == 400
    assert 'id="error-control_price"' in refused.content.decode()
    assert "控制价须为正的整数分" in refused.content.decode()
    assert host.post(f"{url}control-price/", {"amount": "10,000,000.00"}).status_code == 302
    assert "¥10,000,000.00" in guest.get(url).content.decode()
    assert host.post(f"{url}sign-in/").status_code == 302

    # A stranger is refused (403); a guest is sent to sign in.
    assert hall.signed_client("other_tenderer").post(f"{url}decryption/").status_code == 403
    assert guest.post(f"{url}decryption/").status_code == 302
    assert OpeningSession.objects.get(pk=session.pk).status == states.SIGNING_IN

    bidders = [e.client() for e in hall.entrants]
    for client in bidders:
        assert client.post(f"{url}sign-in/").status_code == 302
    assert host.post(f"{url}decryption/").status_code == 302
    assert "解密中" in guest.get(url).content.decode()

    # Keys through the page: the file the bidder tool wrote.
    wrong = bidders[0].post(f"{url}key/", {"key_file": SimpleUploadedFile("x.key", b"not json")})
    assert wrong.status_code == 400 and "bid.env.key" in wrong.content.decode()
    mixed = bidders[0].post(f"{url}key/", {"key_file": key_file(hall.entrants[1])})
    assert mixed.status_code == 409 and "密钥与投标文件中签名承诺的密钥不符" in mixed.content.decode()
    early = host.post(f"{url}close-window/")
    assert early.status_code == 409 and 'id="error-close_window"' in early.content.decode()
    for client, entrant in zip(bidders, hall.entrants, strict=True):
        assert client.post(f"{url}key/", {"key_file": key_file(entrant)}).status_code == 302
    for reader in (guest, host, *bidders):
        page = reader.get(url).content.decode()
        _no_figures(page, hall)
        assert "<span data-status-label>解密中<" in page and page.count("已提交密钥") == 3
    live = guest.get(f"{url}live/")
    assert live.status_code == 200 and b"<html" not in live.content and b'id="hall-sheet"' in live.content

    assert host.post(f"{url}close-window/").status_code == 302
    # The hall's participants see the whole sheet; guests each row's outcome, no figures yet.
    first_price = format_fen(hall.entrants[0].price_fen)
    assert first_price in bidders[1].get(url).content.decode()
    assert first_price in host.get(url).content.decode()
    supervisor = hall.signed_client("supervisor").get(url).content.decode()
    assert first_price in supervisor and "监督人员" in supervisor  # watches everything
    assert f'action="{url}confirming/"' not in supervisor and 'name="key_file"' not in supervisor
    guest_page = guest.get(url).content.decode()
    assert "已解密" in guest_page
    _no_figures(guest_page, hall)

    assert host.post(f"{url}confirming/").status_code == 302
    assert bidders[0].post(f"{url}confirm/").status_code == 302
    guest_page = guest.get(url).content.decode()
    assert first_price in guest_page and format_fen(hall.entrants[1].price_fen) not in guest_page
    assert bidders[1].post(f"{url}objections/", {"text": "   "}).status_code == 400
    assert bidders[1].post(f"{url}objections/", {"text": "工期应为181天，请核对。"}).status_code == 302
    objection = session.objections.get()
    unanswered = host.post(f"{url}finish/")
    assert unanswered.status_code == 409 and "异议未答复" in unanswered.content.decode()
    assert host.post(f"{url}objections/{objection.pk}/answer/", {"text": "记录无误。"}).status_code == 302
    assert host.post(f"{url}finish/").status_code == 302

    final = guest.get(url).content.decode()
    assert "已结束" in final and "记录无误。" in final
    for entrant in hall.entrants:
        assert format_fen(entrant.price_fen) in final
    finished = OpeningSession.objects.get(pk=session.pk)
    assert finished.record_sha256 in final
    assert f"/api/v1/trading/opening/sessions/{session.pk}/record.pdf" in final

    # English on request: the same page in the viewer's language.
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    assert "finished" in english and "Final opening record" in english


def test_windows_pause_and_resume_through_the_page(hall):
    session = _opened(hall)
    url = f"/trading/opening/{session.pk}/"
    host = hall.signed_client("agency")
    guest = Client()

    bad = host.post(f"{url}configure/", {"sign_in_minutes": "", "decryption_minutes": "abc"})
    assert bad.status_code == 400 and 'id="error-configure"' in bad.content.decode()
    assert "时长须在 1 到 1440 分钟之间" in bad.content.decode()
    assert host.post(f"{url}configure/", {"decryption_minutes": "20"}).status_code == 302
    assert "20 分钟，自主持人开始解密起算" in guest.get(url).content.decode()
    assert host.post(f"{url}decryption/").status_code == 302
    page = guest.get(url).content.decode()
    assert 'data-remaining="1200"' in page and "00:20:00" in page

    # A pause needs a reason; while paused the countdown stands still and the reason is shown.
    empty = host.post(f"{url}pause/", {"reason": " "})
    assert empty.status_code == 400 and 'id="error-pause"' in empty.content.decode()
    assert host.post(f"{url}pause/", {"reason": "网络故障"}).status_code == 302
    hall.fixed.advance(timedelta(minutes=5))
    page = guest.get(url).content.decode()
    assert "网络故障" in page and 'data-stopped="1"' in page and 'data-remaining="1200"' in page
    assert 'name="key_file"' not in hall.entrants[0].client().get(url).content.decode()
    assert host.post(f"{url}resume/", {"reason": "网络恢复"}).status_code == 302
    page = guest.get(url).content.decode()
    assert "网络故障" not in page and 'data-stopped="0"' in page and 'data-remaining="1200"' in page
    assert 'name="key_file"' in hall.entrants[0].client().get(url).content.decode()
    # Already resumed: refused beside the control the host used, in English for an English host.
    again = host.post(f"{url}resume/", {"reason": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert "The opening is not paused." in again.content.decode()
    assert 'id="error-resume"' in again.content.decode()


def test_the_coefficient_draw_through_the_page(hall):
    """The host commits to the tender documents' coefficients; the supervisor adds a value; once
    the ledger has signed a checkpoint covering the commitment, the draw is made on request and
    the hall shows the coefficient with a link to the draw's public record."""
    from yingshang.ledger import facade as ledger

    session = _opened(hall)
    url = f"/trading/opening/{session.pk}/"
    host = hall.signed_client("agency")
    assert "记录抽取承诺" in host.get(url).content.decode()
    refused = host.post(f"{url}coefficient-draw/", {"values": "0.95"})
    assert refused.status_code == 400 and 'id="error-coefficient_draw"' in refused.content.decode()
    assert host.post(f"{url}coefficient-draw/", {"values": "0.95，0.96, 0.97 0.98"}).status_code == 302
    supervisor = hall.signed_client("supervisor")
    assert "提交随机值" in supervisor.get(url).content.decode()
    assert supervisor.post(f"{url}coefficient-draw/contribution/", {"value": "监督 4711"}).status_code == 302
    # Bidders may not contribute.
    assert (
        hall.entrants[0].client().post(f"{url}coefficient-draw/contribution/", {"value": "x"}).status_code
        == 403
    )
    assert (
        "尚未抽取" in Client().get(url).content.decode() or "not drawn" in Client().get(url).content.decode()
    )
    ledger.sequence_once()
    assert host.post(f"{url}coefficient-draw/result/").status_code == 302
    page = Client().get(url).content.decode()
    coefficient = OpeningSession.objects.get(pk=session.pk).coefficient
    assert coefficient in ("0.95", "0.96", "0.97", "0.98")
    assert f"data-coefficient>{coefficient}<" in page
    assert f"/api/v1/draws/{OpeningSession.objects.get(pk=session.pk).coefficient_draw}" in page
