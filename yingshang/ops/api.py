from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from yingshang.ops.contracts import health_document
from yingshang.ops.selectors import health

router = Router(tags=["system"])


class ProcessOut(Schema):
    status: str
    last_seen: str | None


class DatabaseOut(Schema):
    status: str
    vendor: str


class HealthOut(Schema):
    status: str
    database: DatabaseOut
    worker: ProcessOut
    chronograph: ProcessOut
    queued_tasks: int | None
    sequencer: ProcessOut


@router.get("/health", response={200: HealthOut, 503: HealthOut}, auth=None, summary="Platform health")
def get_health(request: HttpRequest) -> Status:
    report = health()
    return Status(200 if report.ok else 503, health_document(report))
