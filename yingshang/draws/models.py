"""The draws context's table: one row per draw, from commitment to the revealed result.

``secret`` is never shown by any API or page before the draw is performed (the public record
is built by ``rules.public_record``, which leaves it out until then).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from yingshang.draws import states


class Draw(models.Model):
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    purpose = models.CharField(_("purpose"), max_length=64)
    subject_context = models.CharField(_("subject context"), max_length=50)
    subject_type = models.CharField(_("subject type"), max_length=50)
    subject_id = models.CharField(_("subject id"), max_length=100)
    parameters = models.JSONField(_("committed parameters"))
    eligible = models.JSONField(_("eligible list"))
    eligible_digest = models.CharField(_("eligible digest (hex)"), max_length=64)
    k = models.PositiveIntegerField(_("how many to draw"))
    commitment = models.CharField(_("commitment (hex)"), max_length=64)
    secret = models.BinaryField(_("secret"), max_length=64, editable=False)
    visibility = models.JSONField(_("ledger visibility"))
    commitment_entry_hash = models.CharField(_("commitment entry (leaf hash)"), max_length=64)
    contributions = models.JSONField(_("contributions"), default=list)
    beacon_size = models.BigIntegerField(_("beacon tree size"), null=True, blank=True)
    beacon_root = models.CharField(_("beacon root hash (hex)"), max_length=64, blank=True)
    beacon_note = models.TextField(_("beacon checkpoint note"), blank=True)
    beacon_verifier_key = models.CharField(_("beacon verifier key"), max_length=300, blank=True)
    commitment_entry_index = models.BigIntegerField(_("commitment entry index"), null=True, blank=True)
    commitment_proof = models.JSONField(_("commitment inclusion proof (base64)"), default=list)
    result = models.JSONField(_("result"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=states.CHOICES, default=states.PREPARED)
    prepared_at = models.DateTimeField(_("prepared at"))
    performed_at = models.DateTimeField(_("performed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        indexes = [models.Index(fields=["status", "prepared_at"], name="draws_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[states.PREPARED, states.PERFORMED]), name="draws_status"
            ),
            models.CheckConstraint(
                condition=models.Q(status=states.PREPARED) | models.Q(result__isnull=False),
                name="draws_performed_has_result",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.public_id} ({self.status})"
