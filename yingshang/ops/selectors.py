"""Reads of the operations context: the health report."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from yingshang.ops.contracts import STALE_AFTER, Health, ProcessHealth
from yingshang.ops.models import Heartbeat


def _process(kind: str, now: datetime) -> ProcessHealth:
    last = (
        Heartbeat.objects.filter(kind=kind).order_by("-last_seen").values_list("last_seen", flat=True).first()
    )
    if last is None:
        return ProcessHealth("absent", None)
    return ProcessHealth("ok" if now - last <= STALE_AFTER else "stale", last)


def health() -> Health:
    """Wall-clock liveness of the database, the worker, the chronograph and the ledger sequencer."""
    now = timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        absent = ProcessHealth("absent", None)
        return Health("error", connection.vendor, absent, absent, None, absent)
    queued = DBTaskResult.objects.ready().count()
    return Health(
        "ok",
        connection.vendor,
        _process("worker", now),
        _process("chronograph", now),
        queued,
        _process("sequencer", now),
    )
