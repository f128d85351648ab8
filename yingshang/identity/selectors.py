"""Reads of the identity context: memberships, roles, principals and lockout state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from yingshang.identity import sealing, totp
from yingshang.identity.models import ApiToken, Membership, Organisation, SignInAttempt, TotpDevice, User
from yingshang.identity.roles import SECOND_FACTOR_ROLES, Role
from yingshang.kernel.policy import Principal

#: Outcomes that count towards a lockout.
FAILURES = (SignInAttempt.Outcome.BAD_CREDENTIALS, SignInAttempt.Outcome.BAD_CODE)


@dataclass(frozen=True)
class OrganisationRoles:
    """The roles a user holds in one organisation (account page, dashboard)."""

    organisation: Organisation
    roles: tuple[Role, ...]


def active_memberships(user_id: int) -> QuerySet[Membership]:
    """Memberships that grant something: an active user in an active organisation."""
    return Membership.objects.filter(user_id=user_id, user__is_active=True, organisation__is_active=True)


def organisations_of(user_id: int) -> QuerySet[Organisation]:
    """The active organisations the user holds at least one role in, by name."""
    return Organisation.objects.filter(
        is_active=True, memberships__user_id=user_id, memberships__user__is_active=True
    ).distinct()


def roles_by_organisation(user_id: int) -> list[OrganisationRoles]:
    grouped: dict[int, tuple[Organisation, list[Role]]] = {}
    memberships = active_memberships(user_id).select_related("organisation")
    for membership in memberships.order_by("organisation__name", "organisation_id", "role"):
        entry = grouped.setdefault(membership.organisation_id, (membership.organisation, []))
        entry[1].append(Role(membership.role))
    return [OrganisationRoles(organisation=org, roles=tuple(roles)) for org, roles in grouped.values()]


def default_organisation_id(user_id: int) -> int | None:
    """The organisation a user acts for when none is chosen: the first by name."""
    return organisations_of(user_id).order_by("name", "id").values_list("id", flat=True).first()


def is_member(user_id: int, organisation_id: int) -> bool:
    return active_memberships(user_id).filter(organisation_id=organisation_id).exists()


def roles_in(user_id: int, organisation_id: int) -> frozenset[str]:
    return frozenset(
        active_memberships(user_id).filter(organisation_id=organisation_id).values_list("role", flat=True)
    )


def principal_for_user(
    user: User | None,
    *,
    organisation_id: int | None = None,
    scopes: Iterable[str] | None = None,
    fallback: bool = True,
) -> Principal:
    """The principal of ``user`` acting for ``organisation_id``.

    If the user does not (or no longer) belong to it: with ``fallback`` (sessions) their default
    organisation is used; without (API tokens bound to an organisation) the principal keeps that
    organisation and holds no roles. Anonymous or inactive users are the guest."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Principal.guest()
    org_id = organisation_id if organisation_id is not None and is_member(user.pk, organisation_id) else None
    if org_id is None and not fallback and organisation_id is not None:
        return Principal(
            user_id=user.pk,
            organisation_id=organisation_id,
            roles=frozenset(),
            is_superuser=user.is_superuser,
            scopes=frozenset(scopes) if scopes is not None else None,
        )
    if org_id is None:
        org_id = default_organisation_id(user.pk)
    roles = roles_in(user.pk, org_id) if org_id is not None else frozenset()
    return Principal(
        user_id=user.pk,
        organisation_id=org_id,
        roles=roles,
        is_superuser=user.is_superuser,
        scopes=frozenset(scopes) if scopes is not None else None,
    )


def holds_second_factor_role(user_id: int) -> bool:
    """Must use a second factor: a superuser (the admin reaches everything), or a holder of
    centre_staff, supervisor, auditor or expert in any membership (active organisation or not)."""
    roles = [r.value for r in SECOND_FACTOR_ROLES]
    return (
        User.objects.filter(pk=user_id, is_superuser=True).exists()
        or Membership.objects.filter(user_id=user_id, role__in=roles).exists()
    )


def confirmed_device(user_id: int) -> TotpDevice | None:
    return TotpDevice.objects.filter(user_id=user_id, confirmed_at__isnull=False).first()


def needs_second_factor(user_id: int) -> bool:
    """A second factor is required for holders of the 2FA roles and anyone who enrolled
    voluntarily."""
    return holds_second_factor_role(user_id) or confirmed_device(user_id) is not None


@dataclass(frozen=True)
class TotpEnrolment:
    """What the enrolment page shows: the secret as text and the ``otpauth://`` URI for the QR."""

    secret: str
    uri: str


TOTP_ISSUER = "Yingshang"


def totp_enrolment(user: User, secret: str) -> TotpEnrolment:
    return TotpEnrolment(
        secret=secret, uri=totp.provisioning_uri(secret, account=user.username, issuer=TOTP_ISSUER)
    )


def pending_totp_enrolment(user: User) -> TotpEnrolment | None:
    """The unconfirmed enrolment to show again (the page is reloaded), or ``None``."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    return totp_enrolment(user, sealing.open_totp_secret(device)) if device is not None else None


def get_organisation_by_uscc(uscc: str) -> Organisation | None:
    return Organisation.objects.filter(uscc=uscc.strip().upper()).first()


def users_with_role(role: str, *, organisation_id: int | None = None) -> QuerySet[User]:
    """Active users holding ``role`` (in ``organisation_id`` if given) in active organisations."""
    memberships = Membership.objects.filter(role=role, organisation__is_active=True)
    if organisation_id is not None:
        memberships = memberships.filter(organisation_id=organisation_id)
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id")).order_by("pk")


def tokens_of(user_id: int) -> QuerySet[ApiToken]:
    return (
        ApiToken.objects.filter(user_id=user_id).select_related("organisation").order_by("-created_at", "-id")
    )


# --- lockout -----------------------------------------------------------------------------------


def lockout_key(username: str) -> str:
    """Attempts are counted per user name as typed, case-folded (existing account or not)."""
    return (username or "").strip().casefold()[:150]


def lockout_limits() -> tuple[int, timedelta, int]:
    """``(failures per account, window, failures per client address)`` from settings."""
    conf: dict[str, Any] = settings.YINGSHANG
    failures = int(conf["LOCKOUT_FAILURES"])
    window = timedelta(minutes=int(conf["LOCKOUT_MINUTES"]))
    per_address = int(conf.get("LOCKOUT_ADDRESS_FAILURES", failures))
    return failures, window, per_address


def _locked_until(failures: QuerySet[SignInAttempt], limit: int, window: timedelta) -> datetime | None:
    """With ``limit`` failures in the window the lock lasts until the oldest of the last
    ``limit`` failures leaves the window."""
    times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) < limit:
        return None
    return times[-1] + window


def locked_until(*, username: str, client_address: str, at: datetime) -> datetime | None:
    """When sign-in for this user name / from this address may be tried again, or ``None``.

    Per account: failures since the account's last successful sign-in within the window.
    Per address: failures from the address within the window (a success does not reset them,
    or an attacker with one account could reset the counter for guessing others).
    """
    limit, window, address_limit = lockout_limits()
    since = at - window
    key = lockout_key(username)
    until: list[datetime] = []
    if key:
        last_success = (
            SignInAttempt.objects.filter(username=key, outcome=SignInAttempt.Outcome.SIGNED_IN, at__gt=since)
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        account = SignInAttempt.objects.filter(
            username=key, outcome__in=FAILURES, at__gt=last_success or since
        )
        if (moment := _locked_until(account, limit, window)) is not None:
            until.append(moment)
    if client_address:
        address = SignInAttempt.objects.filter(
            client_address=client_address, outcome__in=FAILURES, at__gt=since
        )
        if (moment := _locked_until(address, address_limit, window)) is not None:
            until.append(moment)
    latest = max(until, default=None)
    return latest if latest is not None and latest > at else None
