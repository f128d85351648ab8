"""Background work of the projects context.

:func:`apply_due` is a chronograph job (``settings.CHRONOGRAPH_JOBS``): every tick, for each
tender whose ``next_check`` has come, it applies what fell due through the services with the
actor ``Actor.system("chronograph")``: the download period over, the bid deadline reached
(closed for bids), a suspension with an end time lifted.

:func:`recheck_provisional` runs when a holiday notice is loaded (``on_calendar_changed``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from yingshang.trading.projects import services

logger = logging.getLogger(__name__)


def recheck_provisional(years: frozenset[int]) -> None:
    """``kernel.calendar_store.on_calendar_changed`` callback (registered by the app): a loaded
    holiday notice may make provisional timelines final."""
    services.recheck_provisional(years)


def apply_due(now: datetime) -> int:
    """Apply every due transition; returns how many tenders moved. One tender's failure is
    logged and does not stop the others."""
    moved = 0
    for tender_id in services.due_tender_ids(now):
        try:
            if services.apply_due(tender_id=tender_id, now=now):
                moved += 1
        except Exception:
            logger.exception("projects: due transitions of tender %s failed", tender_id)
    return moved
