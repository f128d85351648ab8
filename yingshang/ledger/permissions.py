"""Who may read what in the evidence ledger.

Everyone may read checkpoints, leaf hashes and proofs (they reveal nothing: every entry carries a
random salt). The entry itself is readable according to the visibility stored with it
(``LogEntry.visibility``, the JSON form of ``contracts.Visibility``):

- ``public``: everyone;
- ``public_from``: everyone once the ledger knows the event happened for its subject
  (``facade.mark_event``); before that, as ``parties``;
- ``parties``: the users named, members acting for the organisations named, and oversight;
- ``oversight``: supervisors and auditors, and centre staff unless ``centre`` is false.

Superusers read everything. API tokens need the ``ledger:read`` scope to read an entry that is
not public to everyone (reading a public entry needs no rights beyond the guest's).

The ledger's other policies: the evidence view (oversight roles), witnesses (a supervisor
registers its own body's witness key and posts its cosignatures; centre staff, supervisors and
auditors list witnesses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from yingshang.identity.roles import Role
from yingshang.kernel.policy import ANYONE, Policy, Principal

SUPERVISOR = Role.SUPERVISOR.value
AUDITOR = Role.AUDITOR.value
CENTRE_STAFF = Role.CENTRE_STAFF.value
#: Who may look at any subject's history and download its bundle.
EVIDENCE_ROLES = frozenset({SUPERVISOR, AUDITOR, CENTRE_STAFF})


@dataclass(frozen=True)
class Readable:
    """What a read decision needs: the stored visibility and whether its event has happened."""

    visibility: Mapping[str, Any]
    published: bool = False


def is_public(readable: Readable) -> bool:
    kind = readable.visibility.get("kind")
    return kind == "public" or (kind == "public_from" and readable.published)


def is_overseer(principal: Principal, visibility: Mapping[str, Any]) -> bool:
    """Supervisors and auditors; centre staff too unless the visibility excludes the centre."""
    if principal.has_any_role((SUPERVISOR, AUDITOR)):
        return True
    return visibility.get("centre", True) is not False and principal.has_role(CENTRE_STAFF)


def is_party(principal: Principal, visibility: Mapping[str, Any]) -> bool:
    if principal.user_id is not None and principal.user_id in (visibility.get("user_ids") or ()):
        return True
    return principal.organisation_id is not None and principal.organisation_id in (
        visibility.get("organisation_ids") or ()
    )


def may_read(principal: Principal, readable: Readable) -> bool:
    """The visibility rule alone (no token scopes): see the module docstring."""
    if is_public(readable) or principal.is_superuser:
        return True
    if principal.is_guest:
        return False
    kind = readable.visibility.get("kind")
    if kind in ("public_from", "parties") and is_party(principal, readable.visibility):
        return True
    if kind in ("public_from", "parties", "oversight"):
        return is_overseer(principal, readable.visibility)
    return False  # an unknown kind: fail closed


class EntryPolicy(Policy[Readable]):
    """Reading one ledger entry. Public entries need no scope; others need ``ledger:read``."""

    context = "ledger"
    read_actions = frozenset({"view"})

    def allows(self, principal: Principal, action: str, obj: Readable | None = None) -> bool:
        if obj is not None and is_public(obj):
            self.is_read(action)
            return True
        return super().allows(principal, action, obj)

    def decide(self, principal: Principal, action: str, obj: Readable | None) -> bool:
        return obj is not None and may_read(principal, obj)


class EvidencePolicy(Policy[None]):
    """The evidence view and its bundle download: supervisors, auditors and centre staff."""

    context = "ledger"
    read_actions = frozenset({"view", "bundle"})
    grants: ClassVar = {"view": EVIDENCE_ROLES, "bundle": EVIDENCE_ROLES}


class WitnessPolicy(Policy[Any]):
    """Witnesses. ``register``: a supervisor, for its own supervisory body (the service checks
    the organisation); ``cosign``: a supervisor of the witness's organisation; ``list``: centre
    staff, supervisors and auditors; ``view_cosignatures``: anyone (shown with checkpoints)."""

    context = "ledger"
    read_actions = frozenset({"list", "view_cosignatures"})
    write_actions = frozenset({"register", "cosign"})
    grants: ClassVar = {
        "list": EVIDENCE_ROLES,
        "view_cosignatures": frozenset({ANYONE}),
        "register": frozenset({SUPERVISOR}),
        "cosign": frozenset({SUPERVISOR}),
    }

    def decide(self, principal: Principal, action: str, obj: Any) -> bool:
        if action == "cosign" and obj is not None:
            return principal.has_role(SUPERVISOR) and obj.organisation_id == principal.organisation_id
        return super().decide(principal, action, obj)


entries = EntryPolicy()
evidence = EvidencePolicy()
witnesses = WitnessPolicy()
