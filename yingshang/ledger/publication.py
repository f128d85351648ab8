"""Publication events: ``mark_event`` tells the ledger that an event has happened for a subject,
which makes every entry recorded with ``Visibility.public_from(event, subject)`` public."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from yingshang.kernel import clock
from yingshang.ledger.contracts import Subject
from yingshang.ledger.models import LedgerEvent

__all__ = ["mark_event"]


def mark_event(*, event: str, subject: Subject, at: datetime | None = None) -> LedgerEvent:
    """Record that ``event`` happened for ``subject`` (idempotent: the first time counts).

    Call it in the transaction that makes the event happen (e.g. the opening of a tender), so the
    entries become public exactly when the event commits.
    """
    if not event or len(event) > 100:
        raise ValueError("event must be a non-empty code of at most 100 characters")
    key = {
        "event": event,
        "subject_context": subject.context,
        "subject_type": subject.type,
        "subject_id": str(subject.id),
    }
    with transaction.atomic():
        existing = LedgerEvent.objects.filter(**key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return LedgerEvent.objects.create(**key, happened_at=at or clock.now())
        except IntegrityError:  # a concurrent mark won
            return LedgerEvent.objects.get(**key)
