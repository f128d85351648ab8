"""The evidence ledger's tables.

- ``OutboxEntry``: facts recorded by business transactions, waiting for the sequencer (written
  in the caller's transaction, so a fact and its evidence commit together or not at all).
- ``LogEntry``: the insert-only log; ``index`` is the leaf index (0-based, no gaps).
- ``TreeNode``: hashes of complete subtrees above the leaves (level ``l >= 1``, position ``p``
  covers leaves ``[p * 2**l, (p + 1) * 2**l)``), so proofs read O(log n) rows. Level 0 (the
  leaf hashes) is not repeated here: it is ``LogEntry.leaf_hash``.
- ``Checkpoint``: signed checkpoints (C2SP signed-note format), one per sequenced batch.
- ``Witness`` and ``Cosignature``: supervisory bodies that countersign checkpoints.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEntry(models.Model):
    """A recorded fact waiting for the sequencer. Besides the entry it holds the columns the log
    indexes, taken from ``record()``'s arguments, so the sequencer moves rows inside the database
    (``INSERT ... SELECT``) without reading or parsing the entries."""

    entry = models.TextField(_("canonical entry (RFC 8785 JSON)"))
    leaf_hash = models.CharField(_("leaf hash (hex)"), max_length=64, unique=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    action = models.CharField(_("action"), max_length=100, default="")
    subject_context = models.CharField(_("subject context"), max_length=50, default="")
    subject_type = models.CharField(_("subject type"), max_length=50, default="")
    subject_id = models.CharField(_("subject id"), max_length=100, default="")
    actor_user_id = models.BigIntegerField(_("actor user id"), null=True, blank=True)
    actor_organisation_id = models.BigIntegerField(_("actor organisation id"), null=True, blank=True)
    visibility = models.JSONField(_("visibility"), default=dict)

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox entries")

    def __str__(self) -> str:
        return f"outbox {self.pk}: {self.leaf_hash[:16]}"


class LogEntry(models.Model):
    index = models.BigIntegerField(_("leaf index"), primary_key=True)
    leaf_hash = models.CharField(_("leaf hash (hex)"), max_length=64, unique=True)
    entry = models.TextField(_("canonical entry (RFC 8785 JSON)"))
    action = models.CharField(_("action"), max_length=100)
    subject_context = models.CharField(_("subject context"), max_length=50)
    subject_type = models.CharField(_("subject type"), max_length=50)
    subject_id = models.CharField(_("subject id"), max_length=100)
    actor_user_id = models.BigIntegerField(_("actor user id"), null=True, blank=True)
    actor_organisation_id = models.BigIntegerField(_("actor organisation id"), null=True, blank=True)
    visibility = models.JSONField(_("visibility"))
    time = models.DateTimeField(_("time of the fact"))
    sequenced_at = models.DateTimeField(_("sequenced at"))

    class Meta:
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")
        indexes = [
            models.Index(
                fields=["subject_context", "subject_type", "subject_id"], name="ledger_entry_subject"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.action}"


class TreeNode(models.Model):
    pk = models.CompositePrimaryKey("level", "position")
    level = models.PositiveSmallIntegerField(_("level"))
    position = models.BigIntegerField(_("position"))
    hash = models.BinaryField(_("hash"), max_length=32)

    class Meta:
        verbose_name = _("tree node")
        verbose_name_plural = _("tree nodes")

    def __str__(self) -> str:
        return f"node ({self.level}, {self.position})"


class Checkpoint(models.Model):
    size = models.BigIntegerField(_("tree size"), unique=True)
    root = models.CharField(_("root hash (hex)"), max_length=64)
    note = models.TextField(_("signed note"))
    key_id = models.CharField(_("key id"), max_length=16)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["-size"]

    def __str__(self) -> str:
        return f"checkpoint of size {self.size}"


class Witness(models.Model):
    name = models.CharField(_("key name"), max_length=200, unique=True)
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    verifier_key = models.CharField(_("verifier key (signed-note form)"), max_length=300, unique=True)
    active = models.BooleanField(_("active"), default=True)
    registered_at = models.DateTimeField(_("registered at"))

    class Meta:
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")

    def __str__(self) -> str:
        return self.name


class Cosignature(models.Model):
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="cosignatures")
    signature_line = models.TextField(_("signature line"))
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("cosignature")
        verbose_name_plural = _("cosignatures")
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "witness"], name="ledger_one_cosignature")
        ]

    def __str__(self) -> str:
        return f"{self.witness_id} on {self.checkpoint_id}"


class LedgerEvent(models.Model):
    """An event the ledger knows has happened for a subject (``mark_event``), which publishes the
    entries whose visibility is ``public_from(event, subject)``. Insert-only."""

    event = models.CharField(_("event"), max_length=100)
    subject_context = models.CharField(_("subject context"), max_length=50)
    subject_type = models.CharField(_("subject type"), max_length=50)
    subject_id = models.CharField(_("subject id"), max_length=100)
    happened_at = models.DateTimeField(_("happened at"))

    class Meta:
        verbose_name = _("ledger event")
        verbose_name_plural = _("ledger events")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subject_context", "subject_type", "subject_id"], name="ledger_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.subject_context}:{self.subject_type}:{self.subject_id}"
