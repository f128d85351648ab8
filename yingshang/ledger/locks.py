"""The sequencer's lock: exactly one sequencer per database at a time.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a fixed key, taken on
  the connection the sequencer writes with and released when the pass ends (or when the
  connection dies, so a killed sequencer never leaves it behind).
- SQLite: an exclusive, non-blocking ``flock`` on ``VAR_DIR/ledger-sequencer-<digest>.lock``,
  where the digest names the database file (two databases in one var directory, such as a
  test run beside the development server, do not stop each other). The kernel drops the lock
  when the process dies.

Neither waits: a second sequencer learns at once that another one is running.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

#: The advisory-lock key: the first 8 bytes of SHA-256("yingshang.ledger.sequencer"), signed.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"yingshang.ledger.sequencer").digest()[:8], "big", signed=True)


def lock_path() -> Path:
    """The SQLite lock file of the current database."""
    name = str(connection.settings_dict["NAME"])
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return Path(settings.VAR_DIR) / f"ledger-sequencer-{digest}.lock"


@contextmanager
def sequencer_lock() -> Iterator[bool]:
    """Hold the sequencer lock for the ``with`` block; yields False (at once) if it is taken."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
            acquired = bool(cursor.fetchone()[0])
        if not acquired:
            yield False
            return
        try:
            yield True
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
        return
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
