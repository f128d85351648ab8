"""Who may see a document, and who may upload one.

``view``: the uploader, the uploader's organisation, centre staff, supervisors and auditors (the
base policy adds superusers, read only); documents of a restricted purpose (sealed bids) only
the uploader and the uploader's organisation, nobody else. ``upload``: any signed-in user; auditors never (the
base policy denies read-only roles every write). API tokens need ``files:read`` /
``files:write``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from yingshang.files.models import Document
from yingshang.files.rules import restricted_purposes
from yingshang.kernel.policy import MESSAGE_DENIED, SIGNED_IN, Policy, Principal
from yingshang.kernel.text import Text

OVERSEER_ROLES = frozenset({"centre_staff", "supervisor", "auditor"})


class DocumentPolicy(Policy[Document]):
    context = "files"
    read_actions = frozenset({"view"})
    write_actions = frozenset({"upload"})
    grants = {"view": OVERSEER_ROLES, "upload": frozenset({SIGNED_IN})}

    def decide(self, principal: Principal, action: str, obj: Document | None) -> bool:
        if action == "view" and obj is not None and principal.is_authenticated:
            if obj.owner_id is not None and obj.owner_id == principal.user_id:
                return True
            if principal.organisation_id is not None and obj.organisation_id == principal.organisation_id:
                return True
        if action == "view" and obj is not None and obj.purpose in restricted_purposes():
            return False
        return super().decide(principal, action, obj)

    def _refusal(self, principal: Principal, action: str, obj: Document | None) -> Text | None:
        refusal = super()._refusal(principal, action, obj)
        if (
            refusal is None
            and obj is not None
            and obj.purpose in restricted_purposes()
            and not self.decide(principal, action, obj)
        ):
            return MESSAGE_DENIED  # superusers too: restricted documents are their owners' only
        return refusal

    def _own(self, principal: Principal) -> Q:
        own = Q(owner_id=principal.user_id)
        if principal.organisation_id is not None:
            own |= Q(organisation_id=principal.organisation_id)
        return own

    def filter_queryset(self, principal: Principal, queryset: QuerySet[Document]) -> QuerySet[Document]:
        """The documents ``principal`` may see, filtered in the database (same rule as ``view``)."""
        if not principal.is_authenticated or not self._scope_ok(principal):
            return queryset.none()
        if principal.is_superuser or principal.has_any_role(OVERSEER_ROLES):
            return queryset.filter(~Q(purpose__in=restricted_purposes()) | self._own(principal))
        return queryset.filter(self._own(principal))

    def own(self, principal: Principal, queryset: QuerySet[Document]) -> QuerySet[Document]:
        """What the principal or their organisation uploaded (the "my documents" list)."""
        if not principal.is_authenticated or not self._scope_ok(principal):
            return queryset.none()
        return queryset.filter(self._own(principal))

    def _scope_ok(self, principal: Principal) -> bool:
        return principal.has_scope(f"{self.context}:read")


policy = DocumentPolicy()
