"""Sealed bids and their resumable uploads. The server holds ciphertext only: the envelope's
public header (hashes, key commitment, wrapped keys, signer chain) and the stored envelope file.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yingshang.trading.bids import states


class Bid(models.Model):
    """One sealed bid (投标文件) of an organisation on a lot of a tender."""

    STATUS_CHOICES = [
        (states.SUBMITTED, _("submitted")),
        (states.REPLACED, _("replaced")),
        (states.WITHDRAWN, _("withdrawn")),
    ]

    tender_id = models.PositiveBigIntegerField(_("tender"))
    lot_id = models.PositiveBigIntegerField(_("lot"))
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("bidder")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    bidder_uscc = models.CharField(_("bidder USCC"), max_length=18)
    certificate_fingerprint = models.CharField(_("signing certificate (SHA-256)"), max_length=64)
    certificate_authority = models.CharField(_("certificate authority"), max_length=200, blank=True)
    document_id = models.PositiveBigIntegerField(_("stored envelope"))
    size = models.PositiveBigIntegerField(_("size in bytes"))
    envelope_sha256 = models.CharField(_("envelope SHA-256"), max_length=64)
    ciphertext_sha256 = models.CharField(_("ciphertext SHA-256"), max_length=64)
    key_commitment = models.CharField(_("content key commitment"), max_length=128)
    header = models.JSONField(_("envelope header"), default=dict)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    status = models.CharField(_("status"), max_length=16, choices=STATUS_CHOICES, default=states.SUBMITTED)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawal"), blank=True)
    receipt = models.JSONField(_("receipt"), default=dict)
    receipt_signature = models.JSONField(_("receipt signature"), default=dict)
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("sealed bid")
        verbose_name_plural = _("sealed bids")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["tender_id", "lot_id", "status"], name="bids_bid_tender_lot")]
        constraints = [
            models.UniqueConstraint(
                fields=["tender_id", "lot_id", "organisation"],
                condition=Q(status="submitted"),
                name="bids_one_submitted_per_bidder",
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="bids_bid_size_positive"),
        ]

    def __str__(self) -> str:
        return f"bid {self.pk} ({self.status})"


class BidUpload(models.Model):
    """A resumable upload of one envelope file: chunk by chunk, acknowledged bytes counted here."""

    STATUS_CHOICES = [
        (states.RECEIVING, _("receiving")),
        (states.VERIFYING, _("verifying")),
        (states.COMPLETE, _("complete")),
        (states.REFUSED, _("refused")),
    ]

    public_id = models.UUIDField(_("upload id"), default=uuid.uuid4, unique=True, editable=False)
    tender_id = models.PositiveBigIntegerField(_("tender"))
    lot_id = models.PositiveBigIntegerField(_("lot"))
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("bidder")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    token_certificate = models.CharField(_("certificate of the sign-in"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    size = models.PositiveBigIntegerField(_("declared size"))
    sha256 = models.CharField(_("declared SHA-256"), max_length=64)
    chunk_size = models.PositiveIntegerField(_("chunk size"))
    received = models.PositiveBigIntegerField(_("bytes received"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=STATUS_CHOICES, default=states.RECEIVING)
    created_at = models.DateTimeField(_("started at"))
    updated_at = models.DateTimeField(_("updated at"))
    last_chunk_at = models.DateTimeField(_("last chunk received at"), null=True, blank=True)
    refusal_code = models.CharField(_("refusal code"), max_length=50, blank=True)
    refusal_zh = models.TextField(_("refusal (Chinese)"), blank=True)
    refusal_en = models.TextField(_("refusal (English)"), blank=True)
    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, null=True, blank=True, related_name="upload")

    class Meta:
        verbose_name = _("bid upload")
        verbose_name_plural = _("bid uploads")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "idempotency_key"], name="bids_upload_unique_idempotency"
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="bids_upload_size_positive"),
            models.CheckConstraint(
                condition=Q(received__lte=models.F("size")), name="bids_upload_received_le_size"
            ),
        ]

    def __str__(self) -> str:
        return f"upload {self.public_id} ({self.received}/{self.size})"

    @property
    def staging_id(self) -> str:
        return f"bid-{self.public_id.hex}"


class BidHistory(models.Model):
    """Status history of a bid (the ledger holds the evidence; this is for reading)."""

    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(_("action"), max_length=60)
    at = models.DateTimeField(_("at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("bid history entry")
        verbose_name_plural = _("bid history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} @ {self.at}"


class BidLimit(models.Model):
    """A tender's own size limit for sealed bids (default: ``YINGSHANG["BID_MAX_BYTES"]``)."""

    tender_id = models.PositiveBigIntegerField(_("tender"), unique=True)
    max_bytes = models.PositiveBigIntegerField(_("largest sealed bid (bytes)"))
    set_at = models.DateTimeField(_("set at"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("bid size limit")
        verbose_name_plural = _("bid size limits")
        constraints = [models.CheckConstraint(condition=Q(max_bytes__gt=0), name="bids_limit_positive")]

    def __str__(self) -> str:
        return f"tender {self.tender_id}: {self.max_bytes} bytes"
