"""The chunk hot path (``services._append_next``): the next chunk of an upload this process has
seen is one conditional update; everything else goes the general way with the same answers."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yingshang.identity import facade as identity
from yingshang.kernel.errors import Conflict, NotFound
from yingshang.trading.bids import services, states
from yingshang.trading.bids.models import Bid, BidUpload
from yingshang.trading.bids.tests.builders import CHUNK, Bidder, bidding_world

pytestmark = [pytest.mark.django_db(transaction=False)]


@pytest.fixture
def world(settings):
    with bidding_world(settings) as world:
        bidder, tender, lot_id = world["bidder"], world["tender"], world["lot_id"]
        data, _ = bidder.seal(tender_id=tender.pk, lot_id=lot_id)
        principal = identity.principal_for_user(bidder.user, organisation_id=bidder.organisation.pk)
        state = services.start_upload(
            principal=principal,
            tender_id=tender.pk,
            lot_id=lot_id,
            idempotency_key=f"test-{uuid.uuid4().hex}",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        yield {**world, "data": data, "principal": principal, "state": state}


def _send(world, offset: int, size: int = CHUNK):
    data = world["data"]
    return services.receive_chunk(
        principal=world["principal"],
        upload_id=world["state"].upload.public_id,
        offset=offset,
        data=data[offset : offset + size],
    )


def _upload_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "bids_bidupload" in q["sql"]]


def test_the_next_chunk_is_one_conditional_update(world):
    _send(world, 0)
    with CaptureQueriesContext(connection) as queries:
        state = _send(world, CHUNK)
    upload_sql = _upload_queries(queries)
    assert len(upload_sql) == 1 and upload_sql[0].lstrip().upper().startswith("UPDATE")
    assert state.upload.received == 2 * CHUNK and state.upload.status == states.RECEIVING
    row = BidUpload.objects.get()
    assert (row.received, row.status, row.updated_at) == (
        2 * CHUNK,
        states.RECEIVING,
        state.upload.updated_at,
    )
    assert state.upload.public_id == row.public_id and state.upload.sha256 == row.sha256


def test_a_process_that_did_not_start_the_upload_reads_it_first_then_remembers_it(world):
    services._uploads_seen.clear()
    with CaptureQueriesContext(connection) as queries:
        _send(world, 0)
    assert any(sql.lstrip().upper().startswith("SELECT") for sql in _upload_queries(queries))
    with CaptureQueriesContext(connection) as queries:
        _send(world, CHUNK)
    assert not any(sql.lstrip().upper().startswith("SELECT") for sql in _upload_queries(queries))
    offset = 2 * CHUNK
    while offset < len(world["data"]):
        state = _send(world, offset)
        offset = state.upload.received
    assert state.bid is not None and state.upload.status == states.COMPLETE
    assert Bid.objects.get().envelope_sha256 == hashlib.sha256(world["data"]).hexdigest()
    assert world["state"].upload.public_id not in services._uploads_seen


def test_anything_but_the_next_chunk_gets_the_general_answers(world):
    _send(world, 0)
    assert _send(world, 0).upload.received == CHUNK  # sent again after a lost answer
    with pytest.raises(Conflict) as gap:
        _send(world, 2 * CHUNK)
    assert gap.value.code == "wrong_offset"
    with pytest.raises(Conflict) as late:
        world["clock"].set(world["tender"].bid_deadline)
        _send(world, CHUNK)
    assert late.value.code == "late"
    assert BidUpload.objects.get().status == states.REFUSED


def test_another_organisations_principal_finds_nothing(world):
    _send(world, 0)
    other = Bidder.make(world["vendor"], name="金城市别家建设工程有限公司")
    principal = identity.principal_for_user(other.user, organisation_id=other.organisation.pk)
    with pytest.raises(NotFound):
        services.receive_chunk(
            principal=principal,
            upload_id=world["state"].upload.public_id,
            offset=CHUNK,
            data=world["data"][CHUNK : 2 * CHUNK],
        )
    assert BidUpload.objects.get().received == CHUNK


def test_the_projects_facade_reads_deadline_and_ocid_in_plain_queries(world):
    from yingshang.trading.projects import facade as projects

    tender = world["tender"]
    deadline = projects.bid_deadline_of(tender.pk)
    assert deadline == tender.bid_deadline and deadline.utcoffset() is not None
    assert projects.tender_ocid(tender.pk) == tender.ocid
    with pytest.raises(NotFound):
        projects.bid_deadline_of(tender.pk + 1000)
    with pytest.raises(NotFound):
        projects.tender_ocid(tender.pk + 1000)


@pytest.mark.parametrize("sha256", ["ab" * 31, "ab" * 32 + "\n", "zz" * 32, "ab" * 33])
def test_a_declared_hash_that_is_not_64_hex_digits_is_refused(world, sha256: str) -> None:
    from yingshang.kernel.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        services.start_upload(
            principal=world["principal"],
            tender_id=world["tender"].pk,
            lot_id=world["lot_id"],
            idempotency_key=f"test-{uuid.uuid4().hex}",
            size=len(world["data"]),
            sha256=sha256,
        )
    assert refused.value.code == "bad_sha256"
