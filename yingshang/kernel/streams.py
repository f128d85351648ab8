"""Stream helpers shared by contexts. Pure: no Django."""

from __future__ import annotations

import hashlib
import re
from typing import IO

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def is_sha256_hex(value: object) -> bool:
    """``value`` is a SHA-256 as the platform writes it: exactly 64 lower-case hex digits."""
    return isinstance(value, str) and _SHA256_HEX.fullmatch(value) is not None


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
