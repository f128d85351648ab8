"""``yingshang worker``: the task worker (django-tasks-db) with a heartbeat for /healthz."""

from __future__ import annotations

import threading
from typing import Any

from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from yingshang.ops import services

HEARTBEAT_SECONDS = 5.0


class Command(DbWorkerCommand):
    help = "Run the background task worker (with a heartbeat that /healthz reads)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = timezone.now()
        stop = threading.Event()

        def heartbeat() -> None:
            try:
                while not stop.is_set():
                    close_old_connections()
                    try:
                        services.beat(kind="worker", started_at=started)
                    except Exception as exc:  # the worker keeps working if a beat fails
                        self.stderr.write(f"heartbeat failed: {exc}")
                    stop.wait(HEARTBEAT_SECONDS)
            finally:
                connection.close()

        thread = threading.Thread(target=heartbeat, name="heartbeat", daemon=True)
        thread.start()
        try:
            options["reload"] = False
            super().handle(*args, **options)
        finally:
            stop.set()
            thread.join(timeout=HEARTBEAT_SECONDS)
