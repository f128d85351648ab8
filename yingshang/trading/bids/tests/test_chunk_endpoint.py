"""The chunk endpoint in front of Django (``yingshang.trading.bids.asgi``): the whole ASGI
application as the server runs it (``config.asgi.application``), driven over ASGI by httpx.

Chunks with an API token are served without Django's request path, on the endpoint's thread
pool; these tests check that it answers exactly as the API does (documents, problems, language,
late refusals stamped at arrival) and that everything else still reaches Django.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.signals import request_started

from config.asgi import application
from yingshang.files import facade as files
from yingshang.identity import services as identity_services
from yingshang.kernel import clock
from yingshang.pki import Vendor
from yingshang.trading.bids import asgi as chunk_endpoint
from yingshang.trading.bids import states
from yingshang.trading.bids.models import Bid, BidUpload
from yingshang.trading.bids.tests.builders import API, PKI_NOW, Bidder, trust
from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender

pytestmark = [pytest.mark.django_db(transaction=True)]

CHUNK = 64 * 1024


@pytest.fixture
def world(settings):
    settings.YINGSHANG = {**settings.YINGSHANG, "BID_CHUNK_BYTES": CHUNK}
    chunk_endpoint.forget_tokens()
    vendor = Vendor.create("金城CA", now=PKI_NOW, region="金城市")
    with at(START) as fixed:
        trust(vendor)
        tender = published_tender(Cast.make())
        bidder = Bidder.make(vendor)
        token = identity_services.create_api_token(
            user=bidder.user,
            name="bidder tool",
            scopes=["bids:write"],
            expires_at=clock.wall_now() + timedelta(days=1),
            organisation=bidder.organisation,
        ).plain
        data, _ = bidder.seal(tender_id=tender.pk, lot_id=tender.lots.get().pk)
        yield {
            "tender": tender,
            "lot_id": tender.lots.get().pk,
            "bidder": bidder,
            "token": token,
            "data": data,
            "clock": fixed,
        }
    chunk_endpoint.forget_tokens()


def _call(requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send the requests one after the other to the ASGI application, in one event loop."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=application)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [await client.request(method, url, **kw) for method, url, kw in requests]

    return asyncio.run(run())


def _auth(world: dict[str, Any], **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['token']}", **headers}


def _start(world: dict[str, Any], key: str = "chunk-endpoint-0001") -> dict[str, Any]:
    data = world["data"]
    body = {
        "tender_id": world["tender"].pk,
        "lot_id": world["lot_id"],
        "idempotency_key": key,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    [response] = _call([("POST", f"{API}/uploads", {"json": body, "headers": _auth(world)})])
    assert response.status_code == 201, response.text
    return response.json()


def _chunk(world: dict[str, Any], upload: str, offset: int, data: bytes, **headers: str):
    url = f"{API}/uploads/{upload}/chunks/{offset}"
    return ("PUT", url, {"content": data, "headers": _auth(world, **headers)})


def test_a_whole_bid_through_the_endpoint_gets_the_apis_receipt(world):
    data = world["data"]
    state = _start(world)
    upload = state["upload_id"]
    requests = [
        _chunk(world, upload, offset, data[offset : offset + CHUNK]) for offset in range(0, len(data), CHUNK)
    ]
    through_django: list[object] = []

    def count(sender: object, **kwargs: object) -> None:
        through_django.append(sender)

    request_started.connect(count)
    try:
        answers = _call(requests)
    finally:
        request_started.disconnect(count)
    assert through_django == []  # every chunk was served without Django's request path
    assert [r.status_code for r in answers[:-1]] == [200] * (len(answers) - 1)
    done = answers[-1]
    assert done.status_code == 201, done.text
    assert done.headers["content-type"] == "application/json" and done.headers["x-request-id"]
    body = done.json()
    assert body["status"] == "complete" and body["received"] == len(data)
    assert body["receipt"]["receipt"]["envelope_sha256"] == hashlib.sha256(data).hexdigest()
    bid = Bid.objects.get()
    assert bid.received_at == START  # stamped from the (fixed) domain clock as the body arrived
    with files.open_document(bid.document_id) as stored:
        assert stored.read() == data
    # The same upload read back through Django (the ninja operation) agrees.
    [again] = _call([("GET", f"{API}/uploads/{upload}", {"headers": _auth(world)})])
    assert again.json()["receipt"] == body["receipt"]


def test_problems_speak_the_callers_language_and_keep_the_apis_codes(world):
    data = world["data"]
    upload = _start(world)["upload_id"]
    gap, english, too_big, unknown = _call(
        [
            _chunk(world, upload, CHUNK, data[CHUNK : 2 * CHUNK]),
            _chunk(world, upload, CHUNK, data[CHUNK : 2 * CHUNK], **{"Accept-Language": "en"}),
            _chunk(world, upload, 0, data[: CHUNK + 1]),
            _chunk(world, "00000000-0000-0000-0000-000000000000", 0, data[:CHUNK]),
        ]
    )
    assert gap.status_code == 409 and gap.headers["content-type"] == "application/problem+json"
    assert gap.json()["code"] == "wrong_offset" and gap.json()["errors"] == [{"received": 0}]
    assert "续传" in gap.json()["detail"]
    assert english.json()["code"] == "wrong_offset" and "resume from" in english.json()["detail"]
    assert too_big.status_code == 413 and too_big.json()["code"] == "chunk_too_large"
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert BidUpload.objects.get().received == 0


def test_a_bad_token_is_refused_and_requests_without_a_token_reach_django(world):
    data = world["data"]
    upload = _start(world)["upload_id"]
    url = f"{API}/uploads/{upload}/chunks/0"
    bad, anonymous = _call(
        [
            ("PUT", url, {"content": data[:CHUNK], "headers": {"Authorization": "Bearer ys_bad_token"}}),
            ("PUT", url, {"content": data[:CHUNK]}),
        ]
    )
    assert bad.status_code == 401 and bad.json()["code"] == "not_authenticated"
    # Without a token the request is Django's: a session caller's unsafe request meets the CSRF check.
    assert anonymous.status_code == 403
    assert BidUpload.objects.get().received == 0


def test_a_chunk_arriving_at_the_deadline_is_refused_as_late(world):
    data = world["data"]
    upload = _start(world)["upload_id"]
    [first] = _call([_chunk(world, upload, 0, data[:CHUNK])])
    assert first.status_code == 200
    world["clock"].set(world["tender"].bid_deadline)
    [late] = _call([_chunk(world, upload, CHUNK, data[CHUNK : 2 * CHUNK])])
    assert late.status_code == 409 and late.json()["code"] == "late"
    assert BidUpload.objects.get().status == states.REFUSED
    assert not Bid.objects.exists()


def test_acknowledged_bytes_lost_before_reaching_the_disk_are_sent_again(world, settings):
    """After a power failure the staged file may hold less than was acknowledged: the upload
    rewinds to what the file holds, and the bid completes with the right bytes."""
    data = world["data"]
    upload = _start(world)["upload_id"]
    answers = _call(
        [_chunk(world, upload, 0, data[:CHUNK]), _chunk(world, upload, CHUNK, data[CHUNK : 2 * CHUNK])]
    )
    assert answers[-1].json()["received"] == 2 * CHUNK
    staged = BidUpload.objects.get()
    part = Path(settings.YINGSHANG["STAGING_DIR"]) / f"{staged.staging_id}.part"
    with part.open("r+b") as handle:  # the tail that never reached the disk
        handle.truncate(CHUNK + 100)
    [resend] = _call([_chunk(world, upload, 2 * CHUNK, data[2 * CHUNK : 3 * CHUNK])])
    assert resend.status_code == 409 and resend.json()["errors"] == [{"received": CHUNK + 100}]
    offset = CHUNK + 100
    while offset < len(data):
        [answer] = _call([_chunk(world, upload, offset, data[offset : offset + CHUNK])])
        offset = answer.json()["received"]
    assert answer.status_code == 201
    with files.open_document(Bid.objects.get().document_id) as stored:
        assert stored.read() == data
