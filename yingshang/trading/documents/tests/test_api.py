"""The documents API and pages: the flow end to end, the secrecy of downloaders for every role,
anonymous questions, and bad input that must never be a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from yingshang.identity.models import Organisation, User
from yingshang.identity.testing import sign_in
from yingshang.kernel import clock
from yingshang.trading.documents.models import DownloadReceipt, TenderDocument
from yingshang.trading.documents.tests.helpers import FILLED, OPEN, World
from yingshang.trading.projects.tests.factories import bj

pytestmark = pytest.mark.django_db

BASE = "/api/v1/trading/documents"


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        sign_in(client, user)
    return client


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    data = body if isinstance(body, str) else json.dumps(body) if body is not None else None
    return getattr(client, method.lower())(path, data=data, content_type="application/json")


def publish_via_api(world: World) -> Client:
    agency = as_user(world.cast.agency_user)
    response = send(
        agency, "POST", f"{BASE}/tenders/{world.tender_id}", {"template_code": "works-construction"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    values = {**body["values"], **FILLED}
    response = send(
        agency,
        "PUT",
        f"{BASE}/tenders/{world.tender_id}/draft",
        {"values": values, "revision": body["revision"]},
    )
    assert response.status_code == 200, response.content
    response = send(agency, "POST", f"{BASE}/tenders/{world.tender_id}/publish", {})
    assert response.status_code == 201, response.content
    return agency


def test_the_whole_flow_through_the_api(world: World, fixed: clock.FixedClock) -> None:
    agency = publish_via_api(world)
    fixed.set(OPEN)
    bidder = as_user(world.bidder)
    response = send(bidder, "POST", f"{BASE}/tenders/{world.tender_id}/versions/1/download")
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert receipt["receipt"]["version"] == 1 and receipt["signature"]["algorithm"] == "Ed25519"
    assert receipt["ledger_promise"]["entry_hash"]
    pdf = bidder.get(receipt["content_url"])
    content = b"".join(pdf.streaming_content)  # type: ignore[attr-defined]
    assert pdf.status_code == 200 and content.startswith(b"%PDF-")
    assert bidder.get(f"{BASE}/receipts").json()[0]["receipt"]["receipt"] == receipt["receipt"]["receipt"]
    # Question, then a clarification answering it.
    response = send(bidder, "POST", f"{BASE}/tenders/{world.tender_id}/questions", {"text": "工期能否延长？"})
    assert response.status_code == 201 and response.json()["mine"] is True
    response = send(
        agency,
        "POST",
        f"{BASE}/tenders/{world.tender_id}/revisions",
        {"reason": "答复问题", "answers": {"1": "不能延长。"}, "affects_preparation": False},
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "clarification"
    documents = as_user(None).get(f"{BASE}/tenders/{world.tender_id}").json()
    assert [v["number"] for v in documents["versions"]] == [1, 2]
    assert documents["values"] is None and documents["revision"] is None
    answered = as_user(world.other_bidder).get(f"{BASE}/tenders/{world.tender_id}/questions").json()
    assert answered == [
        {
            "number": 1,
            "text": "工期能否延长？",
            "status": "answered",
            "answer": "不能延长。",
            "answered_in_version": 2,
            "asked_at": None,
            "mine": False,
        }
    ]


def _bidder_traces(world: World) -> list[str]:
    """Strings that would betray who downloaded or asked."""
    traces = []
    for user in (world.bidder, world.other_bidder):
        organisation = Organisation.objects.filter(memberships__user=user).first()
        assert organisation is not None
        traces += [organisation.name, organisation.uscc, user.username]
    traces += list(DownloadReceipt.objects.values_list("number", flat=True))
    traces += list(DownloadReceipt.objects.values_list("commitment", flat=True))
    return traces


def _reads(world: World) -> list[str]:
    t = world.tender_id
    return [
        f"{BASE}/tenders/{t}",
        f"{BASE}/tenders/{t}/questions",
        f"{BASE}/tenders/{t}/downloads",
        f"/trading/documents/tenders/{t}/",
        f"/trading/documents/tenders/{t}/questions/",
        f"/trading/documents/tenders/{t}/edit/",
        f"/trading/documents/tenders/{t}/revise/",
    ]


@pytest.mark.parametrize(
    "who", ["tenderer", "agency", "guest", "supervisor", "staff", "auditor", "other_bidder"]
)
def test_nobody_learns_who_downloaded_before_the_deadline(
    world: World, fixed: clock.FixedClock, who: str
) -> None:
    publish_via_api(world)
    fixed.set(OPEN)
    for holder in (world.bidder, world.other_bidder):
        assert (
            send(as_user(holder), "POST", f"{BASE}/tenders/{world.tender_id}/versions/1/download").status_code
            == 201
        )
    send(as_user(world.bidder), "POST", f"{BASE}/tenders/{world.tender_id}/questions", {"text": "问题一"})
    user: User | None
    if who == "guest":
        user = None
    elif who == "other_bidder":
        user = world.other_bidder
    else:
        user = getattr(world.cast, f"{who}_user")
    client = as_user(user)
    traces = _bidder_traces(world)
    if who == "other_bidder":  # its own organisation, receipt and commitment legitimately appear
        own = DownloadReceipt.objects.get(user=world.other_bidder)
        organisation = Organisation.objects.filter(memberships__user=world.other_bidder).get()
        traces = [
            t
            for t in traces
            if t
            not in (
                own.number,
                own.commitment,
                organisation.name,
                organisation.uscc,
                world.other_bidder.username,
            )
        ]
    for path in _reads(world):
        response = client.get(path)
        assert response.status_code < 500, path
        text = response.content.decode()
        for trace in traces:
            assert trace not in text, (path, trace)
        if response.status_code == 200 and path.startswith(BASE):
            assert "download" not in json.dumps(response.json()).lower() or path.endswith("/downloads"), path
    assert client.get(f"{BASE}/tenders/{world.tender_id}/downloads").status_code in (401, 403)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("supervisor", True),
        ("auditor", True),
        ("staff", True),
        ("tenderer", False),
        ("agency", False),
        ("other_supervisor", False),
    ],
)
def test_after_the_deadline_only_oversight_sees_who_downloaded(
    world: World, fixed: clock.FixedClock, who: str, allowed: bool
) -> None:
    publish_via_api(world)
    fixed.set(OPEN)
    send(as_user(world.bidder), "POST", f"{BASE}/tenders/{world.tender_id}/versions/1/download")
    fixed.set(bj(2025, 3, 25, 10, 0))
    response = as_user(getattr(world.cast, f"{who}_user")).get(f"{BASE}/tenders/{world.tender_id}/downloads")
    if allowed:
        assert response.status_code == 200, response.content
        [row] = response.json()
        assert row["user_id"] == world.bidder.pk and row["version"] == 1
    else:
        assert response.status_code in (403, 404)


def test_a_bidder_sees_only_its_own_receipts_and_questions(world: World, fixed: clock.FixedClock) -> None:
    publish_via_api(world)
    fixed.set(OPEN)
    mine = send(as_user(world.bidder), "POST", f"{BASE}/tenders/{world.tender_id}/versions/1/download").json()
    number = mine["receipt"]["receipt"]
    other = as_user(world.other_bidder)
    assert other.get(f"{BASE}/receipts/{number}").status_code == 404
    assert other.get(f"{BASE}/receipts/{number}/content").status_code == 404
    assert other.get(f"/trading/documents/receipts/{number}/").status_code == 404
    assert other.get(f"{BASE}/receipts").json() == []
    send(as_user(world.bidder), "POST", f"{BASE}/tenders/{world.tender_id}/questions", {"text": "问题一"})
    assert other.get(f"{BASE}/tenders/{world.tender_id}/questions").json() == []
    tenderer_view = (
        as_user(world.cast.tenderer_user).get(f"{BASE}/tenders/{world.tender_id}/questions").json()
    )
    assert tenderer_view == [
        {
            "number": 1,
            "text": "问题一",
            "status": "open",
            "answer": "",
            "answered_in_version": None,
            "asked_at": None,
            "mine": False,
        }
    ]


def test_the_tenderer_gets_the_pdf_without_a_receipt_and_bidders_do_not(world: World) -> None:
    publish_via_api(world)
    path = f"{BASE}/tenders/{world.tender_id}/versions/1/pdf"
    assert as_user(world.cast.tenderer_user).get(path).status_code == 200
    assert as_user(world.cast.supervisor_user).get(path).status_code == 200
    assert as_user(world.bidder).get(path).status_code == 403
    assert as_user(None).get(path).status_code == 401


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "", "{not json"),
        ("POST", "", {"template_code": 5}),
        ("POST", "", {"template_code": "x" * 500}),
        ("POST", "", {"template_code": "works-construction", "template_version": -1}),
        ("POST", "", {"template_code": "works-construction", "surprise": 1}),
        ("POST", "", {"template_code": "works-construction", "template_version": 99}),
        ("PUT", "/draft", {"values": []}),
        ("PUT", "/draft", {"values": {"ceiling_price": 10**30}}),
        ("PUT", "/draft", {"values": {"ceiling_price": 1.5, "bid_deadline": "2025-02-30", "x": None}}),
        ("PUT", "/draft", {"values": {"scope": "\x00"}, "revision": 0}),
        ("PUT", "/draft", {"values": {}, "revision": 999}),
        ("POST", "/publish", {"revision": "two"}),
        ("POST", "/revisions", {"reason": ""}),
        ("POST", "/revisions", {"reason": "x", "answers": {"a": "b"}}),
        ("POST", "/questions", {"text": ""}),
        ("POST", "/revisions", {"reason": "a\x00b"}),
        ("POST", "/revisions", {"reason": "x", "answers": {"1": "\x00"}}),
        ("POST", "/versions/99/download", None),
    ],
)
def test_bad_input_is_a_4xx_problem_never_a_500(world: World, method: str, suffix: str, body: Any) -> None:
    agency = as_user(world.cast.agency_user)
    if suffix and suffix != "":
        send(agency, "POST", f"{BASE}/tenders/{world.tender_id}", {"template_code": "works-construction"})
    response = send(agency, method, f"{BASE}/tenders/{world.tender_id}{suffix}", body)
    assert 400 <= response.status_code < 500, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "path",
    [
        f"{BASE}/tenders/0",
        f"{BASE}/tenders/99999999999999999999",
        f"{BASE}/templates/nope/versions/1",
        f"{BASE}/templates/works-construction/versions/0",
        f"{BASE}/receipts/%00",
        "/trading/documents/tenders/123456789/",
        "/trading/documents/templates/nope/v1/",
        "/trading/documents/receipts/nope/",
    ],
)
def test_unknown_things_are_404(world: World, path: str) -> None:
    response = as_user(world.bidder).get(path)
    assert response.status_code == 404, (path, response.status_code)


def test_the_catalogue_is_public(client: Client) -> None:
    body = client.get(f"{BASE}/templates").json()
    assert len(body) == 12
    detail = client.get(f"{BASE}/templates/works-construction/versions/1").json()
    assert any(f["type"] == "money" for f in detail["fields"])
    page = client.get("/trading/documents/")
    assert page.status_code == 200 and "标准施工招标文件" in page.content.decode()


def test_pages_edit_publish_download_and_ask(world: World, fixed: clock.FixedClock) -> None:
    agency = as_user(world.cast.agency_user)
    t = world.tender_id
    page = agency.get(f"/trading/documents/tenders/{t}/edit/")
    assert page.status_code == 200 and "works-construction@v1" in page.content.decode()
    assert (
        agency.post(
            f"/trading/documents/tenders/{t}/edit/", {"template": "works-construction@v1"}
        ).status_code
        == 302
    )
    prefilled = TenderDocument.objects.get(tender_id=t).values
    form = {f"f_{k}": str(v) for k, v in {**prefilled, **FILLED}.items()}
    form["f_ceiling_price"] = "9,850,000.00"  # yuan in the form, fen in the database
    form["f_deposit_amount"] = "100000"
    bad = agency.post(
        f"/trading/documents/tenders/{t}/edit/", {**form, "f_bid_deadline": "nonsense", "action": "save"}
    )
    assert bad.status_code == 400 and "2026-12-01" in bad.content.decode()
    saved = agency.post(f"/trading/documents/tenders/{t}/edit/", {**form, "action": "publish"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    fixed.set(OPEN)
    bidder = as_user(world.bidder)
    tender_page = bidder.get(f"/trading/documents/tenders/{t}/")
    assert "Download with receipt" in tender_page.content.decode() or "下载" in tender_page.content.decode()
    response = bidder.post(f"/trading/documents/tenders/{t}/versions/1/download/")
    assert response.status_code == 302
    receipt_page = bidder.get(response["Location"])
    assert receipt_page.status_code == 200
    receipt = DownloadReceipt.objects.get()
    assert receipt.commitment in receipt_page.content.decode()
    assert (
        bidder.get(f"/trading/documents/receipts/{receipt.number}/json/").json()["commitment"]
        == receipt.commitment
    )
    assert bidder.get(f"/trading/documents/receipts/{receipt.number}/pdf/").status_code == 200
    asked = bidder.post(f"/trading/documents/tenders/{t}/questions/", {"text": "是否需要现场踏勘？"})
    assert asked.status_code == 302
    tenderer_page = (
        as_user(world.cast.tenderer_user).get(f"/trading/documents/tenders/{t}/questions/").content.decode()
    )
    assert "是否需要现场踏勘？" in tenderer_page
    revised = agency.post(
        f"/trading/documents/tenders/{t}/revise/", {"reason": "答复", "answer_1": "不需要。"}
    )
    assert revised.status_code == 302
    assert "不需要。" in bidder.get(f"/trading/documents/tenders/{t}/questions/").content.decode()


def test_nul_characters_are_refused_not_stored(world: World, fixed: clock.FixedClock) -> None:
    publish_via_api(world)
    fixed.set(OPEN)
    bidder = as_user(world.bidder)
    response = send(bidder, "POST", f"{BASE}/tenders/{world.tender_id}/questions", {"text": "a\x00b"})
    assert response.status_code == 400, response.content
    page = bidder.post(f"/trading/documents/tenders/{world.tender_id}/questions/", {"text": "a\x00b"})
    assert 400 <= page.status_code < 500


def test_api_tokens_need_the_tenderdocs_scopes(world: World, fixed: clock.FixedClock) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from yingshang.identity import services as identity_services

    publish_via_api(world)
    fixed.set(OPEN)

    def token(scopes: list[str]) -> dict[str, str]:
        created = identity_services.create_api_token(
            user=world.bidder, name="t", scopes=scopes, expires_at=timezone.now() + timedelta(days=1)
        )
        return {"Authorization": f"Bearer {created.plain}"}

    path = f"{BASE}/tenders/{world.tender_id}/versions/1/download"
    client = Client()
    assert client.post(path, headers=token(["identity:read"])).status_code == 403
    assert client.post(path, headers=token(["tenderdocs:read"])).status_code == 403
    response = client.post(path, headers=token(["tenderdocs:write"]))
    assert response.status_code == 201, response.content
    assert client.get(f"{BASE}/receipts", headers=token(["tenderdocs:read"])).json()[0]["commitment"]
    assert client.get(f"{BASE}/receipts", headers=token(["identity:read"])).json() == []


def test_anyone_checks_a_receipt_and_a_forgery_fails(world: World, fixed: clock.FixedClock) -> None:
    publish_via_api(world)
    fixed.set(OPEN)
    kept = send(as_user(world.bidder), "POST", f"{BASE}/tenders/{world.tender_id}/versions/1/download").json()
    check = f"{BASE}/receipts/check"
    good = send(as_user(None), "POST", check, {"receipt": kept["receipt"], "signature": kept["signature"]})
    assert good.status_code == 200 and good.json() == {"valid": True, "commitment": kept["commitment"]}
    forged = {**kept["receipt"], "organisation_id": kept["receipt"]["organisation_id"] + 1}
    bad = send(as_user(None), "POST", check, {"receipt": forged, "signature": kept["signature"]})
    assert bad.json()["valid"] is False
    bodies: list[dict[str, Any]] = [
        {"receipt": {}, "signature": {"signature": "%%%"}},
        {"receipt": {"x": 1.5}, "signature": {}},
        {"receipt": []},
    ]
    for body in bodies:
        response = send(as_user(None), "POST", check, body)
        assert response.status_code < 500


def test_the_receipt_check_page_says_valid_or_not_and_never_fails(
    world: World, fixed: clock.FixedClock
) -> None:
    publish_via_api(world)
    fixed.set(OPEN)
    kept = send(as_user(world.bidder), "POST", f"{BASE}/tenders/{world.tender_id}/versions/1/download").json()
    page = "/trading/documents/receipts/check/"
    visitor = Client()  # nobody signed in: a receipt may be shown to anyone
    assert visitor.get(page).status_code == 200
    good = visitor.post(page, {"receipt": json.dumps(kept, ensure_ascii=False)})
    html = good.content.decode()
    assert good.status_code == 200 and 'id="receipt-valid"' in html and kept["commitment"] in html
    forged = {**kept, "receipt": {**kept["receipt"], "version": kept["receipt"].get("version", 0) + 1}}
    bad = visitor.post(page, {"receipt": json.dumps(forged)})
    assert bad.status_code == 200 and 'id="receipt-invalid"' in bad.content.decode()
    for text in ("", "not json", "[]", '{"receipt": {}}', '{"receipt": 1, "signature": {}}', "x" * 30_000):
        response = visitor.post(page, {"receipt": text})
        assert response.status_code == 400, text[:20]
        assert 'role="alert"' in response.content.decode()


def test_versions_carry_their_ledger_index_once_sequenced(world: World, fixed: clock.FixedClock) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yingshang.ledger import facade as ledger

    publish_via_api(world)
    visitor = as_user(None)
    version = visitor.get(f"{BASE}/tenders/{world.tender_id}").json()["versions"][0]
    assert version["ledger_entry_hash"] and version["ledger_index"] is None
    page = visitor.get(f"/trading/documents/tenders/{world.tender_id}/").content.decode()
    assert 'class="ledger-index"' not in page
    ledger.sequence_once()
    index = ledger.indexes_of([version["ledger_entry_hash"]])[version["ledger_entry_hash"]]
    with CaptureQueriesContext(connection) as captured:
        listed = visitor.get(f"{BASE}/tenders/{world.tender_id}").json()["versions"]
    assert listed[0]["ledger_index"] == index
    assert len([q for q in captured.captured_queries if "ledger_logentry" in q["sql"]]) == 1
    page = visitor.get(f"/trading/documents/tenders/{world.tender_id}/").content.decode()
    assert f'?index={index}" class="ledger-index">#{index}</a>' in page
