"""The evaluation's records: one evaluation per lot, its members (by expert code), the bids as
the opening left them, the members' scores, verdicts and anomaly explanations, the clearing
findings and the clarification requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yingshang.trading.evaluation import states


class Evaluation(models.Model):
    """The committee's evaluation of one lot (评标)."""

    STATUS_CHOICES = [(s, s) for s in states.STATES]

    tender_id = models.PositiveBigIntegerField(_("tender"))
    lot_id = models.PositiveBigIntegerField(_("lot"))
    regime = models.CharField(_("regime"), max_length=20)
    method = models.CharField(_("method"), max_length=30)
    spec = models.JSONField(_("method spec"), default=dict)
    status = models.CharField(_("status"), max_length=20, choices=STATUS_CHOICES, default=states.SCORING)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    supervisor_org_id = models.PositiveBigIntegerField(_("supervisor"), null=True, blank=True)
    opening_session_id = models.PositiveBigIntegerField(_("opening session"))
    coefficient = models.CharField(_("coefficient"), max_length=20, blank=True)
    control_boq = models.JSONField(_("control price bill of quantities"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    report_finished_at = models.DateTimeField(_("report finished at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    report_sha256 = models.CharField(_("report SHA-256"), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.UniqueConstraint(fields=["tender_id", "lot_id"], name="evaluation_one_per_lot"),
        ]

    def __str__(self) -> str:
        return f"evaluation {self.pk} tender {self.tender_id} lot {self.lot_id} ({self.status})"


class Member(models.Model):
    """A committee seat in this evaluation, named by its code only."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="members")
    code = models.CharField(_("member code"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chair = models.BooleanField(_("chair"), default=False)
    declared_at = models.DateTimeField(_("no-conflict declaration signed at"), null=True, blank=True)
    declaration = models.TextField(_("declaration"), blank=True)
    opened_at = models.DateTimeField(_("first opened the bids at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("scores submitted at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("report signed at"), null=True, blank=True)
    signed_sha256 = models.CharField(_("signed report SHA-256"), max_length=64, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "code"], name="evaluation_member_code_once"),
        ]

    def __str__(self) -> str:
        return self.code


class Bid(models.Model):
    """An opened bid as the evaluation sees it (copied from the opening result at the start)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="bids")
    bid_id = models.PositiveBigIntegerField(_("bid"))
    organisation_id = models.PositiveBigIntegerField(_("bidder"))
    bidder_uscc = models.CharField(_("USCC"), max_length=18)
    bidder_name = models.CharField(_("bidder"), max_length=200)
    price_fen = models.PositiveBigIntegerField(_("price (fen)"))
    duration_days = models.PositiveIntegerField(_("duration (days)"), null=True, blank=True)
    quality = models.CharField(_("quality"), max_length=200, blank=True)
    package_document_id = models.PositiveBigIntegerField(_("package"), null=True, blank=True)
    credit_score = models.DecimalField(
        _("credit score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    boq_status = models.CharField(
        _("bill of quantities"), max_length=20, blank=True
    )  # ""|none|ok|findings|invalid
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("evaluated bid")
        verbose_name_plural = _("evaluated bids")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "bid_id"], name="evaluation_bid_once")]

    def __str__(self) -> str:
        return f"bid {self.bid_id} in evaluation {self.evaluation_id}"


class Score(models.Model):
    """A member's score for one hand-scored item (or an adjustment in fen) of one bid."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="scores")
    bid_id = models.PositiveBigIntegerField(_("bid"))
    item = models.CharField(_("item"), max_length=40)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "bid_id", "item"], name="evaluation_score_once")
        ]

    def __str__(self) -> str:
        return f"{self.item}={self.value} (bid {self.bid_id})"


class Verdict(models.Model):
    """A member's pass/fail on one criterion of one bid."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="verdicts")
    bid_id = models.PositiveBigIntegerField(_("bid"))
    criterion = models.CharField(_("criterion"), max_length=40)
    passed = models.BooleanField(_("passed"))
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "bid_id", "criterion"], name="evaluation_verdict_once")
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {'pass' if self.passed else 'fail'} (bid {self.bid_id})"


class Explanation(models.Model):
    """A member's written explanation of an abnormally high or low score."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="explanations")
    bid_id = models.PositiveBigIntegerField(_("bid"))
    item = models.CharField(_("item"), max_length=40)
    text = models.TextField(_("explanation"))
    written_at = models.DateTimeField(_("written at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "bid_id", "item"], name="evaluation_explanation_once")
        ]

    def __str__(self) -> str:
        return f"explanation of {self.item} (bid {self.bid_id})"


class Finding(models.Model):
    """A bill-of-quantities clearing finding."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="findings")
    bid_id = models.PositiveBigIntegerField(_("bid"))
    kind = models.CharField(_("kind"), max_length=30)
    item = models.CharField(_("item"), max_length=60, blank=True)
    detail_zh = models.TextField(_("detail (Chinese)"))
    detail_en = models.TextField(_("detail (English)"))

    class Meta:
        ordering = ["bid_id", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.item} (bid {self.bid_id})"


class Clarification(models.Model):
    """A clarification request to a bidder (澄清) and the bidder's signed reply."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="clarifications")
    bid_id = models.PositiveBigIntegerField(_("bid"))
    organisation_id = models.PositiveBigIntegerField(_("bidder"))
    asked_by = models.CharField(_("asked by (member code)"), max_length=40)
    question = models.TextField(_("question"))
    asked_at = models.DateTimeField(_("asked at"))
    reply = models.TextField(_("reply"), blank=True)
    reply_sha256 = models.CharField(_("reply SHA-256"), max_length=64, blank=True)
    signature = models.TextField(_("signature (base64)"), blank=True)
    algorithm = models.CharField(_("signature algorithm"), max_length=30, blank=True)
    certificate_fingerprint = models.CharField(_("certificate"), max_length=64, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return f"clarification {self.pk} (bid {self.bid_id})"
