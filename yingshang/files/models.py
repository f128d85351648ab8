"""Stored content (one row per distinct SHA-256) and the documents that refer to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Blob(models.Model):
    """Bytes stored once under ``sha256/ab/cd/<hex>`` however many times they are uploaded."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    media_type = models.CharField(_("media type"), max_length=100)
    storage_key = models.CharField(_("storage key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("stored at"))

    class Meta:
        verbose_name = _("stored content")
        verbose_name_plural = _("stored contents")

    def __str__(self) -> str:
        return self.sha256


class Document(models.Model):
    """One upload: who sent it, for what, when, under which name, and what it contained."""

    blob = models.ForeignKey(
        Blob, on_delete=models.PROTECT, related_name="documents", verbose_name=_("content")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("uploaded by"),
    )
    # The organisation the uploader acted for (their active organisation), if any.
    organisation = models.ForeignKey(
        "identity.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("file name"), max_length=255)
    purpose = models.CharField(_("purpose"), max_length=50, db_index=True)
    media_type = models.CharField(_("media type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    metadata = models.JSONField(_("extracted metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), db_index=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="files_document_size_positive"),
        ]

    def __str__(self) -> str:
        return self.name
