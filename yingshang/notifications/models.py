"""The outbox: one notification per recipient, one delivery per channel, the in-app inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yingshang.notifications import states
from yingshang.notifications.contracts import CHANNELS

CHANNEL_CHOICES = [("inbox", _("In-app inbox")), ("email", _("E-mail")), ("sms", _("SMS"))]
STATUS_CHOICES = [
    (states.WAITING, _("waiting")),
    (states.PENDING, _("pending")),
    (states.SENDING, _("sending")),
    (states.DELIVERED, _("delivered")),
    (states.FAILED, _("failed")),
    (states.SKIPPED, _("skipped")),
]


class Notification(models.Model):
    """One message to one recipient, rendered once in the recipient's language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    template = models.CharField(_("template"), max_length=100)
    context = models.JSONField(_("context"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    sms_text = models.CharField(_("SMS text"), max_length=500)
    urgent = models.BooleanField(_("urgent"), default=False)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """The sending of one notification on one channel, with every attempt's outcome."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notification")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNEL_CHOICES)
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, db_index=True)
    deliver_after = models.DateTimeField(_("deliver after"))
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    external_id = models.CharField(_("message id"), max_length=255, blank=True)
    claim = models.CharField(_("claim"), max_length=32, blank=True)
    claimed_at = models.DateTimeField(_("claimed at (wall clock)"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued at (wall clock)"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="notifications_one_delivery_per_channel"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=states.STATUSES), name="notifications_delivery_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=CHANNELS), name="notifications_delivery_channel_known"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notifications_due_idx")]

    def __str__(self) -> str:
        return f"{self.notification_id}/{self.channel}: {self.status}"


class InboxItem(models.Model):
    """A notification as shown in the recipient's in-app inbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="inbox_items",
        verbose_name=_("recipient"),
    )
    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="inbox_item", verbose_name=_("notification")
    )
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notifications_unread_idx")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.notification_id}"
