"""Users, organisations, the memberships that carry roles, API tokens, sign-in attempts and
TOTP devices.

The one registry of organisations: every other context refers to :class:`Organisation` by
foreign key or id and keeps none of its own. Roles live on :class:`Membership` rows, never on
the user. No business logic here: writes go through ``services``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingshang.identity.roles import OrganisationKind, Role, kind_choices, role_choices
from yingshang.kernel.fields import USCCField

LANGUAGE_CHOICES = [("zh-hans", "简体中文"), ("en", "English")]


class User(AbstractUser):
    """A person who signs in. Roles come from memberships in organisations, never from here."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, default="zh-hans", choices=LANGUAGE_CHOICES
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(preferred_language__in=[code for code, _name in LANGUAGE_CHOICES]),
                name="identity_user_language_known",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username


class Organisation(models.Model):
    """An enterprise, agency, government department, the trading centre, a bank or insurer, or a
    supervisory body, keyed by its unified social credit code."""

    kind = models.CharField(_("kind"), max_length=20, choices=kind_choices)
    name = models.CharField(_("name"), max_length=200)
    uscc = USCCField(unique=True)
    division = models.CharField(
        _("administrative division"),
        max_length=6,
        help_text=_("Six-digit GB/T 2260 code of the registering office's division."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    #: Leaf hash of the ledger entry recording the last change (tamper detection).
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[kind.value for kind in OrganisationKind]),
                name="identity_organisation_kind_known",
            ),
            models.CheckConstraint(
                condition=Exact(Length("division"), 6), name="identity_division_6_characters"
            ),
        ]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One role of one user in one organisation (one row per role)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=20, choices=role_choices)
    granted_at = models.DateTimeField(_("granted"), default=timezone.now, editable=False)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    #: Leaf hash of the ledger entry recording the grant (tamper detection).
    ledger_entry_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="identity_membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(role__in=[role.value for role in Role]), name="identity_membership_role_known"
            ),
        ]
        indexes = [models.Index(fields=["role", "organisation"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}: {self.get_role_display()}"


class ApiToken(models.Model):
    """A credential for programs (the bidder tool, issuers' systems). Only a hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
        help_text=_("The organisation the token acts for; empty: the user's first organisation."),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(_("SHA-256 of the secret"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    #: Set for tokens issued by certificate sign-in: SHA-256 (hex) of the certificate's DER.
    certificate_fingerprint = models.CharField(
        _("certificate fingerprint"), max_length=64, blank=True, default="", db_index=True
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="identity_token_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=Exact(Length("secret_hash"), 64), name="identity_token_hash_64_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (ys_{self.prefix}_…)"

    def is_usable_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > moment


class SignInAttempt(models.Model):
    """Every password or second-factor attempt, for lockout and for the record."""

    class Outcome(models.TextChoices):
        SIGNED_IN = "signed_in", _("signed in")
        PASSWORD_ACCEPTED = "password_accepted", _("password accepted, second factor pending")
        BAD_CREDENTIALS = "bad_credentials", _("wrong user name or password")
        BAD_CODE = "bad_code", _("wrong or reused one-time code")
        LOCKED = "locked", _("refused while locked")

    username = models.CharField(_("user name as typed (case-folded)"), max_length=150, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client_address = models.CharField(_("client address"), max_length=64, blank=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("sign-in attempt")
        verbose_name_plural = _("sign-in attempts")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["username", "at"], name="identity_attempt_user_at"),
            models.Index(fields=["client_address", "at"], name="identity_attempt_addr_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.outcome} {self.at:%Y-%m-%d %H:%M:%S}"


class TotpDevice(models.Model):
    """A user's authenticator app. The seed is sealed with AES-256-GCM (see ``secretbox``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device", verbose_name=_("user")
    )
    sealed_secret = models.BinaryField(_("sealed secret"), editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    last_used_step = models.BigIntegerField(
        _("last time step used"),
        null=True,
        blank=True,
        help_text=_("Codes of this step or earlier are refused."),
    )

    class Meta:
        verbose_name = _("TOTP device")
        verbose_name_plural = _("TOTP devices")

    def __str__(self) -> str:
        return f"{self.user}: {'confirmed' if self.confirmed_at else 'pending'}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


# --- trust store and certificate sign-in (docs/identity.md, "Certificates") --------------------


class CertificateAuthority(models.Model):
    """A root or intermediate CA certificate the platform recognises (CA mutual recognition).

    ``uscc_rule`` says where this CA's enterprise certificates carry the credit code:
    ``serial_number`` (subject serialNumber), ``ou`` (subject OU) or ``extension:<oid>``.
    An intermediate inherits nothing: each row keeps its own rule (usually the vendor's).
    Retired CAs stay (for the record and for checking old signatures) but sign nobody in.
    """

    class Level(models.TextChoices):
        ROOT = "root", _("root")
        INTERMEDIATE = "intermediate", _("intermediate")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired")

    name = models.CharField(_("name"), max_length=200)
    vendor = models.CharField(_("vendor"), max_length=200)
    region = models.CharField(_("region"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("issuer"),
    )
    certificate = models.BinaryField(_("certificate (DER)"))
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    subject = models.CharField(_("subject"), max_length=500)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    uscc_rule = models.CharField(_("where the credit code is"), max_length=120, default="serial_number")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    added_at = models.DateTimeField(_("added"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retired_reason = models.CharField(_("reason for retiring"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("certificate authority")
        verbose_name_plural = _("certificate authorities")
        ordering = ["vendor", "level", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=["root", "intermediate"]), name="identity_ca_level_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "retired"]), name="identity_ca_status_known"
            ),
            models.CheckConstraint(
                condition=Q(level="root", parent__isnull=True)
                | Q(level="intermediate", parent__isnull=False),
                name="identity_ca_parent_iff_intermediate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor})"


class RevocationList(models.Model):
    """A CRL imported for one CA (its issuer), checked against that CA's key on import."""

    authority = models.ForeignKey(
        CertificateAuthority,
        on_delete=models.PROTECT,
        related_name="revocation_lists",
        verbose_name=_("issuer"),
    )
    crl = models.BinaryField(_("CRL (DER)"))
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    this_update = models.DateTimeField(_("this update"))
    next_update = models.DateTimeField(_("next update"), null=True, blank=True)
    revoked_serials = models.JSONField(_("revoked serial numbers (hex)"), default=list)
    imported_at = models.DateTimeField(_("imported"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("certificate revocation list")
        verbose_name_plural = _("certificate revocation lists")
        ordering = ["authority_id", "-this_update", "-id"]
        indexes = [models.Index(fields=["authority", "this_update"], name="identity_crl_issuer_update")]

    def __str__(self) -> str:
        return f"CRL {self.authority.name} {self.this_update:%Y-%m-%d %H:%M}"


class EnterpriseCertificate(models.Model):
    """An enterprise certificate the platform has accepted (at sign-in or with a bid), for
    expiry reminders and to tell other contexts which certificate is behind a token."""

    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("organisation")
    )
    authority = models.ForeignKey(
        CertificateAuthority, on_delete=models.PROTECT, related_name="+", verbose_name=_("issuer")
    )
    usage = models.CharField(_("usage"), max_length=20)
    subject = models.CharField(_("subject"), max_length=500)
    serial = models.CharField(_("serial number (hex)"), max_length=80)
    algorithm = models.CharField(_("algorithm"), max_length=40)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"), db_index=True)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    reminded_days = models.JSONField(
        _("reminders sent (days before expiry)"), default=list, help_text=_("Thresholds already notified.")
    )

    class Meta:
        verbose_name = _("enterprise certificate")
        verbose_name_plural = _("enterprise certificates")
        ordering = ["not_after", "id"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.fingerprint[:12]})"


class CertificateChallenge(models.Model):
    """A single-use challenge for certificate sign-in. Only the challenge's hash is stored.

    ``purpose``: ``token`` (the bidder tool asks for an API token) or ``qr`` (a browser waits
    for a mobile signer; the browser's session holds the challenge id). A QR challenge, once
    signed, remembers who signed it until the waiting browser takes it (``consumed_at``).
    """

    class Purpose(models.TextChoices):
        TOKEN = "token", _("API token")
        QR = "qr", _("QR sign-in")

    public_id = models.CharField(_("challenge id"), max_length=40, unique=True)
    challenge_hash = models.CharField(_("SHA-256 of the challenge"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    consumed_at = models.DateTimeField(_("taken by the waiting browser"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    certificate_fingerprint = models.CharField(_("certificate fingerprint"), max_length=64, blank=True)
    #: Who asked for it (for the per-address limit on new challenges).
    client_address = models.CharField(_("client address"), max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("certificate sign-in challenge")
        verbose_name_plural = _("certificate sign-in challenges")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="identity_challenge_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.public_id}"
