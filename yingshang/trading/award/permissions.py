"""Who may do what in the award of a lot.

- **manager**: the tender's tenderer or agency (acting in that role) or centre staff
  (``projects.facade.may_manage_tender``): start the publicity, answer objections, record a
  passed-over candidate, fix the winner, re-tender, register the contract, report to the
  supervisor; sees everything about the award.
- **bidder**: an organisation in the bidder role that bid on the lot (a candidate, or a bid in
  the bids context): objects during the publicity; sees its own objections and their answers.
- **supervisor**: the competent supervisory department, centre staff, auditors
  (``projects.facade.may_supervise_tender``): see everything, act on nothing here.
- **guest**: anyone: the publicity and the result once public (``view``).
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from yingshang.kernel.errors import Conflict
from yingshang.kernel.policy import ANYONE, SIGNED_IN, Policy, Principal
from yingshang.trading.bids import facade as bids
from yingshang.trading.projects import facade as projects

MANAGER_ACTIONS = frozenset({"manage"})


class AwardPolicy(Policy[Any]):
    context = "award"
    read_actions = frozenset({"view", "view_internal"})
    write_actions = frozenset({"manage", "object"})
    grants: ClassVar = {
        "view": frozenset({ANYONE}),
        "view_internal": frozenset({SIGNED_IN}),
        "manage": frozenset({SIGNED_IN}),
        "object": frozenset({"bidder"}),
    }

    def decide(self, principal: Principal, action: str, obj: Any | None) -> bool:
        if not super().decide(principal, action, obj):
            return False
        if obj is None or action == "view":
            return True
        if action == "manage":
            return is_manager(principal, obj)
        if action == "object":
            return is_bidder(principal, obj)
        if action == "view_internal":
            return is_manager(principal, obj) or is_supervisor(principal, obj)
        return False


def is_manager(principal: Principal, award: Any) -> bool:
    return (
        not principal.is_guest
        and not principal.is_read_only
        and projects.may_manage_tender(principal, award.tender_id)
    )


def is_supervisor(principal: Principal, award: Any) -> bool:
    return not principal.is_guest and projects.may_supervise_tender(principal, award.tender_id)


def bidder_organisations(award: Any) -> set[int]:
    """The organisations that bid on the award's lot: the candidates and every submitted bid."""
    found = {int(c.organisation_id) for c in award.candidates.all()}
    with contextlib.suppress(Conflict):  # before the bid deadline: no bids known (none to object)
        found |= {
            b.organisation_id for b in bids.bids_for_opening(award.tender_id) if b.lot_id == award.lot_id
        }
    return found


def is_bidder(principal: Principal, award: Any) -> bool:
    if principal.is_guest or principal.organisation_id is None or not principal.has_role("bidder"):
        return False
    return principal.organisation_id in bidder_organisations(award)


def role_of(principal: Principal, award: Any) -> str | None:
    if principal.is_guest:
        return None
    if is_manager(principal, award):
        return "manager"
    if is_supervisor(principal, award):
        return "supervisor"
    if is_bidder(principal, award):
        return "bidder"
    return None


policy = AwardPolicy()
