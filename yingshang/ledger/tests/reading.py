"""Helpers for the read-side ledger tests: facts with a given visibility, sequenced."""

from __future__ import annotations

from django.db import transaction

from yingshang.ledger import facade
from yingshang.ledger.contracts import Actor, Subject, Visibility
from yingshang.ledger.models import LogEntry

READ_ACTION = "ledger.read_test.recorded"
facade.register_action(READ_ACTION, "读取测试事实", "read test fact")


def record_fact(visibility: Visibility, *, subject: Subject | None = None, **data: object) -> str:
    """Record one fact; return its leaf hash (hex)."""
    with transaction.atomic():
        promise = facade.record(
            action=READ_ACTION,
            actor=Actor.system("test"),
            subject=subject or Subject("ledger", "read_test", "1"),
            data=dict(data),
            visibility=visibility,
        )
    return promise.entry_hash


def sequenced(*visibilities: Visibility, subject: Subject | None = None) -> list[LogEntry]:
    """Record one fact per visibility, run the sequencer; return their log entries in order."""
    hashes = [record_fact(v, subject=subject, n=n) for n, v in enumerate(visibilities)]
    facade.sequence_once()
    by_hash = {e.leaf_hash: e for e in LogEntry.objects.filter(leaf_hash__in=hashes)}
    return [by_hash[h] for h in hashes]


def run_ledger(*args: str) -> tuple[int, str, str]:
    """``yingshang ledger ARGS``: (exit status, stdout, stderr)."""
    import io

    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()
