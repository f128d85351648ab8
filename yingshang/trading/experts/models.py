"""The expert pool, needs, draw rounds and committee seats."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from yingshang.trading.experts import states


class Expert(models.Model):
    """A person in the pool. ``code`` is a stable pseudonym; the name stays secret (T9.secret)."""

    code = models.CharField(max_length=16, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expert_profile",
    )
    name = models.CharField(max_length=100)
    phone = models.CharField(max_length=32, blank=True)
    region = models.CharField(max_length=6)  # administrative division code
    specialties = models.JSONField(default=list)  # specialty codes (reference.SPECIALTIES)
    titles = models.JSONField(default=list)  # professional titles, free text
    employer_uscc = models.CharField(max_length=18, blank=True)
    employer_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, default=states.APPLIED)
    review_note = models.CharField(max_length=500, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    suspended_until = models.DateField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=500, blank=True)
    blacklisted = models.BooleanField(default=False)
    blacklist_reason = models.CharField(max_length=500, blank=True)
    credit_score = models.IntegerField(default=100)
    credit_record = models.JSONField(default=list)  # [{"at", "delta", "reason"}]
    source = models.CharField(max_length=64, blank=True)  # "" local; the other pool's name when imported
    source_ref = models.CharField(max_length=64, blank=True)  # the id in the other pool
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="experts_unique_import_ref",
            )
        ]

    def __str__(self) -> str:
        return self.code


class Unavailability(models.Model):
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="unavailable")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.expert_id}: {self.starts_at:%Y-%m-%d}"


class Relationship(models.Model):
    """A tie with an organisation (former employer, shareholding, consultancy...) until a date."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="relationships")
    organisation_uscc = models.CharField(max_length=18)
    kind = models.CharField(max_length=32)
    until = models.DateField(null=True, blank=True)  # None: ongoing

    def __str__(self) -> str:
        return f"{self.expert_id} ~ {self.organisation_uscc}"


class DeclaredConflict(models.Model):
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="conflicts")
    organisation_uscc = models.CharField(max_length=18)
    reason = models.CharField(max_length=500)
    declared_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.expert_id} x {self.organisation_uscc}"


class Need(models.Model):
    """The committee a lot needs: rows of experts by specialty plus tenderer representatives."""

    tender_id = models.BigIntegerField()
    lot_id = models.BigIntegerField()
    regime = models.CharField(max_length=16)
    method = models.CharField(max_length=32)
    tenderer_org_id = models.BigIntegerField()
    representatives = models.PositiveSmallIntegerField(default=0)
    evaluation_at = models.DateTimeField()
    stated_by = models.BigIntegerField(null=True)
    stated_at = models.DateTimeField()
    identities_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tender_id", "lot_id"], name="experts_one_need_per_lot")
        ]

    def __str__(self) -> str:
        return f"need {self.tender_id}/{self.lot_id}"

    @property
    def experts(self) -> int:
        return sum(row.count for row in self.rows.all())

    @property
    def size(self) -> int:
        return self.experts + self.representatives


class NeedRow(models.Model):
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveSmallIntegerField()
    specialty = models.CharField(max_length=16)
    count = models.PositiveSmallIntegerField()
    regions = models.JSONField(default=list)
    remote = models.BooleanField(default=False)
    #: the last replacement attempt found too few eligible: {"missing": n, "excluded": {...}}
    shortage = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.need_id}#{self.position}"


class DrawRound(models.Model):
    """One draw (initial or replacement) for a need row, through the draws context."""

    row = models.ForeignKey(NeedRow, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    draw_id = models.CharField(max_length=64, unique=True)  # draws' public id
    k = models.PositiveSmallIntegerField()
    eligible_count = models.PositiveIntegerField()
    excluded = models.JSONField(default=dict)  # reason -> count
    status = models.CharField(max_length=16, default=states.PREPARED)
    prepared_at = models.DateTimeField()
    materialised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["row", "number"]

    def __str__(self) -> str:
        return f"{self.row_id} round {self.number}"


class Seat(models.Model):
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="seats")
    row = models.ForeignKey(NeedRow, null=True, blank=True, on_delete=models.CASCADE, related_name="seats")
    round = models.ForeignKey(
        DrawRound, null=True, blank=True, on_delete=models.PROTECT, related_name="seats"
    )
    expert = models.ForeignKey(Expert, null=True, blank=True, on_delete=models.PROTECT, related_name="seats")
    kind = models.CharField(max_length=16, default=states.EXPERT)
    code = models.CharField(max_length=16)
    user_id = models.BigIntegerField(null=True, blank=True)
    order = models.PositiveIntegerField()
    status = models.CharField(max_length=16, default=states.INVITED)
    invited_at = models.DateTimeField()
    respond_by = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    declaration = models.TextField(blank=True)

    class Meta:
        ordering = ["need", "order"]
        indexes = [models.Index(fields=["status", "respond_by"])]

    def __str__(self) -> str:
        return self.code
