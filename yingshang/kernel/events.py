"""Domain events, published on commit.

A service that changed something publishes a frozen dataclass event; the handlers subscribed to
its type run after the surrounding transaction commits, and never if it rolls back, so nobody is
told about a change that did not happen. Outside any transaction (autocommit) they run at once:
that is :func:`django.db.transaction.on_commit`'s own rule, and it holds because the write the
event reports has then already been committed.

Handlers are small: they typically enqueue a django-tasks task (which the worker runs with its
own retries) rather than do the work themselves. A handler that raises is logged and skipped;
the other handlers still run and the commit, already done, stands.

This module imports only ``django.db.transaction`` from Django (for ``on_commit``); event
classes themselves are plain dataclasses that contexts declare in their own pure ``events.py``.

Example::

    @dataclass(frozen=True)
    class OrganisationRegistered(DomainEvent):
        name: ClassVar[str] = "identity.organisation.registered"
        organisation_id: int
        uscc: str

    @subscribe(OrganisationRegistered)
    def send_welcome(event: OrganisationRegistered) -> None:
        send_welcome_task.enqueue(organisation_id=event.organisation_id)

    # in a service, inside transaction.atomic():
    publish(OrganisationRegistered(organisation_id=org.id, uscc=org.uscc))
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.db import transaction

__all__ = ["DomainEvent", "Handler", "handlers_for", "publish", "subscribe", "unsubscribe"]

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """Base of every domain event: a frozen dataclass with a dotted ``name`` class attribute.

    ``name`` is ``"<context>.<aggregate>.<past-tense verb>"`` (``"trading.bid.submitted"``);
    subclasses must set it, except a grouping base declared ``class TenderEvent(DomainEvent,
    abstract=True)`` (subscribing to it reaches every subclass). Fields hold ids and plain values,
    not model instances, so a handler can pass them on to a task.
    """

    name: ClassVar[str] = ""

    def __init_subclass__(cls, *, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not abstract and not cls.__dict__.get("name"):
            raise TypeError(
                f"{cls.__qualname__} must set the class attribute name, e.g. 'context.thing.happened'"
            )

    def payload(self) -> dict[str, Any]:
        """The event's fields as a dict (for task arguments and logs)."""
        return dataclasses.asdict(self)


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Any], None]

_handlers: dict[type[DomainEvent], list[Handler]] = {}


def subscribe(event_type: type[E], handler: Callable[[E], None] | None = None) -> Any:
    """Call ``handler(event)`` after commit for every published ``event_type`` (or subclass).

    Use directly, ``subscribe(BidSubmitted, notify)``, or as a decorator, ``@subscribe(BidSubmitted)``.
    Subscribing the same handler twice has no further effect. Subscribe at import time of the
    subscribing context's ``tasks.py`` (its ``AppConfig.ready()`` imports it).
    """
    if not (isinstance(event_type, type) and issubclass(event_type, DomainEvent)):
        raise TypeError(f"{event_type!r} is not a DomainEvent class")

    def register(func: Callable[[E], None]) -> Callable[[E], None]:
        registered = _handlers.setdefault(event_type, [])
        if func not in registered:
            registered.append(func)
        return func

    if handler is None:
        return register
    return register(handler)


def unsubscribe(event_type: type[DomainEvent], handler: Handler) -> None:
    """Remove a subscription (mainly for tests); unknown ones are ignored."""
    registered = _handlers.get(event_type, [])
    if handler in registered:
        registered.remove(handler)


def handlers_for(event_type: type[DomainEvent]) -> list[Handler]:
    """The handlers an event of this type reaches: its own, then its base classes' (MRO order)."""
    found: list[Handler] = []
    for klass in event_type.__mro__:
        for handler in _handlers.get(klass, ()):
            if handler not in found:
                found.append(handler)
    return found


def publish(event: DomainEvent, *, using: str | None = None) -> None:
    """Deliver ``event`` to its handlers when the current transaction on ``using`` commits."""
    if not isinstance(event, DomainEvent):
        raise TypeError(f"{event!r} is not a DomainEvent")
    transaction.on_commit(lambda: _deliver(event), using=using)


def _deliver(event: DomainEvent) -> None:
    for handler in handlers_for(type(event)):
        try:
            handler(event)
        except Exception:
            # The payload is not logged: an event may name a party that must stay secret for now.
            logger.exception(
                "Handler %s failed for event %s", getattr(handler, "__qualname__", repr(handler)), event.name
            )
