"""The award of one lot: the received evaluation report's candidates, the publicity and its
objections, the decision, the statutory clocks, the contract and the report to the supervisor.

Cross-context references are plain ids (tender, lot, bid, organisation, document); only users
are foreign keys (identity)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yingshang.trading.award import states


class Award(models.Model):
    tender_id = models.PositiveBigIntegerField(_("tender"))
    lot_id = models.PositiveBigIntegerField(_("lot"))
    title = models.CharField(_("title"), max_length=300, blank=True)
    ocid = models.CharField(max_length=80, blank=True)
    regime = models.CharField(_("regime"), max_length=20)
    method = models.CharField(_("evaluation method"), max_length=40)
    state_controlled = models.BooleanField(_("state-controlled"), default=False)
    tenderer_org_id = models.PositiveBigIntegerField()
    agency_org_id = models.PositiveBigIntegerField(null=True, blank=True)
    supervisor_org_id = models.PositiveBigIntegerField(null=True, blank=True)
    evaluation_id = models.PositiveBigIntegerField()
    report_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField(_("report received at"))
    #: The report's scores per member code (the anonymised publication is made from them).
    scores = models.JSONField(default=list, blank=True)
    #: The scoring items' names from the report: [{"code", "zh", "en"}].
    score_items = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=[(s, s) for s in states.STATUSES], default=states.RECEIVED
    )
    publicity_starts_at = models.DateTimeField(null=True, blank=True)
    publicity_ends_on = models.DateField(null=True, blank=True)
    publicity_ends_at = models.DateTimeField(null=True, blank=True)
    winner_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    awarded_at = models.DateTimeField(null=True, blank=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    award_reason = models.TextField(blank=True)
    #: The experts as the result announcement lists them: [{"name", "employer", "specialty"}].
    experts = models.JSONField(default=list, blank=True)
    experts_listed = models.BooleanField(default=False)
    #: The experts' scores with the names replaced by codes: [{"code", "bidder", "item", "value"}].
    published_scores = models.JSONField(default=list, blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    retender_reason = models.TextField(blank=True)
    retender_at = models.DateTimeField(null=True, blank=True)
    #: The new tender the projects context started for the re-tender.
    retender_tender_id = models.IntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tender_id", "lot_id"], name="award_one_per_lot")]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"award {self.tender_id}/{self.lot_id} ({self.status})"


class Candidate(models.Model):
    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="candidates")
    rank = models.PositiveSmallIntegerField()
    bid_id = models.PositiveBigIntegerField()
    organisation_id = models.PositiveBigIntegerField()
    bidder_uscc = models.CharField(max_length=18)
    bidder_name = models.CharField(max_length=200)
    price_fen = models.BigIntegerField()
    score = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    evaluated_price_fen = models.BigIntegerField(null=True, blank=True)
    #: T12: why this candidate was passed over, with the evidence document.
    excuse_reason = models.CharField(max_length=30, blank=True)
    excuse_note = models.TextField(blank=True)
    excuse_document_id = models.PositiveBigIntegerField(null=True, blank=True)
    excused_at = models.DateTimeField(null=True, blank=True)
    excused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["award", "rank"], name="award_candidate_rank")]
        ordering = ["rank"]

    def __str__(self) -> str:
        return f"{self.rank}. {self.bidder_name}"

    @property
    def excused(self) -> bool:
        return bool(self.excuse_reason)


class Objection(models.Model):
    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="objections")
    organisation_id = models.PositiveBigIntegerField()
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    raised_at = models.DateTimeField()
    reply_due_on = models.DateField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]

    def __str__(self) -> str:
        return f"objection {self.pk} ({self.status})"

    @property
    def status(self) -> str:
        return states.ANSWERED if self.answered_at is not None else states.PENDING


class Clock(models.Model):
    """A statutory period running for the award: due on a day, met (in time or late) or overdue."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="clocks")
    rule_id = models.CharField(max_length=20)
    objection = models.ForeignKey(
        Objection, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event_at = models.DateTimeField()
    due_on = models.DateField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, default=states.OPEN)
    met_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    violation = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="award_clock_due")]

    def __str__(self) -> str:
        return f"{self.rule_id} due {self.due_on} ({self.status})"


class Contract(models.Model):
    award = models.OneToOneField(Award, on_delete=models.CASCADE, related_name="contract")
    signed_on = models.DateField()
    price_fen = models.BigIntegerField()
    document_id = models.PositiveBigIntegerField()
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    violation = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"contract {self.signed_on} {self.price_fen}"


class SupervisorReport(models.Model):
    award = models.OneToOneField(Award, on_delete=models.CASCADE, related_name="report")
    text = models.TextField()
    document_id = models.PositiveBigIntegerField(null=True, blank=True)
    reported_at = models.DateTimeField()
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    violation = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"report {self.reported_at:%Y-%m-%d}"
