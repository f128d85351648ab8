"""Helpers for the write-side ledger tests: a test action and a quick way to record facts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from yingshang.ledger import facade
from yingshang.ledger.contracts import Actor, EntryPromise, Subject, Visibility

TEST_ACTION = "ledger.test.recorded"
facade.register_action(TEST_ACTION, "测试事实已记录", "test fact recorded")


def record_one(number: int = 0, **data: object) -> EntryPromise:
    return facade.record(
        action=TEST_ACTION,
        actor=Actor.user(7, organisation_id=3, role="bidder"),
        subject=Subject("ledger", "test", str(number)),
        data={"number": number, **data},
        visibility=Visibility.parties(user_ids=[7], organisation_ids=[3]),
    )


def record_many(count: int, start: int = 0) -> list[EntryPromise]:
    with transaction.atomic():
        return [record_one(start + n) for n in range(count)]


@contextmanager
def tampering() -> Iterator[None]:
    """Let a test edit the insert-only tables as an intruder with database access would
    (their insert-only triggers are bypassed; the test's transaction restores them)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:  # the test's transaction rolls this back with everything else
            for table in ("ledger_logentry", "ledger_treenode", "ledger_checkpoint", "ledger_cosignature"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        yield
