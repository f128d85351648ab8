"""Who may do what with bids.

Submitting and withdrawing: a user acting for an organisation in the bidder role. Reading a bid
(its receipt, status, upload): the bidder's own organisation only. Nobody else sees a bid or
even learns that it exists before the opening: not centre staff, supervisors, auditors or
superusers (the selectors filter by organisation; the base policy's superuser read is not
used here). API tokens need ``bids:read`` / ``bids:write``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from yingshang.kernel.policy import Policy, Principal

BIDDER = "bidder"


class BidPolicy(Policy[Any]):
    context = "bids"
    read_actions = frozenset({"view"})
    write_actions = frozenset({"submit", "withdraw"})
    grants: ClassVar = {
        "view": frozenset({BIDDER}),
        "submit": frozenset({BIDDER}),
        "withdraw": frozenset({BIDDER}),
    }

    def decide(self, principal: Principal, action: str, obj: Any | None) -> bool:
        if obj is not None and getattr(obj, "organisation_id", None) != principal.organisation_id:
            return False
        return super().decide(principal, action, obj)

    def _refusal(self, principal: Principal, action: str, obj: Any | None) -> Any:
        refusal = super()._refusal(principal, action, obj)
        if refusal is None and principal.is_superuser and not self.decide(principal, action, obj):
            # Superusers read everything elsewhere; not bids.
            from yingshang.kernel.policy import MESSAGE_DENIED

            return MESSAGE_DENIED
        return refusal


policy = BidPolicy()
