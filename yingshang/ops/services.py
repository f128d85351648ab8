"""Writes of the operations context: process heartbeats."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from yingshang.ops.models import Heartbeat


def beat(*, kind: str, started_at: datetime, now: datetime | None = None) -> None:
    """Record that this process is alive. Uses the wall clock: liveness is not domain time."""
    moment = now or timezone.now()
    with transaction.atomic():
        Heartbeat.objects.update_or_create(
            kind=kind,
            host=socket.gethostname(),
            pid=os.getpid(),
            defaults={"last_seen": moment, "started_at": started_at},
        )
        # Forget processes that stopped long ago so the table stays small.
        Heartbeat.objects.filter(last_seen__lt=moment - timedelta(days=1)).delete()


def forget(*, kind: str) -> None:
    Heartbeat.objects.filter(kind=kind, host=socket.gethostname(), pid=os.getpid()).delete()
