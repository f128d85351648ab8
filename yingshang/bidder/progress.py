"""A progress bar on stderr: redrawn in place on a terminal, otherwise a line every 10 %."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

MIB = 1024 * 1024


class Progress:
    def __init__(
        self,
        total: int,
        *,
        stream: TextIO | None = None,
        tty: bool | None = None,
        label: str = "upload",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.label = label
        self.clock = clock
        self.started = clock()
        self._last_step = -1
        self._done = False

    def _line(self, done: int) -> str:
        fraction = min(done / self.total, 1.0)
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = done / MIB / elapsed
        text = f"{self.label} {fraction * 100:5.1f}% {done / MIB:8.1f}/{self.total / MIB:.1f} MiB {rate:6.1f} MiB/s"
        if self.tty:
            width = 30
            filled = int(width * fraction)
            text = f"[{'#' * filled}{' ' * (width - filled)}] " + text
        return text

    def update(self, done: int) -> None:
        if self.tty:
            self.stream.write("\r" + self._line(done))
            self.stream.flush()
            return
        step = int(min(done / self.total, 1.0) * 10)
        if step != self._last_step:
            self._last_step = step
            self.stream.write(self._line(done) + "\n")
            self.stream.flush()

    def note(self, message: str) -> None:
        if self.tty:
            self.stream.write("\n")
        self.stream.write(message + "\n")
        self.stream.flush()

    def finish(self, done: int) -> None:
        if self._done:
            return
        self._done = True
        self.update(done)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
