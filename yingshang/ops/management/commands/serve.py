"""``yingshang serve``: the ASGI server, the task worker, the chronograph and the ledger sequencer.

Ctrl-C (or SIGTERM) stops all four; if one of them dies, the others are stopped too and the
command exits with an error, so a broken process never goes unnoticed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the platform with its worker, chronograph and ledger sequencer (what `make run` starts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("YINGSHANG_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("YINGSHANG_PORT", "8000")))
        parser.add_argument("--no-accounts", action="store_true", help="Do not print the demo accounts.")

    def handle(self, *args: Any, host: str, port: int, no_accounts: bool, **options: Any) -> None:
        python = sys.executable
        manage = [python, "-m", "yingshang"]
        commands = {
            "web": [
                python,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                host,
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--no-server-header",
                # Live streams (server-sent events) never finish by themselves: end them after a
                # few seconds instead of waiting for every guest to leave.
                "--timeout-graceful-shutdown",
                "3",
                # Web processes (YINGSHANG_WEB_WORKERS, default 1): Python runs one thread at a
                # time per process, so a deadline surge uses a second core only with a second
                # process (bench/surge.py --workers).
                "--workers",
                str(max(1, int(os.environ.get("YINGSHANG_WEB_WORKERS", "1")))),
            ],
            "worker": [*manage, "worker", "--queue-name", "*", "--interval", "1"],
            "chronograph": [*manage, "chronograph"],
            "sequencer": [*manage, "ledger", "sequence", "--loop"],
        }
        if not no_accounts:
            from yingshang.demo.accounts import print_accounts

            print_accounts(self.stdout, base_url=f"http://{host}:{port}")
        processes: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, env=os.environ.copy())  # noqa: S603
        self.stdout.write(
            f"Serving on http://{host}:{port}/ with the worker, chronograph and sequencer; Ctrl-C stops all."
        )
        failed = ""
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    failed = f"{name} exited with code {process.returncode}"
                    stopping = True
                    break
            time.sleep(0.5)
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in processes.values():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                process.kill()
        if failed:
            self.stderr.write(f"Stopped: {failed}.")
            sys.exit(1)
        self.stdout.write("Stopped.")
