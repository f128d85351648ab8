"""``yingshang chronograph``: apply due transitions every few seconds."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from yingshang.kernel import clock
from yingshang.ops import chronograph, services


class Command(BaseCommand):
    help = "Run the chronograph loop that applies due deadlines, publicity ends, SLA escalations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.CHRONOGRAPH_INTERVAL_SECONDS,
            help="Seconds between ticks.",
        )

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        stop = threading.Event()

        def shutdown(signum: int, frame: FrameType | None) -> None:
            stop.set()

        if not once:
            signal.signal(signal.SIGINT, shutdown)
            signal.signal(signal.SIGTERM, shutdown)
        started = timezone.now()
        try:
            while True:
                services.beat(kind="chronograph", started_at=started)
                result = chronograph.tick(clock.now())
                for path, count in result.moved.items():
                    if count:
                        self.stdout.write(f"{result.now.isoformat()} {path}: {count}")
                for path, error in result.failed.items():
                    self.stderr.write(f"{result.now.isoformat()} {path} failed: {error}")
                if once or stop.wait(interval):
                    break
                close_old_connections()  # as after a request: drop broken or expired connections
        finally:
            if not once:
                services.forget(kind="chronograph")
