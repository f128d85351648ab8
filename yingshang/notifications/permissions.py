"""Who may read an inbox: its owner only. Marking read counts as reading.

Marking one's own message read changes no business data, so it is a read action: auditors
(read-only everywhere) can keep their own inbox tidy, and a token with ``notifications:read``
may do it. Every query is also filtered by recipient, so nobody reaches another's inbox.
"""

from __future__ import annotations

from typing import Any

from yingshang.kernel.policy import SIGNED_IN, Policy, Principal


class InboxPolicy(Policy[Any]):
    context = "notifications"
    read_actions = frozenset({"view", "mark_read"})
    write_actions = frozenset()
    grants = {"view": frozenset({SIGNED_IN}), "mark_read": frozenset({SIGNED_IN})}

    def decide(self, principal: Principal, action: str, obj: Any) -> bool:
        if obj is not None and getattr(obj, "recipient_id", None) != principal.user_id:
            return False
        return super().decide(principal, action, obj)


policy = InboxPolicy()
