"""Background work of the opening hall.

:func:`open_due` is a chronograph job (``settings.CHRONOGRAPH_JOBS``, after the projects job):
every tick it opens the lots whose bid deadline has come (T8) and closes the decryption windows
that have ended. Idempotent: a restart picks up where the database says.
"""

from __future__ import annotations

from datetime import datetime

from yingshang.trading.opening import services


def open_due(now: datetime) -> int:
    return services.open_due_sessions(now)
