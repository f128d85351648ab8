"""Read-only admin: documents are evidence; they are added through uploads only."""

from __future__ import annotations

from django.contrib import admin

from yingshang.files.models import Blob, Document
from yingshang.kernel.admin import ReadOnlyAdmin


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
