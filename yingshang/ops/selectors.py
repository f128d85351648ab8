"""Reads of the operations context: the health report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from yingshang.ops.models import Heartbeat
from yingshang.ops.services import STALE_AFTER


@dataclass(frozen=True)
class ProcessHealth:
    status: str  # "ok", "stale" or "absent"
    last_seen: datetime | None


@dataclass(frozen=True)
class Health:
    database: str  # "ok" or "error"
    database_vendor: str
    worker: ProcessHealth
    chronograph: ProcessHealth
    queued_tasks: int | None

    @property
    def ok(self) -> bool:
        return self.database == "ok"


def _process(kind: str, now: datetime) -> ProcessHealth:
    last = Heartbeat.objects.filter(kind=kind).order_by("-last_seen").values_list("last_seen", flat=True).first()
    if last is None:
        return ProcessHealth("absent", None)
    return ProcessHealth("ok" if now - last <= STALE_AFTER else "stale", last)


def health() -> Health:
    now = timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        absent = ProcessHealth("absent", None)
        return Health("error", connection.vendor, absent, absent, None)
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.ready().count()
    return Health("ok", connection.vendor, _process("worker", now), _process("chronograph", now), queued)
