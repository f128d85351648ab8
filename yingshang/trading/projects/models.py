"""Tables of the projects context. Business rules live in services, states and rules.

Cross-context foreign keys go only to identity (organisations, users). Project, Lot, Tender and
Notice are ledgered aggregates (``ledger_actions.register``): each row keeps the leaf hash of
its latest ledger entry, so ``yingshang ledger audit`` finds rows changed behind the services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingshang.trading.projects import reference, states

INTAKE_CHOICES = [
    (states.SUBMITTED, _("submitted")),
    (states.ACCEPTED, _("accepted")),
    (states.RETURNED, _("returned")),
]
TENDER_CHOICES = [
    (states.DRAFT, _("draft")),
    (states.PUBLISHED, _("published")),
    (states.SUSPENDED, _("suspended")),
    (states.BID_DEADLINE_PASSED, _("closed for bids")),
    (states.CANCELLED, _("cancelled")),
    (states.FAILED, _("failed (re-tendered)")),
]
REGIME_CHOICES = [(code, code) for code in reference.REGIMES]
KIND_CHOICES = [(code, code) for code in reference.RESOURCE_KINDS]
METHOD_CHOICES = [(code, code) for code in reference.METHOD_RULES]
DEPOSIT_FORM_CHOICES = [(code, code) for code in reference.DEPOSIT_FORMS]


class Project(models.Model):
    """A project registered at intake (进场登记) by its tenderer or agency."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    resource_kind = models.CharField(_("resource kind"), max_length=40, choices=KIND_CHOICES)
    regime = models.CharField(_("regime"), max_length=20, choices=REGIME_CHOICES)
    tenderer = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenderer")
    )
    agency = models.ForeignKey(
        "identity.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("tendering agency"),
    )
    supervisor = models.ForeignKey(
        "identity.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("competent supervisory department"),
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    state_controlled = models.BooleanField(_("state-owned capital holds control (T12)"), default=False)
    description = models.TextField(_("description"), blank=True)
    commitment_text = models.TextField(_("commitment"))
    commitment_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    commitment_signed_at = models.DateTimeField(_("commitment signed at"))
    intake_status = models.CharField(
        _("intake status"), max_length=20, choices=INTAKE_CHOICES, default=states.SUBMITTED
    )
    return_reason = models.TextField(_("reasons for returning"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"))
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("reviewed by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["tenderer", "-submitted_at"], name="projects_tenderer_idx"),
            models.Index(fields=["agency", "-submitted_at"], name="projects_agency_idx"),
            models.Index(fields=["supervisor", "-submitted_at"], name="projects_supervisor_idx"),
            models.Index(fields=["intake_status", "-submitted_at"], name="projects_intake_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(intake_status__in=states.INTAKE_STATUSES), name="projects_project_intake_status"
            ),
            models.CheckConstraint(
                condition=Q(regime__in=tuple(reference.REGIMES)), name="projects_project_regime"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Lot(models.Model):
    """A lot (标段/包) of a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=200)
    estimated_price_fen = models.BigIntegerField(_("estimated price or budget (fen)"))
    qualifications = models.TextField(_("required qualifications"), blank=True)
    deposit_fen = models.BigIntegerField(_("bid deposit (fen)"), default=0)
    deposit_form = models.CharField(_("deposit form"), max_length=20, choices=DEPOSIT_FORM_CHOICES)
    bid_validity_days = models.PositiveIntegerField(_("bid validity (days)"), default=90)
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["project_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="projects_lot_unique_number"),
            models.CheckConstraint(
                condition=Q(estimated_price_fen__gt=0), name="projects_lot_price_positive"
            ),
            models.CheckConstraint(condition=Q(deposit_fen__gte=0), name="projects_lot_deposit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.project.code}-{self.number} {self.name}"


class Tender(models.Model):
    """One run of a procurement method for one or more lots (招标/采购一次)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="tenders")
    lots = models.ManyToManyField(Lot, related_name="tenders", verbose_name=_("lots"))
    sequence = models.PositiveIntegerField(_("sequence in the project"))
    ocid = models.CharField(_("OCDS ocid"), max_length=80, unique=True)
    method = models.CharField(_("method"), max_length=20, choices=METHOD_CHOICES)
    # copied from the project at creation (never change), so the public list filters one table
    resource_kind = models.CharField(_("resource kind"), max_length=40, choices=KIND_CHOICES)
    regime = models.CharField(_("regime"), max_length=20, choices=REGIME_CHOICES)
    status = models.CharField(_("status"), max_length=24, choices=TENDER_CHOICES, default=states.DRAFT)
    title = models.CharField(_("notice title"), max_length=300, blank=True)
    documents_from = models.DateTimeField(_("documents available from"), null=True, blank=True)
    documents_until = models.DateTimeField(_("documents available until"), null=True, blank=True)
    questions_until = models.DateTimeField(_("questions until"), null=True, blank=True)
    bid_deadline = models.DateTimeField(_("bid deadline (opening)"), null=True, blank=True)
    timeline_provisional = models.BooleanField(_("timeline provisional"), default=False)
    documents_closed = models.BooleanField(_("download period over"), default=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)
    suspension_reason = models.TextField(_("reason for suspension"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for termination"), blank=True)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        related_name="retender",
        null=True,
        blank=True,
        verbose_name=_("re-tender of"),
    )
    bids_received = models.PositiveIntegerField(_("bids received"), null=True, blank=True)
    next_check = models.DateTimeField(_("next check"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["next_check"], name="projects_tender_next_check"),
            models.Index(fields=["status", "-published_at"], name="projects_tender_status_pub"),
            models.Index(fields=["-published_at", "-id"], name="projects_tender_pub"),
            models.Index(fields=["method", "-published_at"], name="projects_tender_method_pub"),
            models.Index(fields=["resource_kind", "-published_at"], name="projects_tender_kind_pub"),
            models.Index(fields=["regime", "-published_at"], name="projects_tender_regime_pub"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["project", "sequence"], name="projects_tender_unique_sequence"),
            models.CheckConstraint(
                condition=Q(status__in=states.TENDER_STATUSES), name="projects_tender_status_known"
            ),
        ]

    def __str__(self) -> str:
        return self.ocid


class Notice(models.Model):
    """One version of a tender's public notice: the notice, an amendment, a suspension,
    resumption or termination notice. Never edited: a change is a new version."""

    class Kind(models.TextChoices):
        TENDER_NOTICE = "tender_notice", _("tender notice")
        AMENDMENT = "amendment", _("amendment")
        SUSPENSION = "suspension", _("suspension notice")
        RESUMPTION = "resumption", _("resumption notice")
        CANCELLATION = "cancellation", _("termination notice")

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="notices")
    version = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"))
    reason = models.TextField(_("reason"), blank=True)
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    #: The standard notice template it was produced from (``code@vN``) and its rendered PDF,
    #: stored in the files context (content-addressed; the id is a files document id).
    template = models.CharField(_("notice template"), max_length=80, blank=True)
    pdf_file_id = models.PositiveBigIntegerField(_("PDF file"), null=True, blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["tender_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "version"], name="projects_notice_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.tender.ocid} v{self.version}"


class Amendment(models.Model):
    """A clarification or amendment of the tender documents or notice, as a timeline fact
    (T4 / G2.clarification): when it was issued, whether it affects bid preparation and whether
    it moved the bid deadline. The documents themselves belong to the documents context."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="amendments")
    amended_at = models.DateTimeField(_("issued at"))
    affects_preparation = models.BooleanField(_("affects bid preparation"), default=True)
    reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(_("source"), max_length=20)  # "documents" | "notice"
    deadline_before = models.DateTimeField(null=True, blank=True)
    deadline_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["tender_id", "amended_at", "id"]

    def __str__(self) -> str:
        return f"{self.tender_id} {self.amended_at.isoformat()}"


class HistoryEntry(models.Model):
    """A status change or edit of a project or tender, for the status history and for telling a
    stale form what changed since its version."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="history")
    tender = models.ForeignKey(
        Tender, on_delete=models.CASCADE, related_name="history", null=True, blank=True
    )
    action = models.CharField(_("action"), max_length=80)
    from_status = models.CharField(_("from"), max_length=24, blank=True)
    to_status = models.CharField(_("to"), max_length=24, blank=True)
    version = models.PositiveIntegerField(_("version after"))
    changed_fields = models.JSONField(_("changed fields"), default=list)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"))
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    actor_name = models.CharField(_("actor"), max_length=100, blank=True)
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history entries")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["project", "tender", "version"], name="projects_history_version")]

    def __str__(self) -> str:
        return f"{self.action} v{self.version}"
