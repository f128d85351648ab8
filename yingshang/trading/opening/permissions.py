"""Who may do what in the opening hall.

- **host** (主持人): centre staff, or the tender's tenderer or agency acting in that role
  (``projects.facade.may_manage_tender``): configure, publish the control price, start the
  decryption, close the window once every key is in, put the record to the bidders, answer
  objections, pause, resume, finish.
- **bidder**: an organisation in the bidder role holding a submitted bid on the lot: sign in,
  release its own bid's key, confirm its row or raise an objection. The bidder tool's
  certificate-bound token carries ``bids:write``, which also covers these acts on one's own bid
  (``opening:write`` does too).
- **supervisor**: the tender's competent supervisory department, centre staff and auditors
  (``projects.facade.may_supervise_tender``): sign in and watch the hall (auditors only watch).
- **custodian**: centre staff or the competent supervisor holding a custodian certificate of a
  bid's k-of-n backup: submit its share (``custodian``).
- **guest**: anyone, the public facts only (``view``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from yingshang.kernel.policy import ANYONE, SIGNED_IN, Policy, Principal
from yingshang.kernel.text import Text
from yingshang.trading.projects import facade as projects

HOST_ACTIONS = frozenset({"host"})
BIDDER_ACTIONS = frozenset({"release_key", "confirm", "object"})
#: Acts a bids-scoped token (the bidder tool's) may do.
BIDDER_TOOL_ACTIONS = frozenset({"release_key", "confirm", "object", "sign_in", "view", "view_hall"})


class OpeningPolicy(Policy[Any]):
    context = "opening"
    read_actions = frozenset({"view", "view_hall"})
    write_actions = frozenset({"host", "sign_in", "release_key", "confirm", "object", "custodian"})
    grants: ClassVar = {
        "view": frozenset({ANYONE}),
        "view_hall": frozenset({SIGNED_IN}),
        "host": frozenset({SIGNED_IN}),
        "sign_in": frozenset({SIGNED_IN}),
        "release_key": frozenset({"bidder"}),
        "confirm": frozenset({"bidder"}),
        "object": frozenset({"bidder"}),
        "custodian": frozenset({"centre_staff", "supervisor"}),
    }

    def _refusal(self, principal: Principal, action: str, obj: Any | None) -> Text | None:
        if (
            principal.scopes is not None
            and action in BIDDER_TOOL_ACTIONS
            and principal.has_scope("bids:write")
        ):
            principal = dataclasses.replace(principal, scopes=None)
        return super()._refusal(principal, action, obj)

    def decide(self, principal: Principal, action: str, obj: Any | None) -> bool:
        if not super().decide(principal, action, obj):
            return False
        if obj is None or action == "view":
            return True
        if action == "host":
            return is_host(principal, obj)
        if action in BIDDER_ACTIONS:
            return is_bidder(principal, obj)
        if action == "custodian":
            return is_supervisor(principal, obj)
        if action in ("sign_in", "view_hall"):
            return role_of(principal, obj) is not None
        return False


def is_host(principal: Principal, session: Any) -> bool:
    return (
        not principal.is_guest
        and not principal.is_read_only
        and projects.may_manage_tender(principal, session.tender_id)
    )


def is_supervisor(principal: Principal, session: Any) -> bool:
    return not principal.is_guest and projects.may_supervise_tender(principal, session.tender_id)


def is_bidder(principal: Principal, session: Any) -> bool:
    if principal.is_guest or principal.organisation_id is None or not principal.has_role("bidder"):
        return False
    return bool(session.rows.filter(organisation_id=principal.organisation_id).exists())


def role_of(principal: Principal, session: Any) -> str | None:
    """The principal's part in the hall: host, supervisor, bidder, or None (a guest)."""
    if principal.is_guest:
        return None
    if is_host(principal, session):
        return "host"
    if is_bidder(principal, session):
        return "bidder"
    if is_supervisor(principal, session):
        return "supervisor"
    return None


policy = OpeningPolicy()
