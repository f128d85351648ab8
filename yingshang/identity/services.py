"""Every write of the identity context: one transaction per command, keyword-only arguments.

Errors are ``yingshang.kernel.errors`` classes with translated messages. Security time (lockout,
TOTP, token expiry) is the **wall clock**; the functions that read it take ``at=`` so tests can
set the time (``None``: now).

Evidence ledger: each command records its fact in its own transaction through the ledger's
facade (``identity.ledger_actions`` has the codes; ``docs/identity.md``, "Evidence", the table).
Organisations and memberships are ledgered aggregates (``record_change``: their rows keep the
entry's hash, so ``yingshang ledger audit`` finds rows edited behind the services' back).
Secrets (passwords, token secrets, TOTP seeds) never go into the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingshang.identity import events, sealing, selectors, tokens, totp
from yingshang.identity import ledger_actions as evidence
from yingshang.identity.models import (
    LANGUAGE_CHOICES,
    ApiToken,
    Membership,
    Organisation,
    SignInAttempt,
    TotpDevice,
    User,
)
from yingshang.identity.permissions import organisations as organisation_policy
from yingshang.identity.permissions import users as user_policy
from yingshang.identity.roles import READ_ONLY_ROLES, ROLES_BY_KIND, OrganisationKind, Role
from yingshang.identity.selectors import TotpEnrolment
from yingshang.kernel import clock
from yingshang.kernel.errors import Conflict, InvalidInput, Locked, NotAuthenticated, NotFound, RuleViolation
from yingshang.kernel.events import publish
from yingshang.kernel.identifiers import InvalidIdentifier, check_uscc
from yingshang.kernel.policy import Principal, scope_allows
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Visibility

__all__ = [
    "CreatedToken",
    "PasswordCheck",
    "TotpEnrolment",
    "authenticate_api_token",
    "confirm_totp",
    "create_api_token",
    "create_user",
    "disable_totp",
    "enrol_totp",
    "ensure_membership",
    "ensure_organisation",
    "ensure_totp",
    "ensure_user",
    "grant_role",
    "record_sign_in_attempt",
    "register_organisation",
    "revoke_api_token",
    "revoke_role",
    "sign_in_with_password",
    "update_profile",
    "verify_second_factor",
]

WRONG_CODE = _("The code does not match. Check the time on your phone and enter the current code.")
#: A token's ``last_used_at`` is written at most this often (a write per call would be wasteful).
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def _now(at: datetime | None) -> datetime:
    """The wall clock (security time), or ``at`` when a caller (a test) fixes the time."""
    return at if at is not None else clock.wall_now()


def _invalid(field: str, code: str, message: Any, **params: Any) -> InvalidInput:
    """``InvalidInput`` for one field, its message rendered now (in the request's language)."""
    text = str(message) % params if params else str(message)
    return InvalidInput(text, details=[{"field": field, "code": code, "message": text}])


# --- organisations ----------------------------------------------------------------------------


E = TypeVar("E", bound=StrEnum)


def _choice(enum: type[E], value: str, field: str, message: Any) -> E:
    """``enum(value)``, or ``InvalidInput`` for ``field`` listing the known values."""
    try:
        return enum(value)
    except ValueError:
        raise _invalid(
            field, f"unknown_{field}", message, value=value, known=", ".join(member.value for member in enum)
        ) from None


def _clean_organisation(
    *, kind: str, name: str, uscc: str, division: str | None
) -> tuple[str, str, str, str]:
    kind = _choice(
        OrganisationKind, kind, "kind", _("Unknown kind of organisation %(value)s; choose one of: %(known)s.")
    ).value
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise _invalid("name", "invalid", _("Enter the organisation's name (at most 200 characters)."))
    try:
        uscc = check_uscc(uscc)
    except InvalidIdentifier as exc:
        raise _invalid("uscc", f"uscc_{exc.code}", str(exc)) from exc
    division = (uscc[2:8] if division is None else division).strip()
    if not (len(division) == 6 and division.isdigit()):
        raise _invalid(
            "division",
            "invalid_division",
            _("The administrative division is a six-digit code such as 620100."),
        )
    return kind, name, uscc, division


def register_organisation(
    *, actor: Principal | None, kind: str, name: str, uscc: str, division: str | None = None
) -> Organisation:
    """Register a new organisation. ``actor=None`` is the platform itself (commands, demo).

    ``division`` defaults to the six digits the credit code carries (positions 3-8).
    Raises ``PermissionDenied``, ``InvalidInput`` (with field details) or ``Conflict`` if the
    credit code is already registered.
    """
    if actor is not None:
        organisation_policy.require(actor, "register")
    kind, name, uscc, division = _clean_organisation(kind=kind, name=name, uscc=uscc, division=division)
    with transaction.atomic():
        if Organisation.objects.filter(uscc=uscc).exists():
            raise Conflict(_("An organisation with credit code %(uscc)s is already registered."), uscc=uscc)
        organisation = Organisation.objects.create(kind=kind, name=name, uscc=uscc, division=division)
        ledger.record_change(
            instance=organisation,
            action=evidence.ORGANISATION_REGISTERED,
            actor=evidence.actor_of(actor),
            visibility=Visibility.public(),
        )
        publish(
            events.OrganisationRegistered(organisation_id=organisation.pk, uscc=organisation.uscc, kind=kind)
        )
    return organisation


def ensure_organisation(*, kind: str, name: str, uscc: str, division: str | None = None) -> Organisation:
    """Idempotent (demo loader): the organisation with this credit code, registered if missing
    and brought up to date (kind, name, division, active) if it differs."""
    kind, name, uscc, division = _clean_organisation(kind=kind, name=name, uscc=uscc, division=division)
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().filter(uscc=uscc).first()
        if organisation is None:
            return register_organisation(actor=None, kind=kind, name=name, uscc=uscc, division=division)
        wanted = {"kind": kind, "name": name, "division": division, "is_active": True}
        changed = [field for field, value in wanted.items() if getattr(organisation, field) != value]
        if changed:
            old = {field: getattr(organisation, field) for field in changed}
            for field in changed:
                setattr(organisation, field, wanted[field])
            organisation.updated_at = clock.wall_now()
            organisation.save(update_fields=[*changed, "updated_at"])
            ledger.record_change(
                instance=organisation,
                action=evidence.ORGANISATION_UPDATED,
                actor=Actor.system("demo"),
                visibility=Visibility.public(),
                data={"changed": {field: {"old": old[field], "new": wanted[field]} for field in changed}},
            )
    return organisation


# --- users --------------------------------------------------------------------------------------


def _check_language(language: str) -> str:
    known = [code for code, _name in LANGUAGE_CHOICES]
    if language not in known:
        raise _invalid(
            "preferred_language",
            "invalid_choice",
            _("Choose one of the languages: %(known)s."),
            known=", ".join(known),
        )
    return language


def create_user(
    *,
    actor: Principal | None,
    username: str,
    password: str,
    display_name: str = "",
    phone: str = "",
    email: str = "",
    preferred_language: str = "zh-hans",
) -> User:
    """Create a user (without roles: grant them with :func:`grant_role`).

    The password must pass the configured validators. Raises ``PermissionDenied``,
    ``InvalidInput`` (field details) or ``Conflict`` (user name taken).
    """
    if actor is not None:
        user_policy.require(actor, "create")
    username = (username or "").strip()
    _check_language(preferred_language)
    candidate = User(
        username=username, display_name=display_name.strip(), phone=phone.strip(), email=email.strip()
    )
    try:
        candidate.clean_fields(exclude=["password"])
    except ValidationError as exc:
        details = [
            {"field": field, "code": error.code or "invalid", "message": " ".join(error.messages)}
            for field, errs in exc.error_dict.items()
            for error in errs
        ]
        raise InvalidInput(details[0]["message"], details=details) from exc
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise InvalidInput(
            " ".join(exc.messages),
            details=[
                {"field": "password", "code": e.code or "invalid", "message": " ".join(e.messages)}
                for e in exc.error_list
            ],
        ) from exc
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict(_("The user name %(username)s is already taken."), username=username)
        user = User(
            username=username,
            display_name=candidate.display_name,
            phone=candidate.phone,
            email=candidate.email,
            preferred_language=preferred_language,
        )
        user.set_password(password)
        user.save()
        ledger.record(
            action=evidence.USER_CREATED,
            actor=evidence.actor_of(actor),
            subject=evidence.user_subject(user.pk),
            data={"username": user.username},
            visibility=evidence.user_only(user.pk),
        )
        publish(events.UserCreated(user_id=user.pk))
    return user


def ensure_user(
    *,
    username: str,
    password: str,
    display_name: str = "",
    phone: str = "",
    email: str = "",
    preferred_language: str = "zh-hans",
) -> User:
    """Idempotent (demo loader): the user, created if missing, profile fields brought up to
    date if not. An existing user's password is left as it is (checking it would cost a slow
    hash per user on every run); reset it with ``yingshang changepassword``."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username.strip()).first()
        if user is None:
            return create_user(
                actor=None,
                username=username,
                password=password,
                display_name=display_name,
                phone=phone,
                email=email,
                preferred_language=preferred_language,
            )
        wanted = {
            "display_name": display_name.strip(),
            "phone": phone.strip(),
            "email": email.strip(),
            "preferred_language": _check_language(preferred_language),
            "is_active": True,
        }
        changed = [field for field, value in wanted.items() if getattr(user, field) != value]
        if changed:
            for field in changed:
                setattr(user, field, wanted[field])
            user.save(update_fields=changed)
            ledger.record(
                action=evidence.USER_UPDATED,
                actor=Actor.system("demo"),
                subject=evidence.user_subject(user.pk),
                data={"fields": sorted(changed)},
                visibility=evidence.user_only(user.pk),
            )
    return user


def update_profile(*, user: User, display_name: str, phone: str, preferred_language: str) -> User:
    """The signed-in user changes their own name, phone and language (self-service)."""
    _check_language(preferred_language)
    display_name, phone = display_name.strip(), phone.strip()
    if len(display_name) > 100:
        raise _invalid("display_name", "too_long", _("Enter at most %(n)s characters."), n=100)
    if len(phone) > 20:
        raise _invalid("phone", "too_long", _("Enter at most %(n)s characters."), n=20)
    with transaction.atomic():
        wanted = {"display_name": display_name, "phone": phone, "preferred_language": preferred_language}
        changed = sorted(field for field, value in wanted.items() if getattr(user, field) != value)
        User.objects.filter(pk=user.pk).update(**wanted)
        if changed:
            ledger.record(
                action=evidence.USER_UPDATED,
                actor=evidence.user_actor(user.pk),
                subject=evidence.user_subject(user.pk),
                data={"fields": changed},
                visibility=evidence.user_only(user.pk),
            )
    user.display_name, user.phone, user.preferred_language = display_name, phone, preferred_language
    return user


# --- memberships ----------------------------------------------------------------------------------


def _check_grant(*, user: User, organisation: Organisation, role: Role) -> None:
    if not organisation.is_active:
        raise RuleViolation(
            _("%(organisation)s is not active; roles cannot be granted in it."),
            organisation=organisation.name,
        )
    if not user.is_active:
        raise RuleViolation(_("The user %(user)s is not active."), user=user.username)
    kind = OrganisationKind(organisation.kind)
    if role not in ROLES_BY_KIND[kind]:
        raise RuleViolation(
            _("The role %(role)s cannot be held in %(kind)s %(organisation)s; allowed there: %(allowed)s."),
            role=str(role.label),
            kind=str(kind.label),
            organisation=organisation.name,
            allowed="、".join(str(r.label) for r in Role if r in ROLES_BY_KIND[kind]),
        )
    held = set(
        Membership.objects.filter(user=user, organisation=organisation)
        .exclude(role=role)
        .values_list("role", flat=True)
    )
    read_only = {r.value for r in READ_ONLY_ROLES}
    if held and (role.value in read_only or held & read_only):
        raise RuleViolation(
            _(
                "A discipline inspector or auditor cannot hold another role in the same organisation "
                "(separation of duties)."
            )
        )


def _parse_role(role: str) -> Role:
    return _choice(Role, role, "role", _("Unknown role %(value)s; choose one of: %(known)s."))


def grant_role(*, actor: Principal | None, user: User, organisation: Organisation, role: str) -> Membership:
    """Grant ``role`` to ``user`` in ``organisation``; granting a role already held returns
    the existing membership. Raises ``PermissionDenied``, ``InvalidInput`` (unknown role) or
    ``RuleViolation`` (role not allowed for the kind of organisation, inactive party, auditor
    combined with another role)."""
    if actor is not None:
        organisation_policy.require(actor, "grant_role", organisation)
    parsed = _parse_role(role)
    with transaction.atomic():
        existing = Membership.objects.filter(user=user, organisation=organisation, role=parsed.value).first()
        if existing is not None:
            return existing
        _check_grant(user=user, organisation=organisation, role=parsed)
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    user=user,
                    organisation=organisation,
                    role=parsed.value,
                    granted_by_id=actor.user_id if actor is not None else None,
                )
        except IntegrityError:  # a concurrent grant of the same role won
            return Membership.objects.get(user=user, organisation=organisation, role=parsed.value)
        ledger.record_change(
            instance=membership,
            action=evidence.ROLE_GRANTED,
            actor=evidence.actor_of(actor),
            visibility=Visibility.parties(user_ids=(user.pk,), organisation_ids=(organisation.pk,)),
            data={
                "user": user.username,
                "organisation_uscc": organisation.uscc,
                "role": parsed.value,
                "granted_by": actor.user_id if actor is not None else None,
            },
        )
        publish(events.RoleGranted(user_id=user.pk, organisation_id=organisation.pk, role=parsed.value))
    return membership


def revoke_role(*, actor: Principal | None, user: User, organisation: Organisation, role: str) -> None:
    """Take ``role`` away. Raises ``PermissionDenied`` or ``NotFound`` if it is not held."""
    if actor is not None:
        organisation_policy.require(actor, "revoke_role", organisation)
    parsed = _parse_role(role)
    with transaction.atomic():
        membership_id = (
            Membership.objects.filter(user=user, organisation=organisation, role=parsed.value)
            .values_list("pk", flat=True)
            .first()
        )
        deleted = Membership.objects.filter(pk=membership_id).delete()[0] if membership_id is not None else 0
        if not deleted:
            raise NotFound(
                _("%(user)s does not hold that role in %(organisation)s."),
                user=str(user),
                organisation=organisation.name,
            )
        ledger.record(
            action=evidence.ROLE_REVOKED,
            actor=evidence.actor_of(actor),
            subject=evidence.membership_subject(Membership(pk=membership_id)),
            data={"user": user.username, "organisation_uscc": organisation.uscc, "role": parsed.value},
            visibility=Visibility.parties(user_ids=(user.pk,), organisation_ids=(organisation.pk,)),
        )
        publish(events.RoleRevoked(user_id=user.pk, organisation_id=organisation.pk, role=parsed.value))


def ensure_membership(*, user: User, organisation: Organisation, roles: Iterable[str]) -> list[Membership]:
    """Idempotent (demo loader): ``user`` holds at least ``roles`` in ``organisation``.
    Roles held beyond these are left alone."""
    with transaction.atomic():
        return [grant_role(actor=None, user=user, organisation=organisation, role=role) for role in roles]


# --- API tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedToken:
    """A new token and its plain text, which exists only here: show it once, then drop it."""

    token: ApiToken
    plain: str


def token_contexts() -> list[str]:
    """Contexts a scope may name: the app labels of the platform's own apps."""
    return sorted(
        config.label
        for config in apps.get_app_configs()
        if config.name.startswith("yingshang.") and config.label not in {"web", "demo"}
    )


def max_token_lifetime() -> timedelta:
    conf: dict[str, Any] = settings.YINGSHANG
    return timedelta(days=int(conf.get("API_TOKEN_MAX_DAYS", 366)))


def create_api_token(
    *,
    user: User,
    name: str,
    scopes: Sequence[str],
    expires_at: datetime,
    organisation: Organisation | None = None,
    limit_scopes: Iterable[str] | None = None,
    at: datetime | None = None,
) -> CreatedToken:
    """Create an API token for ``user`` (self-service). Returns the plain token once.

    ``expires_at`` must be in the future and at most ``API_TOKEN_MAX_DAYS`` (366) days ahead.
    ``organisation``: the one the token acts for (the user must belong to it); ``None`` means
    the user's default organisation at each call. Holders of a read-only role get read scopes
    only. ``limit_scopes``: when a token creates a token, the new one cannot exceed the
    creator's scopes.
    """
    now = _now(at)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise _invalid(
            "name", "invalid", _("Give the token a name of 1 to 100 characters, so you recognise it later.")
        )
    if timezone.is_naive(expires_at):
        raise _invalid("expires_at", "naive", _("The expiry time must include a time zone."))
    if expires_at <= now:
        raise _invalid("expires_at", "in_past", _("The expiry time must be in the future."))
    if expires_at > now + max_token_lifetime():
        raise _invalid(
            "expires_at",
            "too_long",
            _("A token may live at most %(days)s days."),
            days=max_token_lifetime().days,
        )
    if organisation is not None and not selectors.is_member(user.pk, organisation.pk):
        raise _invalid(
            "organisation", "not_member", _("You can only create tokens for organisations you belong to.")
        )
    principal = selectors.principal_for_user(user, organisation_id=organisation.pk if organisation else None)
    try:
        clean_scopes = tokens.normalise_scopes(
            scopes, contexts=token_contexts(), read_only=principal.is_read_only
        )
    except tokens.InvalidScope as exc:
        raise _invalid("scopes", "invalid_scope", str(exc)) from exc
    if limit_scopes is not None:
        allowed = frozenset(limit_scopes)
        beyond = [scope for scope in clean_scopes if not scope_allows(allowed, scope)]
        if beyond:
            raise _invalid(
                "scopes",
                "beyond_creator",
                _("A token cannot create a token with more rights than itself: %(scopes)s."),
                scopes=", ".join(beyond),
            )
    new = tokens.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            organisation=organisation,
            name=name,
            prefix=new.prefix,
            secret_hash=tokens.hash_secret(new.secret),
            scopes=clean_scopes,
            created_at=now,
            expires_at=expires_at,
        )
        ledger.record(
            action=evidence.TOKEN_CREATED,
            actor=evidence.user_actor(user.pk),
            subject=evidence.token_subject(token.pk),
            data={
                "user": user.username,
                "prefix": token.prefix,
                "scopes": list(clean_scopes),
                "expires_at": expires_at,
                "organisation_uscc": organisation.uscc if organisation is not None else None,
            },
            visibility=Visibility.parties(
                user_ids=(user.pk,), organisation_ids=(organisation.pk,) if organisation is not None else ()
            ),
        )
        publish(events.ApiTokenCreated(token_id=token.pk, user_id=user.pk, scopes=tuple(clean_scopes)))
    return CreatedToken(token=token, plain=new.plain)


def revoke_api_token(*, user: User, token_id: int, at: datetime | None = None) -> ApiToken:
    """Revoke one of ``user``'s tokens (revoking a revoked token changes nothing).
    Raises ``NotFound`` for a token that is not theirs."""
    now = _now(at)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is None:
            raise NotFound()
        if token.revoked_at is None:
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            ledger.record(
                action=evidence.TOKEN_REVOKED,
                actor=evidence.user_actor(user.pk),
                subject=evidence.token_subject(token.pk),
                data={"user": user.username, "prefix": token.prefix},
                visibility=evidence.user_only(user.pk),
            )
            publish(events.ApiTokenRevoked(token_id=token.pk, user_id=user.pk))
    return token


def authenticate_api_token(*, raw: str, at: datetime | None = None) -> ApiToken:
    """The live token ``raw`` names, its ``last_used_at`` updated (at most once a minute).

    Raises ``NotAuthenticated`` (one message for malformed, unknown, wrong, expired or revoked
    tokens and inactive users, so a caller learns nothing about which).
    """
    now = _now(at)
    parts = tokens.split(raw)
    token = (
        ApiToken.objects.select_related("user", "organisation").filter(prefix=parts[0]).first()
        if parts
        else None
    )
    if (
        parts is None
        or token is None
        or not tokens.secret_matches(parts[1], token.secret_hash)
        or not token.is_usable_at(now)
        or not token.user.is_active
    ):
        raise NotAuthenticated(_("The API token is not valid, has expired or was revoked."))
    if token.last_used_at is None or token.last_used_at < now - TOKEN_TOUCH_INTERVAL:
        with transaction.atomic():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- sign-in ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordCheck:
    """A correct password. ``needs_second_factor``: not signed in until a code is verified;
    ``has_device``: whether the user can give one (else they must enrol first)."""

    user: User
    needs_second_factor: bool
    has_device: bool


def record_sign_in_attempt(
    *,
    username: str,
    client_address: str,
    outcome: str,
    user: User | None = None,
    second_factor: bool = False,
    at: datetime | None = None,
) -> SignInAttempt:
    """Record one attempt; publishes ``AccountLockedOut`` when a failure reaches a limit.
    Sign-ins and lockouts go to the evidence ledger (``second_factor``: a code was checked)."""
    now = _now(at)
    outcome = SignInAttempt.Outcome(outcome)
    with transaction.atomic():
        attempt = SignInAttempt.objects.create(
            username=selectors.lockout_key(username),
            user=user,
            client_address=(client_address or "")[:64],
            outcome=outcome,
            at=now,
        )
        if outcome in selectors.FAILURES:
            until = selectors.locked_until(username=username, client_address=client_address, at=now)
            if until is not None:
                ledger.record(
                    action=evidence.USER_LOCKED_OUT,
                    actor=Actor.guest(),
                    subject=evidence.username_subject(attempt.username),
                    data={"client_address": attempt.client_address, "until": until},
                    visibility=evidence.user_only(user.pk) if user is not None else Visibility.oversight(),
                )
                publish(
                    events.AccountLockedOut(
                        username=attempt.username,
                        user_id=user.pk if user else None,
                        client_address=attempt.client_address,
                        until=until.isoformat(),
                    )
                )
        elif outcome == SignInAttempt.Outcome.SIGNED_IN and user is not None:
            ledger.record(
                action=evidence.USER_SIGNED_IN,
                actor=evidence.user_actor(user.pk),
                subject=evidence.user_subject(user.pk),
                data={"client_address": attempt.client_address, "second_factor": second_factor},
                visibility=evidence.user_only(user.pk),
            )
            publish(events.UserSignedIn(user_id=user.pk, client_address=attempt.client_address))
    return attempt


def _locked_error(until: datetime) -> Locked:
    local = timezone.localtime(until)
    return Locked(
        _("Too many failed sign-in attempts. Try again after %(time)s (Beijing time)."),
        time=local.strftime("%Y-%m-%d %H:%M"),
    )


def sign_in_with_password(
    *, username: str, password: str, client_address: str = "", at: datetime | None = None
) -> PasswordCheck:
    """Check a user name and password, with lockout per user name and per client address.

    Raises ``Locked`` (the message says when to try again, the same whether or not the account
    exists) or ``NotAuthenticated`` (code ``bad_credentials``). The attempt is recorded either way.
    The caller signs the user in only if ``needs_second_factor`` is false; otherwise it keeps a
    half-signed-in state until :func:`verify_second_factor` succeeds.
    """
    now = _now(at)
    username = (username or "").strip()
    user = User.objects.filter(username=username).first() if username else None
    until = selectors.locked_until(username=username, client_address=client_address, at=now)
    # The slow password hash runs outside any transaction (it would hold SQLite's write lock).
    if until is not None:
        outcome = SignInAttempt.Outcome.LOCKED
    elif user is None:
        User().set_password(password or "")  # spend the same time as a real check
        outcome = SignInAttempt.Outcome.BAD_CREDENTIALS
    elif not (user.check_password(password or "") and user.is_active):
        outcome = SignInAttempt.Outcome.BAD_CREDENTIALS
    elif selectors.needs_second_factor(user.pk):
        outcome = SignInAttempt.Outcome.PASSWORD_ACCEPTED
    else:
        outcome = SignInAttempt.Outcome.SIGNED_IN
    record_sign_in_attempt(
        username=username, client_address=client_address, outcome=outcome, user=user, at=now
    )
    if until is not None:
        raise _locked_error(until)
    if outcome == SignInAttempt.Outcome.BAD_CREDENTIALS:
        raise NotAuthenticated(_("The user name or password is not correct."), code="bad_credentials")
    assert user is not None
    return PasswordCheck(
        user=user,
        needs_second_factor=outcome == SignInAttempt.Outcome.PASSWORD_ACCEPTED,
        has_device=selectors.confirmed_device(user.pk) is not None,
    )


def _use_code(device: TotpDevice, code: str, *, now: datetime) -> bool:
    """Check ``code`` against a device and consume its time step (compare-and-set, so two
    concurrent requests cannot both use one code)."""
    secret = sealing.open_totp_secret(device)
    step = totp.matching_step(secret, code, unix_time=now.timestamp(), after_step=device.last_used_step)
    if step is None:
        return False
    previous = device.last_used_step
    unchanged = Q(last_used_step__isnull=True) if previous is None else Q(last_used_step=previous)
    updated = TotpDevice.objects.filter(unchanged, pk=device.pk).update(last_used_step=step)
    if updated:
        device.last_used_step = step
    return bool(updated)


def verify_second_factor(
    *, user: User, code: str, client_address: str = "", at: datetime | None = None
) -> None:
    """Check a one-time code of ``user``'s confirmed device; a used code (or an older one) is
    refused. Counts towards the lockout like a wrong password. Raises ``Locked`` or
    ``NotAuthenticated`` (code ``bad_code``)."""
    now = _now(at)
    with transaction.atomic():
        until = selectors.locked_until(username=user.username, client_address=client_address, at=now)
        device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
        ok = until is None and device is not None and user.is_active and _use_code(device, code, now=now)
        if until is not None:
            outcome = SignInAttempt.Outcome.LOCKED
        else:
            outcome = SignInAttempt.Outcome.SIGNED_IN if ok else SignInAttempt.Outcome.BAD_CODE
        record_sign_in_attempt(
            username=user.username,
            client_address=client_address,
            outcome=outcome,
            user=user,
            second_factor=True,
            at=now,
        )
    if until is not None:
        raise _locked_error(until)
    if not ok:
        raise NotAuthenticated(
            _("The code is not correct, or it was already used. Wait for the next code and try again."),
            code="bad_code",
        )


# --- TOTP devices ---------------------------------------------------------------------------------------


def enrol_totp(*, user: User, at: datetime | None = None) -> TotpEnrolment:
    """Start (or restart) enrolment: a new unconfirmed device with a fresh secret.
    Raises ``Conflict`` if the user already has a confirmed device (disable it first)."""
    now = _now(at)
    secret = totp.new_secret()
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.is_confirmed:
            raise Conflict(_("An authenticator is already set up; turn it off first to replace it."))
        if device is None:
            device = TotpDevice(user=user)
        device.sealed_secret = sealing.seal_totp_secret(user.pk, secret)
        device.created_at = now
        device.last_used_step = None
        device.save()
    return selectors.totp_enrolment(user, secret)


def confirm_totp(*, user: User, code: str, at: datetime | None = None) -> TotpDevice:
    """Finish enrolment with a code from the app. Raises ``InvalidInput`` if the code is wrong,
    ``Conflict`` if there is no enrolment under way."""
    now = _now(at)
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.is_confirmed:
            raise Conflict(_("There is no authenticator set-up under way; start again."))
        if not _use_code(device, code, now=now):
            raise _invalid("code", "bad_code", WRONG_CODE)
        device.confirmed_at = now
        device.save(update_fields=["confirmed_at"])
        _record_totp(user.pk, evidence.TOTP_CONFIRMED)
        publish(events.SecondFactorEnrolled(user_id=user.pk))
    return device


def disable_totp(*, user: User, code: str, at: datetime | None = None) -> None:
    """Turn the authenticator off, proven with a current code. Holders of centre_staff,
    supervisor or auditor must set one up again before they can continue."""
    now = _now(at)
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            raise NotFound(_("No authenticator is set up."))
        if device.is_confirmed and not _use_code(device, code, now=now):
            raise _invalid("code", "bad_code", WRONG_CODE)
        device.delete()
        _record_totp(user.pk, evidence.TOTP_DISABLED)
        publish(events.SecondFactorDisabled(user_id=user.pk))


def ensure_totp(*, user: User, secret: str) -> TotpDevice:
    """Idempotent (demo loader): ``user`` has a confirmed device with this known ``secret``.
    Raises ``InvalidInput`` if the secret is not base32 of at least 128 bits."""
    try:
        secret = totp.normalise_secret(secret)
    except totp.InvalidSecret as exc:
        raise _invalid("secret", "invalid_secret", str(exc)) from exc
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.is_confirmed and sealing.open_totp_secret(device) == secret:
            return device
        if device is None:
            device = TotpDevice(user=user)
        device.sealed_secret = sealing.seal_totp_secret(user.pk, secret)
        device.confirmed_at = clock.wall_now()
        device.last_used_step = None
        device.save()
        _record_totp(user.pk, evidence.TOTP_CONFIRMED)
        publish(events.SecondFactorEnrolled(user_id=user.pk))
    return device


def _record_totp(user_id: int, action: str) -> None:
    """The second-factor facts carry no data (never the seed)."""
    ledger.record(
        action=action,
        actor=evidence.user_actor(user_id),
        subject=evidence.user_subject(user_id),
        data={},
        visibility=evidence.user_only(user_id),
    )
