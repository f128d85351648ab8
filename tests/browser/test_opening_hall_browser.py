"""A full remote opening in real browsers: three bidders, the host and an anonymous guest on a
phone-sized screen, five Chromium contexts watching one hall.

The hall's live updates are server-sent events, which need the ASGI server: the real one
(uvicorn, ``config.asgi``) runs in a thread of this process on the test database, so the world
is built with the opening builders (real certificates, packages, envelopes and uploads through
the real bids API) and the domain clock is installed for the whole process (``clock.install``:
the server's threads see it too). Nothing sleeps for time: every wait is Playwright waiting for a
selector or a text, with a timeout.

What is checked: sign-in counts reach the guest live; each bidder releases its key by choosing
the key file the bidder tool writes (``bid.env.key``); nobody's page shows a price before the
window closes; when the host closes the window the sheet appears on the guest's page without a
reload (the stream, then the fragment fetched again); bidders confirm, one objects, the host
answers, finishes, and the guest sees the final record with every figure.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from yingshang.identity.testing import sign_in
from yingshang.kernel import clock
from yingshang.kernel.money import format_fen
from yingshang.pki import Vendor
from yingshang.trading.bids.tests.builders import PKI_NOW, trust
from yingshang.trading.opening import services
from yingshang.trading.opening.models import OpeningSession
from yingshang.trading.opening.tests.builders import Entrant, Hall
from yingshang.trading.projects.tests.factories import Cast, published_tender

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT_MS = 15_000


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    """The machine is shared: give each live update up to TIMEOUT_MS, then Playwright's default."""
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        yield
    finally:
        expect.set_options(timeout=5_000)


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[str]:
    """The real ASGI server (uvicorn) on a free port, in a thread of this process."""
    import uvicorn

    from config.asgi import application

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        application,
        log_level="warning",
        lifespan="off",
        loop="asyncio",
        http="h11",
        timeout_graceful_shutdown=2,
    )
    ready = threading.Event()

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            ready.set()

    server = Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert ready.wait(timeout=30), "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def hall(settings: Any, tmp_path: Path, platform_clock: clock.FixedClock) -> Hall:
    settings.YINGSHANG = {**settings.YINGSHANG, "BID_CHUNK_BYTES": 64 * 1024}
    settings.KEYS_DIR = tmp_path / "keys"
    vendor = Vendor.create("金城CA", now=PKI_NOW, region="金城市")
    trust(vendor)
    cast = Cast.make()
    tender = published_tender(cast)
    return Hall(cast, tender, tender.lots.get().pk, vendor, platform_clock, tmp_path)


def context_for(
    browser: Any, base: str, *, user: Any = None, organisation: Any = None, **options: Any
) -> Page:
    """A browser context, signed in as ``user`` (its session cookie, second factor passed) or
    anonymous; Chinese, Beijing time."""
    context: BrowserContext = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    if user is not None:
        client = Client()
        sign_in(client, user, organisation=organisation)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def write_key_file(entrant: Entrant, folder: Path) -> Path:
    """What ``yingshang-bidder seal`` writes beside the envelope (docs/bidder-tool.md)."""
    from yingshang import envelope

    header = envelope.read_header(io.BytesIO(entrant.data))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bid.env.key"
    path.write_text(
        json.dumps(
            {
                "format": "yingshang-content-key/1",
                "content_key": entrant.key_b64(),
                "envelope_sha256": hashlib.sha256(entrant.data).hexdigest(),
                "ciphertext_sha256": header.ciphertext_sha256,
                "tender": header.tender,
                "lot": header.lot,
                "bidder": header.bidder,
            }
        )
    )
    return path


def wait_live(page: Page) -> None:
    """The page's EventSource is open."""
    expect(page.locator("#hall")).to_have_attribute("data-live", "1")


def assert_no_price(page: Page, hall: Hall) -> None:
    """No bid's figure anywhere on the page: not in its markup (formatted), not in its text
    (any way of writing the amount), no figure cell, no project manager."""
    html = page.content()
    text = page.locator("body").inner_text()
    for entrant in hall.entrants:
        assert format_fen(entrant.price_fen) not in html
        for shown in (str(entrant.price_fen), str(entrant.price_fen // 100), f"{entrant.price_fen // 100:,}"):
            assert shown not in text, shown
    assert "项目经理" not in html
    expect(page.locator("[data-price]")).to_have_count(0)


def test_three_bidders_a_host_and_a_guest_run_an_opening(
    asgi_server: str, browser: Any, hall: Hall, tmp_path: Path
) -> None:
    base = asgi_server
    entrants = [hall.add_bidder() for _ in range(3)]
    hall.to_deadline()
    services.open_due_sessions(hall.fixed.now())
    session = OpeningSession.objects.get(tender_id=hall.tender.pk, lot_id=hall.lot_id)
    url = f"{base}/trading/opening/{session.pk}/"
    keys = [write_key_file(e, tmp_path / f"bidder-{i}") for i, e in enumerate(entrants)]

    guest = context_for(browser, base, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    host = context_for(browser, base, user=hall.cast.agency_user)
    bidders = [
        context_for(browser, base, user=e.bidder.user, organisation=e.bidder.organisation) for e in entrants
    ]
    pages = [guest, host, *bidders]
    try:
        # The public list leads to the hall.
        guest.goto(f"{base}/trading/opening/")
        guest.locator(f"a[href='/trading/opening/{session.pk}/']").click()
        guest.wait_for_url(url)
        expect(guest.locator("[data-status-label]")).to_have_text("签到中")
        expect(guest.locator("[data-role]")).to_have_text("访客")
        # Readable on a phone: nothing wider than the screen.
        assert guest.evaluate("document.documentElement.scrollWidth") <= 375
        guest.evaluate("window.__sameDocument = true")  # gone if the page ever reloads
        for page in pages[1:]:
            page.goto(url)
        for page in pages:
            wait_live(page)
        expect(host.locator("[data-role]")).to_have_text("主持人")

        # Sign-in: the count reaches the guest live.
        for page in bidders:
            page.get_by_role("button", name="开标签到").click()
            expect(page.get_by_text("您已签到。")).to_be_visible()
            wait_live(page)
        expect(guest.locator("[data-count=signed_in_bidders]")).to_have_text("3")

        # The host signs in, publishes the control price and starts the decryption window.
        host.get_by_role("button", name="开标签到").click()
        expect(host.get_by_text("您已签到。")).to_be_visible()
        host.get_by_label("最高投标限价（元）").fill("10,000,000.00")
        host.get_by_role("button", name="公布控制价").click()
        expect(host.locator("[data-control-price]")).to_have_text("¥10,000,000.00")
        host.get_by_role("button", name="开始解密").click()
        expect(host.get_by_text("解密已开始。")).to_be_visible()
        expect(guest.locator("[data-status-label]")).to_have_text("解密中")
        expect(guest.locator("[data-control-price]")).to_have_text("¥10,000,000.00")
        # The countdown is the platform's: 30 minutes from now by the domain clock.
        countdown = guest.locator("#hall-timeline [data-countdown]")
        assert int(countdown.get_attribute("data-remaining") or "-1") == 30 * 60
        expect(countdown.locator("[data-countdown-text]")).to_have_text(re.compile(r"00:(30:00|29:[0-5]\d)"))

        # Each bidder releases its key through the page; nobody sees a figure meanwhile.
        for page, key in zip(bidders, keys, strict=True):
            page.locator("#id_key_file").set_input_files(str(key))
            page.get_by_role("button", name="提交密钥解密").click()
            expect(page.get_by_text("密钥已提交；解密结束前投标内容不公开。")).to_be_visible()
            wait_live(page)
        expect(guest.locator("[data-count=decrypted]")).to_have_text("3")
        expect(guest.locator("[data-count=pending]")).to_have_text("0")
        for page in (guest, *bidders):
            expect(page.locator("#hall-sheet tbody tr")).to_have_count(3)
            assert_no_price(page, hall)

        # The host closes the window: the sheet reaches the guest live, without a reload.
        wait_live(host)
        host.get_by_role("button", name="结束解密").click()
        expect(host.get_by_text("解密已结束。")).to_be_visible()
        expect(guest.locator("[data-status-label]")).to_have_text("解密结束")
        expect(guest.locator("#hall-sheet [data-confirmation]")).to_have_count(3)
        expect(guest.locator("#hall-sheet tbody")).to_contain_text("已解密")
        assert_no_price(guest, hall)  # guests: each row's figures once its bidder confirms
        for page in bidders:  # the hall's participants: the whole sheet, live too
            for entrant in entrants:
                expect(page.locator("#hall-sheet")).to_contain_text(format_fen(entrant.price_fen))
        assert guest.evaluate("window.__sameDocument === true")

        # Confirmation: two bidders confirm, the third objects; the host answers.
        wait_live(host)
        host.get_by_role("button", name="提交投标人确认开标记录").click()
        expect(host.get_by_text("开标记录已提交投标人确认。")).to_be_visible()
        wait_live(host)
        for page in bidders[:2]:
            page.get_by_role("button", name="确认本单位开标记录").click()
            expect(page.get_by_text("您已确认本单位的开标记录。")).to_be_visible()
        expect(guest.locator("#hall-sheet")).to_contain_text(format_fen(entrants[0].price_fen))
        expect(guest.locator("#hall-sheet")).to_contain_text(format_fen(entrants[1].price_fen))
        assert format_fen(entrants[2].price_fen) not in guest.locator("#hall-sheet").inner_text()

        objection = "我方工期应为182天，请核对开标记录。"
        bidders[2].get_by_label("对开标的异议").fill(objection)
        bidders[2].get_by_role("button", name="提出异议").click()
        expect(bidders[2].get_by_text("您的异议已记录。")).to_be_visible()
        expect(guest.locator("#hall-objections")).to_contain_text(objection)
        answer = "经核对，开标一览表载明工期182天，记录无误。"
        host.get_by_role("textbox", name="答复").fill(answer)
        host.get_by_role("button", name="答复异议").click()
        expect(host.get_by_text("答复已记录。")).to_be_visible()
        expect(guest.locator("#hall-objections")).to_contain_text(answer)

        # The host finishes: the guest sees the final record, every figure, live.
        host.get_by_role("button", name="结束开标").click()
        expect(host.get_by_text("开标已结束，开标记录已公布。")).to_be_visible()
        expect(guest.locator("[data-status-label]")).to_have_text("已结束")
        record = guest.locator("#hall-record")
        expect(record).to_be_visible()
        session.refresh_from_db()
        expect(record.locator("[data-record-sha256]")).to_have_text(session.record_sha256)
        for entrant in entrants:
            expect(guest.locator("#hall-sheet")).to_contain_text(format_fen(entrant.price_fen))
        expect(record.get_by_role("link", name="下载开标记录（PDF）")).to_have_attribute(
            "href", f"/api/v1/trading/opening/sessions/{session.pk}/record.pdf"
        )
        assert guest.evaluate("window.__sameDocument === true")
        assert guest.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        for page in pages:
            page.context.close()
