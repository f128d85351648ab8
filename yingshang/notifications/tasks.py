"""Background work of the notifications context.

- ``deliver_due``: the django-tasks task the outbox enqueues on commit; it sends every
  delivery that is due (``services.deliver_pending``).
- :func:`release_due`: a chronograph job (``settings.CHRONOGRAPH_JOBS``), called every tick with
  the domain time, that makes deliveries due once quiet hours or retry back-off are over and
  enqueues ``deliver_due`` for them.
"""

from __future__ import annotations

from datetime import datetime

from yingshang.notifications import services
from yingshang.notifications.services import deliver_due, deliver_pending

__all__ = ["deliver_due", "deliver_pending", "release_due"]


def release_due(now: datetime) -> int:
    """Make due deliveries pending and enqueue a delivery run; returns how many became due."""
    moved = services.release(now=now)
    if moved:
        services.enqueue_delivery()
    return moved
