"""Submitting sealed bids through the API: resumable chunks, the deadline, checks, receipts.

Real database, real certificates from a test CA in the trust store, real envelopes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from datetime import timedelta

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client

from yingshang import envelope
from yingshang.files import facade as files
from yingshang.identity.testing import make_user, sign_in
from yingshang.kernel import clock
from yingshang.kernel.errors import Conflict
from yingshang.ledger.models import OutboxEntry as Outbox
from yingshang.pki import Vendor
from yingshang.trading.bids import facade as bids_facade
from yingshang.trading.bids import receipts, services, states
from yingshang.trading.bids.models import Bid, BidUpload
from yingshang.trading.bids.tests.builders import (
    API,
    CHUNK,
    PKI_NOW,
    bidding_world,
    put,
    start,
    upload_all,
)
from yingshang.trading.projects.tests.factories import START

pytestmark = [pytest.mark.django_db(transaction=False)]


@pytest.fixture
def world(settings):
    with bidding_world(settings) as world:
        yield {**world, "client": world["bidder"].client()}


def _sealed(world, **kw):
    data, result = world["bidder"].seal(tender_id=world["tender"].pk, lot_id=world["lot_id"], **kw)
    return data, result


def test_a_sealed_bid_is_accepted_chunk_by_chunk_with_a_signed_receipt(world):
    data, result = _sealed(world)
    assert len(data) > 2 * CHUNK
    response = upload_all(world["client"], data, tender_id=world["tender"].pk, lot_id=world["lot_id"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "complete" and body["received"] == len(data)
    receipt, signature = body["receipt"]["receipt"], body["receipt"]["signature"]
    assert receipt["type"] == "yingshang-bid-receipt/1"
    assert receipt["envelope_sha256"] == hashlib.sha256(data).hexdigest()
    assert receipt["ciphertext_sha256"] == result.header.ciphertext_sha256
    assert receipt["key_commitment"] == result.header.key_commitment.hex()
    assert receipt["bidder"] == world["bidder"].organisation.uscc
    assert receipt["received_at"] == START.astimezone(receipts.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # Offline check with nothing but the published key.
    key = world["client"].get(f"{API}/public-key").json()
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])).verify(
        base64.b64decode(signature["signature"]), receipts.RECEIPT_CONTEXT + rfc8785.dumps(receipt)
    )
    bid = Bid.objects.get()
    assert bid.status == states.SUBMITTED and bid.received_at == START
    assert Outbox.objects.filter(action="trading.bid.submitted").count() == 1
    assert receipt["ledger"]["entry_hash"] == bid.ledger_entry_hash
    # The stored envelope is exactly what was sent, and opens with the bidder's own key only.
    with files.open_document(bid.document_id) as stored:
        assert stored.read() == data
    header = envelope.read_header(io.BytesIO(data))
    assert envelope.unwrap_content_key(header, world["bidder"].encryption.private_key) == result.content_key
    # The bidder can look its receipts up again.
    listed = world["client"].get(f"{API}/receipts").json()
    assert [r["receipt"]["bid_id"] for r in listed] == [bid.pk]


def test_the_same_idempotency_key_returns_the_same_upload_and_receipt(world):
    data, _ = _sealed(world)
    args = {"tender_id": world["tender"].pk, "lot_id": world["lot_id"], "key": "resume-key-0001"}
    first = upload_all(world["client"], data, **args).json()
    again = start(world["client"], data, **args)
    assert again.status_code == 200
    assert again.json()["receipt"] == first["receipt"]
    assert Bid.objects.count() == 1 and BidUpload.objects.count() == 1
    other = start(world["client"], data + b"x", **args)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_an_interrupted_upload_resumes_from_the_acknowledged_offset(world):
    data, _ = _sealed(world)
    client = world["client"]
    state = start(
        client, data, tender_id=world["tender"].pk, lot_id=world["lot_id"], key="resume-key-0002"
    ).json()
    upload_id = state["upload_id"]
    assert put(client, upload_id, 0, data[:CHUNK]).json()["received"] == CHUNK
    # The answer was lost; the client sends the same chunk again: nothing changes.
    again = put(client, upload_id, 0, data[:CHUNK])
    assert again.status_code == 200 and again.json()["received"] == CHUNK
    # A gap is refused with where to resume.
    gap = put(client, upload_id, 2 * CHUNK, data[2 * CHUNK : 3 * CHUNK])
    assert gap.status_code == 409 and gap.json()["code"] == "wrong_offset"
    resumed = client.get(f"{API}/uploads/{upload_id}").json()
    assert resumed["received"] == CHUNK and resumed["status"] == "receiving"
    offset = resumed["received"]
    while offset < len(data):
        response = put(client, upload_id, offset, data[offset : offset + CHUNK])
        offset = response.json()["received"]
    assert response.status_code == 201
    with files.open_document(Bid.objects.get().document_id) as stored:
        assert stored.read() == data


def test_a_bid_counts_by_the_arrival_of_its_last_chunk(world):
    data, _ = _sealed(world)
    client, fixed, tender = world["client"], world["clock"], world["tender"]
    state = start(client, data, tender_id=tender.pk, lot_id=world["lot_id"]).json()
    offset = 0
    while offset + CHUNK < len(data):
        offset = put(client, state["upload_id"], offset, data[offset : offset + CHUNK]).json()["received"]
    fixed.set(tender.bid_deadline - timedelta(microseconds=1))
    done = put(client, state["upload_id"], offset, data[offset:])
    assert done.status_code == 201
    assert Bid.objects.get().received_at == tender.bid_deadline - timedelta(microseconds=1)


def test_a_chunk_at_the_deadline_is_refused_with_its_arrival_time(world):
    data, _ = _sealed(world)
    client, fixed, tender = world["client"], world["clock"], world["tender"]
    state = start(client, data, tender_id=tender.pk, lot_id=world["lot_id"]).json()
    put(client, state["upload_id"], 0, data[:CHUNK])
    fixed.set(tender.bid_deadline)
    late = put(client, state["upload_id"], CHUNK, data[CHUNK : 2 * CHUNK])
    assert late.status_code == 409 and late.json()["code"] == "late"
    assert "截止" in late.json()["detail"]
    assert not Bid.objects.exists()
    upload = BidUpload.objects.get()
    assert upload.status == states.REFUSED and upload.refusal_code == "late"
    assert Outbox.objects.filter(action="trading.bid.refused").count() == 1
    # A new upload after the deadline is refused at once.
    assert start(client, data, tender_id=tender.pk, lot_id=world["lot_id"]).json()["code"] == "late"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda w, d: b"%PDF-1.7\n" + b"plain bid, not encrypted\n" * 100, "not_an_envelope"),
        (lambda w, d: d[:-10] + bytes(b ^ 0xFF for b in d[-10:]), "hash_mismatch"),
        (lambda w, d: d[: len(d) - CHUNK // 2], "truncated"),
    ],
    ids=["unencrypted", "tampered", "truncated"],
)
def test_bad_envelopes_are_refused_and_nothing_counts_as_a_bid(world, make, code):
    data, _ = _sealed(world)
    bad = make(world, data)
    response = upload_all(world["client"], bad, tender_id=world["tender"].pk, lot_id=world["lot_id"])
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert not Bid.objects.exists()
    assert BidUpload.objects.get().status == states.REFUSED


def test_an_envelope_for_another_lot_or_bidder_is_refused(world):
    data, _ = _sealed(world, bidder="91310000MA1K0000XX")
    response = upload_all(world["client"], data, tender_id=world["tender"].pk, lot_id=world["lot_id"])
    assert response.json()["code"] == "wrong_bidder"
    other_lot, _ = world["bidder"].seal(tender_id=world["tender"].pk, lot_id=world["lot_id"] + 999)
    response = upload_all(world["client"], other_lot, tender_id=world["tender"].pk, lot_id=world["lot_id"])
    assert response.json()["code"] == "wrong_tender"
    assert not Bid.objects.exists()


def test_certificates_the_trust_store_refuses_refuse_the_bid(world):
    bidder, vendor = world["bidder"], world["vendor"]
    unknown = Vendor.create("Unknown CA", now=PKI_NOW)
    stranger = unknown.issue_leaf(
        bidder.organisation.name, bidder.organisation.uscc, usage="signing", now=PKI_NOW
    )
    expired = vendor.expired_leaf(
        bidder.organisation.name, bidder.organisation.uscc, usage="signing", now=START
    )
    for signing, code in ((stranger, "certificate_unknown_ca"), (expired, "certificate_expired")):
        data, _ = _sealed(world, signing=signing)
        response = upload_all(world["client"], data, tender_id=world["tender"].pk, lot_id=world["lot_id"])
        assert response.status_code == 400 and response.json()["code"] == code, response.content
    assert not Bid.objects.exists()


def test_revoked_and_wrong_usage_certificates_and_bad_signatures_are_refused(world):
    from dataclasses import replace

    from yingshang.identity import certificate_services

    bidder, vendor = world["bidder"], world["vendor"]
    name, uscc = bidder.organisation.name, bidder.organisation.uscc
    revoked = vendor.issue_leaf(
        name, uscc, usage="signing", now=PKI_NOW, not_after=PKI_NOW + timedelta(days=700)
    )
    certificate_services.import_revocation_list(
        actor=None, crl=vendor.crl([revoked], now=START - timedelta(hours=1)), at=START
    )
    cases = [
        (_sealed(world, signing=revoked)[0], "certificate_revoked"),
        (_sealed(world, signing=bidder.encryption)[0], "certificate_wrong_usage"),
    ]
    good, _ = _sealed(world)
    header = envelope.read_header(io.BytesIO(good))
    forged = replace(
        header, signature=envelope.Signature(header.signature.algorithm, b"\x30\x06" + b"\x00" * 6)
    )
    cases.append((forged.encode() + good[header.ciphertext_offset :], "bad_signature"))
    for data, code in cases:
        response = upload_all(world["client"], data, tender_id=world["tender"].pk, lot_id=world["lot_id"])
        assert response.status_code == 400 and response.json()["code"] == code, response.content
    assert not Bid.objects.exists()


def test_the_same_envelope_twice_is_refused_as_a_duplicate(world):
    data, _ = _sealed(world)
    upload_all(world["client"], data, tender_id=world["tender"].pk, lot_id=world["lot_id"])
    again = start(world["client"], data, tender_id=world["tender"].pk, lot_id=world["lot_id"])
    assert again.status_code == 409 and again.json()["code"] == "duplicate_bid"
    assert "已经递交" in again.json()["detail"]
    assert Bid.objects.count() == 1


def test_an_oversize_bid_is_refused_before_any_byte(world, settings):
    settings.YINGSHANG = {**settings.YINGSHANG, "BID_MAX_BYTES": 1000}
    data, _ = _sealed(world)
    response = start(world["client"], data, tender_id=world["tender"].pk, lot_id=world["lot_id"])
    assert response.status_code == 413 and response.json()["code"] == "bid_too_large"
    assert not BidUpload.objects.exists()


def test_a_new_bid_replaces_the_old_one_and_a_withdrawal_is_recorded(world):
    client = world["client"]
    first, _ = _sealed(world, content=b"first version " * 1000)
    second, _ = _sealed(world, content=b"second version " * 1000)
    upload_all(client, first, tender_id=world["tender"].pk, lot_id=world["lot_id"])
    world["clock"].advance(timedelta(hours=1))
    receipt = upload_all(client, second, tender_id=world["tender"].pk, lot_id=world["lot_id"]).json()[
        "receipt"
    ]
    old, new = Bid.objects.order_by("id")
    assert old.status == states.REPLACED and new.status == states.SUBMITTED
    assert receipt["receipt"]["replaces"] == old.pk
    assert bids_facade.submitted_count(world["tender"].pk) == 1
    withdrawn = client.post(
        f"{API}/{new.pk}/withdraw", {"reason": "报价有误"}, content_type="application/json"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert bids_facade.submitted_count(world["tender"].pk) == 0
    assert Outbox.objects.filter(action="trading.bid.withdrawn").count() == 1
    again = client.post(f"{API}/{new.pk}/withdraw", {}, content_type="application/json")
    assert again.status_code == 409


def test_withdrawal_after_the_deadline_is_refused(world):
    data, _ = _sealed(world)
    upload_all(world["client"], data, tender_id=world["tender"].pk, lot_id=world["lot_id"])
    world["clock"].set(world["tender"].bid_deadline)
    bid = Bid.objects.get()
    response = world["client"].post(f"{API}/{bid.pk}/withdraw", {}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "after_deadline"


def test_nobody_else_can_see_a_bid_or_learn_it_exists(world):
    data, _ = _sealed(world)
    body = upload_all(world["client"], data, tender_id=world["tender"].pk, lot_id=world["lot_id"]).json()
    bid = Bid.objects.get()
    cast = world["cast"]
    superuser = make_user(roles=["centre_staff"])
    superuser.is_superuser = True
    superuser.save()
    others = [
        cast.staff_user,
        cast.supervisor_user,
        cast.auditor_user,
        cast.tenderer_user,
        cast.agency_user,
        cast.bidder_user,
        superuser,
    ]
    for user in others:
        client = Client()
        sign_in(client, user)
        assert client.get(f"{API}/uploads/{body['upload_id']}").status_code in (403, 404), user
        assert client.get(f"{API}/{bid.pk}/receipt").status_code in (403, 404), user
        status = client.get(f"{API}/status", {"tender_id": world["tender"].pk})
        assert status.status_code in (403, 404) or status.json() == [], user
        assert client.get(f"/api/v1/files/{bid.document_id}").status_code in (403, 404), user
        assert client.get(f"/api/v1/files/{bid.document_id}/content").status_code in (403, 404), user
    with pytest.raises(Conflict, match=r"截止|deadline"):
        bids_facade.bids_for_opening(world["tender"].pk)
    # The server holds ciphertext only: the price is in no stored byte, and no stored key opens it.
    with files.open_document(bid.document_id) as stored:
        assert b"12345678" not in stored.read()
    header = envelope.read_header(io.BytesIO(data))
    for candidate in (world["bidder"].signing.private_key,):
        with pytest.raises(envelope.EnvelopeError):
            envelope.unwrap_content_key(header, candidate)


def test_a_crash_after_the_last_chunk_keeps_its_stamp(world, django_capture_on_commit_callbacks):
    """The last chunk is committed (verifying) before the slow checks; a resumed request
    finishes the job with the original arrival time."""
    data, _ = _sealed(world)
    client, fixed = world["client"], world["clock"]
    state = start(
        client, data, tender_id=world["tender"].pk, lot_id=world["lot_id"], key="crash-key-0001"
    ).json()
    upload = BidUpload.objects.get()
    offset = 0
    while offset < len(data):
        chunk = data[offset : offset + CHUNK]
        offset = files.stage_chunk(upload.staging_id, offset=offset, data=chunk)
    # What receive_chunk commits before verifying (the process then dies):
    stamp = clock.now()
    BidUpload.objects.filter(pk=upload.pk).update(
        received=len(data), status=states.VERIFYING, last_chunk_at=stamp
    )
    # ... and the envelope had even been stored before the process died, the bid not yet committed.
    files.store_staged(
        upload.staging_id, principal=services._principal_of(upload), name="x.sealed", purpose="sealed_bid"
    )
    fixed.advance(timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        resumed = start(
            client, data, tender_id=world["tender"].pk, lot_id=world["lot_id"], key="crash-key-0001"
        )
    assert resumed.status_code == 200 and resumed.json()["status"] == "complete"
    assert Bid.objects.get().received_at == stamp
    assert state["upload_id"] == resumed.json()["upload_id"]
    assert files.staged_size(upload.staging_id) == 0  # the staged copy went once the bid committed


def test_only_bidders_may_submit(world):
    cast = world["cast"]
    client = Client()
    sign_in(client, cast.tenderer_user)
    data, _ = _sealed(world)
    response = start(client, data, tender_id=world["tender"].pk, lot_id=world["lot_id"])
    assert response.status_code == 403
    assert Client().post(f"{API}/uploads", {}, content_type="application/json").status_code == 401


def test_service_refuses_a_suspended_tender(world):
    from yingshang.trading.projects import services as projects_services

    cast, tender = world["cast"], world["tender"]
    tender.refresh_from_db()
    projects_services.suspend_tender(
        principal=cast.staff, tender_id=tender.pk, reason="异议处理中", expected_version=tender.version
    )
    data, _ = _sealed(world)
    response = start(world["client"], data, tender_id=tender.pk, lot_id=world["lot_id"])
    assert response.status_code == 409 and response.json()["code"] == "tender_not_open"
    assert services.max_bytes(tender.pk) > 0


def test_the_tenders_managers_set_its_size_limit_and_it_holds(world):
    cast, tender = world["cast"], world["tender"]
    agency = Client()
    sign_in(agency, cast.agency_user)
    url = f"{API}/tenders/{tender.pk}/limit"
    assert Client().get(url).json()["max_bytes"] == services.default_max_bytes()
    assert agency.put(url, {"max_bytes": 2 * 1024 * 1024}, content_type="application/json").status_code == 200
    assert Outbox.objects.filter(action="trading.bid.limit_set").count() == 1
    big = b"x" * (3 * 1024 * 1024)
    data, _ = _sealed(world, content=big)
    refused = start(world["client"], data, tender_id=tender.pk, lot_id=world["lot_id"])
    assert refused.status_code == 413 and refused.json()["code"] == "bid_too_large"
    declared, _ = _sealed(world, content=os.urandom(1536 * 1024))
    assert start(world["client"], declared, tender_id=tender.pk, lot_id=world["lot_id"]).status_code == 201
    # Never below an upload already declared; only the managers; never after the deadline.
    too_low = agency.put(url, {"max_bytes": 1024 * 1024}, content_type="application/json")
    assert too_low.status_code == 409 and too_low.json()["code"] == "limit_below_upload"
    bidder_try = world["client"].put(url, {"max_bytes": 5 * 1024 * 1024}, content_type="application/json")
    assert bidder_try.status_code == 403
    world["clock"].set(tender.bid_deadline)
    late = agency.put(url, {"max_bytes": 5 * 1024 * 1024}, content_type="application/json")
    assert late.status_code == 409 and late.json()["code"] == "after_deadline"
