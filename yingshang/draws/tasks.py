"""Background work of the draws context.

:func:`perform_due` is a chronograph job (``settings.CHRONOGRAPH_JOBS``): every tick it performs
the prepared draws whose beacon the ledger sequencer has signed since.
"""

from __future__ import annotations

from datetime import datetime

from yingshang.draws import facade


def perform_due(*, now: datetime) -> int:
    return facade.perform_due_draws(now=now)
