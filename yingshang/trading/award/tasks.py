"""Background work of the award context.

:func:`due` is a chronograph job (``settings.CHRONOGRAPH_JOBS``): every tick it ends the
candidate publicities whose last day has passed without a waiting objection and marks the
statutory clocks whose due day has passed as overdue. Idempotent.
"""

from __future__ import annotations

from datetime import datetime

from yingshang.trading.award import services


def due(now: datetime) -> int:
    return services.apply_due(now)
