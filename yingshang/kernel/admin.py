"""Reference data in the admin, read-only: calendars change with `yingshang calendar load`,
the sandbox clock with `yingshang clock`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yingshang.kernel.models import CalendarDay, ClockSetting, HolidayNotice


class ReadOnlyAdmin(admin.ModelAdmin):
    """The base of every context's admin: superusers look; writes go through services."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HolidayNotice)
class HolidayNoticeAdmin(ReadOnlyAdmin):
    list_display = ("year", "number", "published_on", "verified", "origin", "loaded_at")
    list_filter = ("verified", "origin")


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "kind", "holiday", "notice")
    list_filter = ("kind", "notice__year")
    date_hierarchy = "date"


@admin.register(ClockSetting)
class ClockSettingAdmin(ReadOnlyAdmin):
    pass
