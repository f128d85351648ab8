"""Background work of the experts context.

:func:`complete_due` is a chronograph job (``settings.CHRONOGRAPH_JOBS``, after
``draws.tasks.perform_due``): every tick it turns performed expert draws into invited seats
(notifying the drawn experts), expires invitations not answered within
``EXPERT_RESPONSE_MINUTES`` and draws replacements for declined or expired seats.
"""

from __future__ import annotations

from datetime import datetime

from yingshang.trading.experts import services


def complete_due(*, now: datetime) -> int:
    return services.complete_due(now=now)
