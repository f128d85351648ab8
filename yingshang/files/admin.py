"""Read-only admin: documents are evidence; they are added through uploads only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yingshang.files.models import Blob, Document


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "purpose", "media_type", "size", "owner", "organisation_id", "created_at"]
    list_filter = ["purpose", "media_type"]
    search_fields = ["name", "sha256"]
    date_hierarchy = "created_at"


@admin.register(Blob)
class BlobAdmin(ReadOnlyAdmin):
    list_display = ["sha256", "media_type", "size", "created_at"]
    search_fields = ["sha256"]
