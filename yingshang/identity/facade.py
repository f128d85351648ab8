"""The identity context's only door for other contexts (and ``config``, ``web``, ``demo``).

Other contexts store foreign keys to ``identity.User`` (``settings.AUTH_USER_MODEL``) and
``identity.Organisation``; everything else they need is here. Documented in
``docs/contexts/identity.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from yingshang.identity import certificate_services, certificates, selectors, services, session
from yingshang.identity.auth import API_AUTH, ApiTokenAuth, SessionAuth
from yingshang.identity.certificates import CODES as CERTIFICATE_REFUSAL_CODES
from yingshang.identity.certificates import CertificateCheck, CertificateRejected
from yingshang.identity.models import ApiToken, CertificateAuthority, Organisation, User
from yingshang.identity.permissions import OrganisationPolicy, QuerysetPolicy, UserPolicy
from yingshang.identity.permissions import organisations as organisation_policy
from yingshang.identity.roles import (
    GUEST,
    OVERSIGHT_ROLES,
    READ_ONLY_ROLES,
    SECOND_FACTOR_ROLES,
    OrganisationKind,
    Role,
)
from yingshang.identity.selectors import OrganisationRoles
from yingshang.identity.services import (
    ensure_membership,
    ensure_organisation,
    ensure_totp,
    ensure_user,
)
from yingshang.kernel.errors import PermissionDenied
from yingshang.kernel.policy import Policy, Principal, scope_allows

__all__ = [
    "API_AUTH",
    "CERTIFICATE_REFUSAL_CODES",
    "GUEST",
    "OVERSIGHT_ROLES",
    "READ_ONLY_ROLES",
    "SECOND_FACTOR_ROLES",
    "ApiTokenAuth",
    "CertificateCheck",
    "CertificateRejected",
    "Organisation",
    "OrganisationKind",
    "OrganisationPolicy",
    "OrganisationRoles",
    "Policy",
    "Principal",
    "QuerysetPolicy",
    "Role",
    "SessionAuth",
    "TokenHolder",
    "User",
    "UserPolicy",
    "certificate_of",
    "ensure_authority",
    "ensure_membership",
    "ensure_organisation",
    "ensure_totp",
    "ensure_user",
    "get_organisation",
    "get_organisation_by_uscc",
    "get_user",
    "has_role",
    "holder_of_token",
    "principal_for",
    "principal_for_user",
    "remember_certificate",
    "require_scope",
    "roles_by_organisation",
    "user_has_role",
    "users_with_role",
    "validate_certificate",
    "visible_organisations",
]


def principal_for(request: HttpRequest) -> Principal:
    """The acting principal of a request: from its API token (with the token's organisation
    and scopes) or from its session (with the active organisation); the guest otherwise."""
    token = getattr(request, "api_token", None)
    if isinstance(token, ApiToken):
        return selectors.principal_for_user(
            token.user, organisation_id=token.organisation_id, scopes=token.scopes, fallback=False
        )
    user = getattr(request, "user", None)
    return selectors.principal_for_user(
        user if isinstance(user, User) else None, organisation_id=session.active_organisation_id(request)
    )


@dataclass(frozen=True)
class TokenHolder:
    """Who an API token acts as, for endpoints outside Django's request path (the bid chunk
    endpoint): the principal, when the token expires, and the certificate it is bound to."""

    principal: Principal
    expires_at: datetime
    certificate: str


def holder_of_token(raw: str) -> TokenHolder:
    """The holder of the API token ``raw`` (the value after ``Bearer``); ``NotAuthenticated`` for a
    malformed, unknown, expired or revoked token, as the API's own authentication."""
    token = services.authenticate_api_token(raw=raw)
    principal = selectors.principal_for_user(
        token.user, organisation_id=token.organisation_id, scopes=token.scopes, fallback=False
    )
    return TokenHolder(
        principal=principal, expires_at=token.expires_at, certificate=token.certificate_fingerprint or ""
    )


def principal_for_user(user: User, *, organisation_id: int | None = None) -> Principal:
    """The principal of ``user`` acting for ``organisation_id`` (default: their first
    organisation by name) - for commands, tasks and tests."""
    return selectors.principal_for_user(user, organisation_id=organisation_id)


def require_scope(request: HttpRequest, scope: str) -> None:
    """For API operations that use no policy: refuse a token lacking ``scope``
    (``<context>:read|write``). Session callers pass."""
    token = getattr(request, "api_token", None)
    if isinstance(token, ApiToken) and not scope_allows(frozenset(token.scopes), scope):
        raise PermissionDenied(_("This API token's scopes do not include %(scope)s."), scope=scope)


def has_role(principal: Principal, role: Role | str) -> bool:
    """Whether the principal holds ``role`` in its active organisation."""
    return principal.has_role(str(role))


def user_has_role(user: User, role: Role | str, *, organisation: Organisation | None = None) -> bool:
    """Whether ``user`` holds ``role`` in ``organisation`` (or in any active organisation)."""
    memberships = selectors.active_memberships(user.pk).filter(role=str(role))
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return memberships.exists()


def users_with_role(role: Role | str, *, organisation: Organisation | None = None) -> QuerySet[User]:
    """Active users holding ``role`` (in ``organisation`` if given), e.g. to notify all centre staff."""
    return selectors.users_with_role(str(role), organisation_id=organisation.pk if organisation else None)


def roles_by_organisation(user: User) -> list[OrganisationRoles]:
    """The user's active organisations with the roles held in each, by organisation name."""
    return selectors.roles_by_organisation(user.pk)


def get_organisation_by_uscc(uscc: str) -> Organisation | None:
    """The organisation registered under this credit code (normalised), or ``None``."""
    return selectors.get_organisation_by_uscc(uscc)


def get_organisation(organisation_id: int) -> Organisation | None:
    return Organisation.objects.filter(pk=organisation_id).first()


def get_user(user_id: int) -> User:
    """The user by id (``User.DoesNotExist`` if none): for commands and loaders acting for them."""
    return User.objects.get(pk=user_id)


def visible_organisations(principal: Principal) -> QuerySet[Organisation]:
    """The organisations ``principal`` may see (overseers: all; others: their own)."""
    return organisation_policy.filter_queryset(principal, Organisation.objects.all())


# --- certificates (docs/identity.md, "Certificates") --------------------------------------------


def validate_certificate(
    chain: Sequence[bytes], *, usage: Literal["signing", "encryption"], at: datetime | None = None
) -> CertificateCheck:
    """Validate an enterprise certificate chain (DER, leaf first) against the trust store for
    ``usage`` at ``at`` (default: now, wall clock). Returns the :class:`CertificateCheck`
    (fingerprint, subject, uscc, organisation id and name, CA name, algorithm, validity);
    raises :class:`CertificateRejected` (``code``, bilingual ``message``), codes in
    :data:`CERTIFICATE_REFUSAL_CODES`."""
    return certificates.validate_certificate(chain, usage=usage, at=at)


def remember_certificate(check: CertificateCheck, *, at: datetime | None = None) -> None:
    """Keep an accepted certificate (e.g. a bid's signing certificate) so that its organisation
    is reminded before it expires. Idempotent; call it inside your transaction or outside."""
    certificate_services.remember_certificate(check, at=at)


def certificate_of(request: HttpRequest) -> str | None:
    """The SHA-256 fingerprint (hex) of the certificate behind a request: the certificate a
    certificate-bound API token was issued for, or the one a browser session signed in with
    (QR sign-in); ``None`` for password sign-ins and ordinary tokens."""
    token = getattr(request, "api_token", None)
    if isinstance(token, ApiToken):
        return token.certificate_fingerprint or None
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_authenticated:
        return session.certificate_fingerprint(request)
    return None


def ensure_authority(
    *, certificate: bytes, vendor: str, region: str = "", uscc_rule: str = "serial_number"
) -> CertificateAuthority:
    """The trust store's CA with this certificate, added by the platform if missing (demo)."""
    return certificate_services.ensure_authority(
        certificate=certificate, vendor=vendor, region=region, uscc_rule=uscc_rule
    )
