"""Helpers for tests of every context: organisations, users with roles, signed-in clients.

Tests only (never imported by platform code). They go through the real services, so what they
build is what the platform would build::

    from yingshang.identity.testing import make_user, sign_in

    def test_bidder_sees_own_bids(client):
        bidder = make_user(roles=["bidder"])
        sign_in(client, bidder)  # fully signed in, second factor included where the role needs it
        ...
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.test import Client

from yingshang.identity import sealing, selectors, services, session, totp
from yingshang.identity.models import CertificateAuthority, Organisation, TotpDevice, User
from yingshang.identity.roles import OrganisationKind, Role, roles_needing_second_factor
from yingshang.kernel.identifiers import make_uscc
from yingshang.pki import Issued, Vendor

#: Passes the configured password validators.
PASSWORD = "Correct-Horse-Battery-42"  # noqa: S105  (test fixture)

#: A kind of organisation where each role may be held.
KIND_FOR_ROLE: dict[Role, OrganisationKind] = {
    Role.CENTRE_STAFF: OrganisationKind.CENTRE,
    Role.TENDERER: OrganisationKind.ENTERPRISE,
    Role.AGENCY: OrganisationKind.AGENCY,
    Role.BIDDER: OrganisationKind.ENTERPRISE,
    Role.EXPERT: OrganisationKind.ENTERPRISE,
    Role.SUPERVISOR: OrganisationKind.SUPERVISORY,
    Role.AUDITOR: OrganisationKind.SUPERVISORY,
    Role.ENTERPRISE: OrganisationKind.ENTERPRISE,
    Role.SERVICE_MANAGER: OrganisationKind.DEPARTMENT,
    Role.DEPARTMENT: OrganisationKind.DEPARTMENT,
    Role.ISSUER: OrganisationKind.ISSUER,
}

# Registration authority and entity type (GB 32100) fitting each kind.
_AUTHORITY: dict[OrganisationKind, tuple[str, str]] = {
    OrganisationKind.CENTRE: ("1", "2"),
    OrganisationKind.SUPERVISORY: ("1", "1"),
    OrganisationKind.DEPARTMENT: ("1", "1"),
    OrganisationKind.ENTERPRISE: ("9", "1"),
    OrganisationKind.AGENCY: ("9", "1"),
    OrganisationKind.ISSUER: ("9", "1"),
}

_serial = itertools.count(1)


def new_uscc(kind: OrganisationKind | str = OrganisationKind.ENTERPRISE, *, division: str = "620100") -> str:
    """A valid credit code not used before in this process."""
    authority, entity_type = _AUTHORITY[OrganisationKind(kind)]
    return make_uscc(authority, entity_type, division, f"TA{next(_serial):06d}")


def make_organisation(
    kind: OrganisationKind | str = OrganisationKind.ENTERPRISE,
    *,
    name: str | None = None,
    uscc: str | None = None,
) -> Organisation:
    kind = OrganisationKind(kind)
    uscc = uscc or new_uscc(kind)
    return services.ensure_organisation(kind=kind.value, name=name or f"{kind.value} {uscc[-6:]}", uscc=uscc)


def make_user(
    username: str | None = None,
    *,
    roles: Iterable[str] = (),
    organisation: Organisation | None = None,
    password: str = PASSWORD,
    totp_secret: str | None = None,
    preferred_language: str = "zh-hans",
) -> User:
    """A user holding ``roles`` in ``organisation`` (default: a new organisation of a kind
    that fits the first role). Users of roles that need a second factor get a confirmed TOTP
    device (secret ``totp_secret`` or a new one; read it back with :func:`totp_secret_of`)."""
    parsed = [Role(role) for role in roles]
    user = services.ensure_user(
        username=username or f"user{next(_serial)}",
        password=password,
        display_name=(username or "").title(),
        preferred_language=preferred_language,
    )
    if parsed:
        organisation = organisation or make_organisation(KIND_FOR_ROLE[parsed[0]])
        services.ensure_membership(user=user, organisation=organisation, roles=[r.value for r in parsed])
    if totp_secret is not None or roles_needing_second_factor(r.value for r in parsed):
        services.ensure_totp(user=user, secret=totp_secret or totp.new_secret())
    return user


def totp_secret_of(user: User) -> str:
    """The plain TOTP secret of ``user``'s device (tests generate codes with it)."""
    return sealing.open_totp_secret(TotpDevice.objects.get(user=user))


def sign_in(client: Client, user: User, *, organisation: Organisation | None = None) -> None:
    """Sign ``client`` in as ``user``, second factor passed, acting for ``organisation``
    (default: the user's first organisation)."""
    client.force_login(user, backend="yingshang.identity.backends.PasswordBackend")
    store = client.session
    store[session.SECOND_FACTOR] = 1
    organisation_id = organisation.pk if organisation else selectors.default_organisation_id(user.pk)
    if organisation_id is not None:
        store[session.ORGANISATION] = organisation_id
    store.save()


# --- certificates (trust store) -------------------------------------------------------------


def trust_vendor(vendor: Vendor) -> list[CertificateAuthority]:
    """Put a ``yingshang.pki.Vendor``'s root and intermediate into the trust store (with the
    vendor's USCC rule); idempotent. Returns the stored rows, root first."""
    from yingshang.identity import certificate_services

    return [
        certificate_services.ensure_authority(
            certificate=authority.der, vendor=vendor.name, region=vendor.region, uscc_rule=str(vendor.rule)
        )
        for authority in vendor.authorities
    ]


def certificate_for(
    organisation: Organisation,
    vendor: Vendor,
    *,
    usage: str = "signing",
    algorithm: str = "ECDSA-P256",
    **kw: Any,
) -> Issued:
    """A certificate from ``vendor`` for ``organisation`` (its registered name and credit code),
    valid from yesterday for a year (wall clock) unless ``now``/``not_before``/``not_after`` say."""
    now = kw.pop("now", None) or datetime.now(UTC)
    return vendor.issue_leaf(
        organisation.name,
        organisation.uscc,
        usage=usage,  # type: ignore[arg-type]
        now=now,
        algorithm=algorithm,  # type: ignore[arg-type]
        **kw,
    )
