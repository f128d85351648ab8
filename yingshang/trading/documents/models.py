"""Tender documents, their published versions, download receipts and anonymous questions.

A tender (projects context) is referred to by its id as an integer (``tender_id``): contexts do
not hold foreign keys to each other's models, except to identity's users and organisations.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TemplateVersion(models.Model):
    """A standard template version that some tender has used, pinned to its file's digest."""

    code = models.CharField(_("template"), max_length=64)
    version = models.PositiveIntegerField(_("version"))
    content_sha256 = models.CharField(_("file digest"), max_length=64)
    first_used_at = models.DateTimeField(_("first used at"))

    class Meta:
        verbose_name = _("used template version")
        verbose_name_plural = _("used template versions")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="tenderdocs_template_version")
        ]

    def __str__(self) -> str:
        return f"{self.code}@v{self.version}"


class TenderDocument(models.Model):
    """The tender documents of one tender: the template, the working values and the state.

    ``values`` is the draft being edited (it becomes the next version when published);
    ``revision`` grows with every saved change (a stale form names the revision it was based on).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    tender_id = models.PositiveBigIntegerField(_("tender"), unique=True)
    template_code = models.CharField(_("template"), max_length=64)
    template_version = models.PositiveIntegerField(_("template version"))
    values = models.JSONField(_("field values"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    current_version = models.PositiveIntegerField(_("current version"), default=0)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("tender documents")
        verbose_name_plural = _("tender documents")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"tender {self.tender_id} documents"


class DocumentVersion(models.Model):
    """One published version: version 1 at publication, then one per amendment or clarification.

    Immutable once written; the PDF is stored content-addressed in the files context.
    """

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("original")
        AMENDMENT = "amendment", _("amendment")
        CLARIFICATION = "clarification", _("clarification")

    document = models.ForeignKey(
        TenderDocument, on_delete=models.PROTECT, related_name="versions", verbose_name=_("documents")
    )
    tender_id = models.PositiveBigIntegerField(_("tender"), db_index=True)
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    values = models.JSONField(_("field values"), default=dict)
    values_sha256 = models.CharField(_("values digest"), max_length=64)
    reason = models.TextField(_("reason"), blank=True)
    file_id = models.PositiveBigIntegerField(_("PDF document"))
    sha256 = models.CharField(_("PDF SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("PDF size"))
    affects_preparation = models.BooleanField(_("affects bid preparation"), default=False)
    deadline_before = models.DateTimeField(_("bid deadline before"), null=True, blank=True)
    deadline_after = models.DateTimeField(_("bid deadline after"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    published_at = models.DateTimeField(_("published at"))
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="tenderdocs_version_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="tenderdocs_version_positive"),
        ]

    def __str__(self) -> str:
        return f"tender {self.tender_id} v{self.number}"


class DownloadReceipt(models.Model):
    """A bidder obtained a version of the documents. Secret: only the bidder and the platform
    know it before the bid deadline (电子招标投标办法 art. 21); see docs/contexts/documents.md.

    The ledger holds only ``commitment`` (SHA-256 of the receipt's canonical text, which includes
    ``nonce``), so the log names neither the bidder nor the tender.
    """

    version = models.ForeignKey(
        DocumentVersion, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("version")
    )
    tender_id = models.PositiveBigIntegerField(_("tender"), db_index=True)
    number = models.CharField(_("receipt number"), max_length=40, unique=True)
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("bidder")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("downloaded by")
    )
    issued_at = models.DateTimeField(_("issued at"))
    nonce = models.CharField(_("nonce"), max_length=64)
    commitment = models.CharField(_("commitment"), max_length=64)
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64)
    promise = models.JSONField(_("ledger promise"), default=dict)

    class Meta:
        verbose_name = _("download receipt")
        verbose_name_plural = _("download receipts")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "organisation"], name="tenderdocs_receipt_per_bidder"),
        ]

    def __str__(self) -> str:
        return self.number


class Question(models.Model):
    """A bidder's question about the documents. The asker is never shown to the tenderer."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ANSWERED = "answered", _("answered")

    document = models.ForeignKey(
        TenderDocument, on_delete=models.PROTECT, related_name="questions", verbose_name=_("documents")
    )
    tender_id = models.PositiveBigIntegerField(_("tender"), db_index=True)
    number = models.PositiveIntegerField(_("number"))
    text = models.TextField(_("question"))
    asker_organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("asked for")
    )
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    asked_at = models.DateTimeField(_("asked at"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(_("answer"), blank=True)
    answered_in = models.ForeignKey(
        DocumentVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("answered in version"),
    )
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["document_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="tenderdocs_question_number"),
        ]

    def __str__(self) -> str:
        return f"Q{self.number}"
