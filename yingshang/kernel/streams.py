"""Stream helpers shared by contexts. Pure: no Django."""

from __future__ import annotations

import hashlib
from typing import IO


class HashingReader:
    """Reads through to ``stream`` and hashes every byte read (SHA-256), so one pass over a file
    serves a parser (the envelope's checks) and the file's own hash."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return bytes(data)

    def drain(self) -> None:
        """Read (and hash) what the parser left."""
        while self.read(1024 * 1024):
            pass
