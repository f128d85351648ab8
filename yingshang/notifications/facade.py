"""The notifications context's only door for other contexts.

Call :func:`notify` inside your service's ``transaction.atomic()``: the messages are written
with your change and sent only after it commits.
"""

from __future__ import annotations

from yingshang.kernel.policy import Principal
from yingshang.notifications import registry, selectors, services
from yingshang.notifications.contracts import (
    CHANNELS,
    EMAIL,
    INBOX,
    SMS,
    DeliveryRecord,
    InboxEntry,
    MessageTemplate,
)

__all__ = [
    "CHANNELS",
    "EMAIL",
    "INBOX",
    "SMS",
    "DeliveryRecord",
    "InboxEntry",
    "MessageTemplate",
    "deliver_pending",
    "deliveries_of",
    "inbox",
    "notify",
    "register_template",
    "unread_count",
]


#: Queue a template for each recipient (user ids) on the channels, in the caller's transaction;
#: returns the notification ids. See ``services.notify``.
notify = services.notify


def register_template(template: MessageTemplate) -> MessageTemplate:
    """Add (or replace) a message template after checking that every part compiles."""
    services.check_template(template)
    return registry.register(template)


def unread_count(user_id: int | None) -> int:
    return selectors.unread_count(user_id)


def inbox(principal: Principal, *, unread_only: bool = False, limit: int = 50) -> list[InboxEntry]:
    return selectors.inbox(principal, unread_only=unread_only, limit=limit)


def deliveries_of(notification_id: int) -> dict[str, DeliveryRecord]:
    return selectors.deliveries_of(notification_id)


def deliver_pending(*, limit: int = 100) -> int:
    """Send due deliveries now (the worker's task does this; the demo and tests may too)."""
    return services.deliver_pending(limit=limit)
