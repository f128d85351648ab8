"""Read-only admin for superusers: look at the log, checkpoints, witnesses and publication events.
Nothing changes here (the log tables are insert-only in the database too). Tree nodes are not
listed: they are hashes, served by the proofs API."""

from __future__ import annotations

from django.contrib import admin

from yingshang.kernel.admin import ReadOnlyAdmin
from yingshang.ledger.models import Checkpoint, Cosignature, LedgerEvent, LogEntry, OutboxEntry, Witness


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    list_display = ["index", "action", "subject_context", "subject_type", "subject_id", "time"]
    list_filter = ["subject_context"]
    search_fields = ["leaf_hash", "subject_id"]
    ordering = ["-index"]


@admin.register(OutboxEntry)
class OutboxEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "leaf_hash", "recorded_at"]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["size", "root", "key_id", "created_at"]


@admin.register(Witness)
class WitnessAdmin(ReadOnlyAdmin):
    list_display = ["name", "organisation", "active", "registered_at"]


@admin.register(Cosignature)
class CosignatureAdmin(ReadOnlyAdmin):
    list_display = ["checkpoint", "witness", "signed_at"]


@admin.register(LedgerEvent)
class LedgerEventAdmin(ReadOnlyAdmin):
    list_display = ["event", "subject_context", "subject_type", "subject_id", "happened_at"]
