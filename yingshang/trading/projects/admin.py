"""Read-only admin: projects and tenders change through the services only (every change is
evidence in the ledger)."""

from __future__ import annotations

from django.contrib import admin

from yingshang.kernel.admin import ReadOnlyAdmin
from yingshang.trading.projects.models import Amendment, HistoryEntry, Lot, Notice, Project, Tender


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "resource_kind", "regime", "intake_status", "submitted_at", "version"]
    list_filter = ["intake_status", "resource_kind", "regime"]
    search_fields = ["code", "name"]
    date_hierarchy = "submitted_at"


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ["project", "number", "name", "estimated_price_fen", "deposit_fen", "deposit_form"]
    search_fields = ["name", "project__code"]


@admin.register(Tender)
class TenderAdmin(ReadOnlyAdmin):
    list_display = ["ocid", "method", "status", "published_at", "bid_deadline", "next_check", "version"]
    list_filter = ["status", "method", "resource_kind", "regime"]
    search_fields = ["ocid", "title"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["tender", "version", "kind", "title", "published_at", "ledger_entry_hash"]
    list_filter = ["kind"]
    search_fields = ["title", "tender__ocid"]


@admin.register(Amendment)
class AmendmentAdmin(ReadOnlyAdmin):
    list_display = [
        "tender",
        "amended_at",
        "affects_preparation",
        "source",
        "deadline_before",
        "deadline_after",
    ]


@admin.register(HistoryEntry)
class HistoryEntryAdmin(ReadOnlyAdmin):
    list_display = ["project", "tender", "action", "from_status", "to_status", "version", "at", "actor_name"]
    list_filter = ["action"]
