"""Read-only admin for operators: what was sent to whom, and how each channel fared."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yingshang.kernel.admin import ReadOnlyAdmin
from yingshang.notifications.models import Delivery, InboxItem, Notification


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "channel",
        "status",
        "attempts",
        "deliver_after",
        "delivered_at",
        "last_error",
        "external_id",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "recipient", "template", "subject", "urgent", "language", "created_at"]
    list_filter = ["template", "urgent", "language"]
    search_fields = ["subject", "recipient__username"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "notification", "channel", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["channel", "status"]


@admin.register(InboxItem)
class InboxItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "recipient", "notification", "created_at", "read_at"]
