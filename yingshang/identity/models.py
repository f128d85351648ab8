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
