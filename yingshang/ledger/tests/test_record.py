"""``record()``: the one way into the ledger, inside the caller's transaction."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from yingshang.kernel import clock, request_context
from yingshang.ledger import actions, entry, facade, merkle, verifier
from yingshang.ledger.contracts import Actor, Subject, Visibility
from yingshang.ledger.models import OutboxEntry
from yingshang.ledger.tests.recording import TEST_ACTION, record_one

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)


def test_record_writes_the_canonical_entry_to_the_outbox() -> None:
    token = request_context.bind(request_id="req-1", client_address="203.0.113.9")
    try:
        with clock.use(clock.FixedClock(AT)):
            promise = record_one(5, amount=Decimal("12.50"))
    finally:
        request_context.reset(token)
    row = OutboxEntry.objects.get()
    fields = json.loads(row.entry)
    assert fields["action"] == TEST_ACTION
    assert fields["actor"] == {"kind": "user", "user_id": 7, "organisation_id": 3, "role": "bidder"}
    assert fields["subject"] == {"context": "ledger", "type": "test", "id": "5"}
    assert fields["data"] == {"number": 5, "amount": "12.50"}
    assert fields["visibility"] == {"kind": "parties", "user_ids": [7], "organisation_ids": [3]}
    assert fields["time"] == "2026-11-30T08:30:00.000000Z"
    assert fields["request"] == {"id": "req-1", "address": "203.0.113.9"}
    assert len(base64.b64decode(fields["salt"])) == 16
    assert row.leaf_hash == merkle.leaf_hash(row.entry.encode()).hex() == promise.entry_hash
    assert promise.time == AT
    assert promise.outbox_id == row.pk


def test_two_identical_facts_hash_differently() -> None:
    with clock.use(clock.FixedClock(AT)):
        first, second = record_one(1), record_one(1)
    assert first.entry_hash != second.entry_hash


def test_the_promise_verifies_with_the_published_key() -> None:
    promise = record_one()
    key = verifier.parse_verifier_key(facade.verifier_key())
    assert key.name == promise.origin == facade.origin()
    assert key.key_id.hex() == promise.key_id
    text = verifier.promise_text(
        origin=promise.origin,
        leaf_hash=bytes.fromhex(promise.entry_hash),
        time=entry.format_time(promise.time),
    )
    verifier.verify_promise(key.public_key, text, promise.signature)
    forged = verifier.promise_text(
        origin=promise.origin, leaf_hash=b"\x01" * 32, time="2026-11-30T08:30:00.000000Z"
    )
    with pytest.raises(verifier.PromiseError):
        verifier.verify_promise(key.public_key, forged, promise.signature)


def test_a_rolled_back_transaction_leaves_no_evidence() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record_one()
        raise RuntimeError("the business write failed")
    assert not OutboxEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused() -> None:
    with pytest.raises(facade.LedgerUsageError, match=r"inside the caller's transaction\.atomic\(\)"):
        record_one()
    assert not OutboxEntry.objects.exists()
    with transaction.atomic():
        record_one()
    assert OutboxEntry.objects.count() == 1


def test_unknown_actions_are_refused_with_a_message() -> None:
    with pytest.raises(actions.UnknownAction, match=r"trading\.bid\.submited.*not registered"):
        facade.record(
            action="trading.bid.submited",
            actor=Actor.system("chronograph"),
            subject=Subject("trading", "bid", "1"),
            data={},
            visibility=Visibility.oversight(),
        )
    assert not OutboxEntry.objects.exists()


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        record_one(amount=1.5)
    assert not OutboxEntry.objects.exists()


def test_action_registry() -> None:
    assert str(facade.action_label(TEST_ACTION).render("en")) == "test fact recorded"
    assert facade.action_label(TEST_ACTION).render("zh-hans") == "测试事实已记录"
    assert TEST_ACTION in facade.registered_actions()
    facade.register_action(TEST_ACTION, "测试事实已记录", "test fact recorded")  # the same again: fine
    with pytest.raises(actions.ActionError, match="already registered"):
        facade.register_action(TEST_ACTION, "别的", "something else")
    for bad in ("Trading.bid.submitted", "trading.bid", "trading..submitted", "trading.bid.submitted."):
        with pytest.raises(actions.ActionError, match="dotted"):
            facade.register_action(bad, "中", "en")
    with pytest.raises(actions.ActionError, match="both"):
        facade.register_action("ledger.test.unlabelled", "", "en")
