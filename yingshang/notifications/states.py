"""The life of one delivery (one message on one channel). Pure: no Django.

::

    waiting --(due: quiet hours over / retry time reached)--> pending
    pending --(a worker claims it, compare-and-set)--> sending
    sending --(sent)--> delivered
    sending --(failed, attempts left)--> waiting
    sending --(failed, no attempts left)--> failed
    sending --(worker lost for longer than the lease)--> waiting
    sending --(the recipient has no address for the channel, or is inactive)--> skipped

Only ``sending -> delivered`` sends anything, and only the worker that won the
``pending -> sending`` compare-and-set may make it; so a message is sent at most once even if
the delivery task runs twice.
"""

from __future__ import annotations

WAITING = "waiting"
PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
FAILED = "failed"
SKIPPED = "skipped"

STATUSES: tuple[str, ...] = (WAITING, PENDING, SENDING, DELIVERED, FAILED, SKIPPED)
FINAL: frozenset[str] = frozenset({DELIVERED, FAILED, SKIPPED})

TRANSITIONS: dict[str, frozenset[str]] = {
    WAITING: frozenset({PENDING}),
    PENDING: frozenset({SENDING}),
    SENDING: frozenset({DELIVERED, WAITING, FAILED, SKIPPED}),
    DELIVERED: frozenset(),
    FAILED: frozenset(),
    SKIPPED: frozenset(),
}


def may_move(source: str, target: str) -> bool:
    return target in TRANSITIONS.get(source, frozenset())
