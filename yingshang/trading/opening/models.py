"""The opening hall's records: sessions, sign-ins, per-bid rows, objections, history and the
event table the live stream reads (ids increase; one row per step, written in the step's
transaction)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yingshang.trading.opening import states


class OpeningSession(models.Model):
    """The opening of one lot of one tender (开标)."""

    STATUS_CHOICES = [(s, s) for s in states.SESSION_STATUSES]

    tender_id = models.PositiveBigIntegerField(_("tender"))
    lot_id = models.PositiveBigIntegerField(_("lot"))
    ocid = models.CharField(_("OCID"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=STATUS_CHOICES, default=states.SCHEDULED)
    scheduled_at = models.DateTimeField(_("opening time (the bid deadline)"))
    sign_in_minutes = models.PositiveIntegerField(_("sign-in window (minutes)"))
    decryption_minutes = models.PositiveIntegerField(_("decryption window (minutes)"))
    bids_received = models.PositiveIntegerField(_("bids received by the deadline"), default=0)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    sign_in_until = models.DateTimeField(_("sign-in until"), null=True, blank=True)
    decryption_started_at = models.DateTimeField(_("decryption started at"), null=True, blank=True)
    decryption_until = models.DateTimeField(_("decryption window ends"), null=True, blank=True)
    window_closed_at = models.DateTimeField(_("decryption window closed at"), null=True, blank=True)
    confirming_at = models.DateTimeField(_("record put to the bidders at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    new_tender_id = models.PositiveBigIntegerField(_("re-tender"), null=True, blank=True)
    control_price_fen = models.PositiveBigIntegerField(_("control price (fen)"), null=True, blank=True)
    control_price_published_at = models.DateTimeField(_("control price published at"), null=True, blank=True)
    #: The random coefficient draw (浮动系数抽取) where the tender documents call for one: the
    #: values to draw from, the draw (yingshang.draws, public id) and its result.
    coefficient_values = models.JSONField(_("coefficient values"), default=list, blank=True)
    coefficient_draw = models.CharField(_("coefficient draw"), max_length=36, blank=True)
    coefficient = models.CharField(_("coefficient"), max_length=20, blank=True)
    paused = models.BooleanField(_("paused"), default=False)
    pause_reason = models.TextField(_("reason for the pause"), blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    #: While paused in ``decrypting``: the time left in the window (seconds).
    remaining_seconds = models.PositiveIntegerField(_("window time left (s)"), null=True, blank=True)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: When the chronograph must look at the session next (window end); null: nothing due.
    next_check = models.DateTimeField(_("next check"), null=True, blank=True, db_index=True)
    record = models.JSONField(_("opening record"), default=dict, blank=True)
    record_sha256 = models.CharField(_("opening record SHA-256"), max_length=64, blank=True)
    record_pdf_id = models.PositiveBigIntegerField(_("opening record (PDF)"), null=True, blank=True)
    record_pdf_sha256 = models.CharField(_("opening record PDF SHA-256"), max_length=64, blank=True)
    record_signature = models.JSONField(_("platform signature of the record"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("opening session")
        verbose_name_plural = _("opening sessions")
        constraints = [
            models.UniqueConstraint(fields=["tender_id", "lot_id"], name="opening_one_session_per_lot"),
        ]

    def __str__(self) -> str:
        return f"opening {self.pk} tender {self.tender_id} lot {self.lot_id} ({self.status})"


class SignIn(models.Model):
    """A participant's sign-in (签到)."""

    class Role(models.TextChoices):
        HOST = "host", _("host")
        BIDDER = "bidder", _("bidder")
        SUPERVISOR = "supervisor", _("supervisor")

    session = models.ForeignKey(OpeningSession, on_delete=models.PROTECT, related_name="sign_ins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    via = models.CharField(_("signed in by"), max_length=20)  # certificate | session
    certificate_fingerprint = models.CharField(_("certificate"), max_length=64, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        constraints = [
            models.UniqueConstraint(fields=["session", "user", "role"], name="opening_sign_in_once"),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.user_id} @ {self.at}"


class OpeningBid(models.Model):
    """One submitted bid's row of the opening sheet."""

    session = models.ForeignKey(OpeningSession, on_delete=models.PROTECT, related_name="rows")
    bid_id = models.PositiveBigIntegerField(_("bid"), unique=True)
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("bidder")
    )
    bidder_uscc = models.CharField(_("bidder USCC"), max_length=18)
    bidder_name = models.CharField(_("bidder"), max_length=200)
    received_at = models.DateTimeField(_("received at"))
    document_id = models.PositiveBigIntegerField(_("sealed envelope"))
    envelope_sha256 = models.CharField(_("envelope SHA-256"), max_length=64)
    ciphertext_sha256 = models.CharField(_("ciphertext SHA-256"), max_length=64)
    key_commitment = models.CharField(_("key commitment"), max_length=128)
    certificate_fingerprint = models.CharField(_("signing certificate"), max_length=64)
    header = models.JSONField(_("envelope header"), default=dict)
    decryption = models.CharField(_("decryption"), max_length=12, default=states.PENDING)
    cause = models.CharField(_("cause of failure"), max_length=12, blank=True)
    classification = models.CharField(_("classification"), max_length=12, blank=True)
    reason_code = models.CharField(_("reason code"), max_length=60, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    attempts = models.PositiveIntegerField(_("key releases tried"), default=0)
    released_at = models.DateTimeField(_("key released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    price_fen = models.PositiveBigIntegerField(_("price (fen)"), null=True, blank=True)
    price_uppercase = models.CharField(_("price in Chinese uppercase"), max_length=200, blank=True)
    duration_days = models.PositiveIntegerField(_("duration (days)"), null=True, blank=True)
    quality = models.CharField(_("quality"), max_length=200, blank=True)
    project_manager = models.CharField(_("project manager"), max_length=100, blank=True)
    deposit_status = models.CharField(_("deposit or guarantee"), max_length=40, default="unknown")
    manifest = models.JSONField(_("manifest (feature codes hashed)"), default=dict, blank=True)
    package_document_id = models.PositiveBigIntegerField(_("decrypted package"), null=True, blank=True)
    package_sha256 = models.CharField(_("package SHA-256"), max_length=64, blank=True)
    confirmation = models.CharField(_("confirmation"), max_length=12, default=states.UNCONFIRMED)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("opening row")
        verbose_name_plural = _("opening rows")
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"bid {self.bid_id} ({self.decryption})"


class BackupShare(models.Model):
    """A custodian's share of a bid's content key (k-of-n backup decryption). The value is kept
    only until the key is recovered (then blanked; its SHA-256 stays)."""

    row = models.ForeignKey("OpeningBid", on_delete=models.PROTECT, related_name="shares")
    index = models.PositiveSmallIntegerField(_("share index"))
    value = models.CharField(_("share (base64)"), max_length=100, blank=True)
    value_sha256 = models.CharField(_("share SHA-256"), max_length=64)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("custodian share")
        verbose_name_plural = _("custodian shares")
        constraints = [models.UniqueConstraint(fields=["row", "index"], name="opening_share_once")]

    def __str__(self) -> str:
        return f"share {self.index} of bid row {self.row_id}"


class Objection(models.Model):
    """An objection raised on the spot (T6, 条例 44) and the host's answer."""

    session = models.ForeignKey(OpeningSession, on_delete=models.PROTECT, related_name="objections")
    row = models.ForeignKey(OpeningBid, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey("identity.Organisation", on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("objection"))
    raised_at = models.DateTimeField(_("raised at"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection at the opening")
        verbose_name_plural = _("objections at the opening")
        ordering = ["raised_at", "id"]

    def __str__(self) -> str:
        return f"objection {self.pk}"


class SessionHistory(models.Model):
    session = models.ForeignKey(OpeningSession, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(_("action"), max_length=60)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    at = models.DateTimeField(_("at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("opening history entry")
        verbose_name_plural = _("opening history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} @ {self.at}"


class OpeningEvent(models.Model):
    """One step of a session, in order (the live stream resumes after the last id it sent).

    ``public`` rows are for everyone (guests included); the others for the hall's participants
    (host, supervisors, the session's bidders). ``data`` never holds a bid's content before the
    decryption window has closed."""

    session = models.ForeignKey(OpeningSession, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=40)
    public = models.BooleanField(_("public"), default=True)
    data = models.JSONField(_("data"), default=dict)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("opening event")
        verbose_name_plural = _("opening events")
        ordering = ["id"]
        indexes = [models.Index(fields=["session", "id"], name="opening_event_session_id")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


__all__ = [
    "BackupShare",
    "Objection",
    "OpeningBid",
    "OpeningEvent",
    "OpeningSession",
    "SessionHistory",
    "SignIn",
]
