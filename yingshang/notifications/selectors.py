"""Reads of the notifications context: a principal's own inbox, never anyone else's."""

from __future__ import annotations

from yingshang.kernel.policy import Principal
from yingshang.notifications.contracts import DeliveryRecord, InboxEntry
from yingshang.notifications.models import Delivery, InboxItem
from yingshang.notifications.permissions import policy


def entry(item: InboxItem) -> InboxEntry:
    notification = item.notification
    return InboxEntry(
        id=item.pk,
        notification_id=notification.pk,
        template=notification.template,
        subject=notification.subject,
        body=notification.body,
        urgent=notification.urgent,
        created_at=item.created_at,
        read_at=item.read_at,
    )


def inbox(
    principal: Principal, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> list[InboxEntry]:
    """The principal's inbox, newest first."""
    policy.require(principal, "view")
    items = InboxItem.objects.filter(recipient_id=principal.user_id).select_related("notification")
    if unread_only:
        items = items.filter(read_at__isnull=True)
    return [entry(item) for item in items.order_by("-created_at", "-pk")[offset : offset + limit]]


def unread_count(user_id: int | None) -> int:
    if user_id is None:
        return 0
    return InboxItem.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def deliveries_of(notification_id: int) -> dict[str, DeliveryRecord]:
    """Each channel's delivery record of one notification (for operators and tests)."""
    return {
        d.channel: DeliveryRecord(
            channel=d.channel,
            status=d.status,
            attempts=d.attempts,
            last_error=d.last_error,
            address=d.address,
            external_id=d.external_id,
            deliver_after=d.deliver_after,
            delivered_at=d.delivered_at,
        )
        for d in Delivery.objects.filter(notification_id=notification_id)
    }
