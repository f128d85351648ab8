"""The health document that /healthz and /api/v1/system/health return."""

from __future__ import annotations

from typing import Any

from yingshang.ops.selectors import Health


def health_document(report: Health) -> dict[str, Any]:
    def process(p: Any) -> dict[str, Any]:
        return {"status": p.status, "last_seen": p.last_seen.isoformat() if p.last_seen else None}

    return {
        "status": "ok" if report.ok else "error",
        "database": {"status": report.database, "vendor": report.database_vendor},
        "worker": process(report.worker),
        "chronograph": process(report.chronograph),
        "queued_tasks": report.queued_tasks,
    }
