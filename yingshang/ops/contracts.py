"""The health report: what /healthz and /api/v1/system/health return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# A process that has not beaten for this long counts as gone.
STALE_AFTER = timedelta(seconds=30)


@dataclass(frozen=True)
class ProcessHealth:
    status: str  # "ok", "stale" or "absent"
    last_seen: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "last_seen": self.last_seen.isoformat() if self.last_seen else None}


@dataclass(frozen=True)
class Health:
    database: str  # "ok" or "error"
    database_vendor: str
    worker: ProcessHealth
    chronograph: ProcessHealth
    queued_tasks: int | None
    sequencer: ProcessHealth

    @property
    def ok(self) -> bool:
        return self.database == "ok"


def health_document(report: Health) -> dict[str, Any]:
    return {
        "status": "ok" if report.ok else "error",
        "database": {"status": report.database, "vendor": report.database_vendor},
        "worker": report.worker.as_dict(),
        "chronograph": report.chronograph.as_dict(),
        "queued_tasks": report.queued_tasks,
        "sequencer": report.sequencer.as_dict(),
    }
