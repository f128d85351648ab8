"""Events the identity context publishes (on commit). Fields are ids and plain values.

Subscribe with ``yingshang.kernel.events.subscribe(EventClass, handler)``; see
``docs/contexts/identity.md`` for when each fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from yingshang.kernel.events import DomainEvent

__all__ = [
    "AccountLockedOut",
    "ApiTokenCreated",
    "ApiTokenRevoked",
    "IdentityEvent",
    "OrganisationRegistered",
    "RoleGranted",
    "RoleRevoked",
    "SecondFactorDisabled",
    "SecondFactorEnrolled",
    "UserCreated",
    "UserSignedIn",
]


@dataclass(frozen=True)
class IdentityEvent(DomainEvent, abstract=True):
    """Base of the identity events (subscribe to it to receive all of them)."""


@dataclass(frozen=True)
class OrganisationRegistered(IdentityEvent):
    name: ClassVar[str] = "identity.organisation.registered"
    organisation_id: int
    uscc: str
    kind: str


@dataclass(frozen=True)
class UserCreated(IdentityEvent):
    name: ClassVar[str] = "identity.user.created"
    user_id: int


@dataclass(frozen=True)
class RoleGranted(IdentityEvent):
    name: ClassVar[str] = "identity.role.granted"
    user_id: int
    organisation_id: int
    role: str


@dataclass(frozen=True)
class RoleRevoked(IdentityEvent):
    name: ClassVar[str] = "identity.role.revoked"
    user_id: int
    organisation_id: int
    role: str


@dataclass(frozen=True)
class ApiTokenCreated(IdentityEvent):
    name: ClassVar[str] = "identity.token.created"
    token_id: int
    user_id: int
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class ApiTokenRevoked(IdentityEvent):
    name: ClassVar[str] = "identity.token.revoked"
    token_id: int
    user_id: int


@dataclass(frozen=True)
class SecondFactorEnrolled(IdentityEvent):
    name: ClassVar[str] = "identity.totp.confirmed"
    user_id: int


@dataclass(frozen=True)
class SecondFactorDisabled(IdentityEvent):
    name: ClassVar[str] = "identity.totp.disabled"
    user_id: int


@dataclass(frozen=True)
class UserSignedIn(IdentityEvent):
    name: ClassVar[str] = "identity.user.signed_in"
    user_id: int
    client_address: str


@dataclass(frozen=True)
class AccountLockedOut(IdentityEvent):
    """A failed attempt reached the limit: the user name (and/or address) is now locked."""

    name: ClassVar[str] = "identity.user.locked_out"
    username: str
    user_id: int | None
    client_address: str
    until: str  # ISO 8601, UTC
