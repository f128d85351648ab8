"""Who may see a document: its uploader, the uploader's organisation, and the overseers.

Centre staff, supervisors and auditors see every document (auditors read-only: nothing here
writes); superusers too. Everyone else sees what they or their organisation uploaded.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from yingshang.files.contracts import PrincipalLike
from yingshang.files.models import Document

OVERSEER_ROLES = frozenset({"centre_staff", "supervisor", "auditor"})


class DocumentPolicy:
    """Answers both "may this principal see this document" and "which documents"."""

    def sees_everything(self, principal: PrincipalLike) -> bool:
        return principal.is_superuser or bool(OVERSEER_ROLES & set(principal.roles))

    def _own(self, principal: PrincipalLike) -> Q:
        own = Q(owner_id=principal.user_id) if principal.user_id is not None else Q(pk__in=[])
        if principal.organisation_id is not None:
            own |= Q(organisation_id=principal.organisation_id)
        return own

    def may_view(self, principal: PrincipalLike, document: Document) -> bool:
        if principal.user_id is None:
            return False
        if self.sees_everything(principal):
            return True
        if document.owner_id is not None and document.owner_id == principal.user_id:
            return True
        return principal.organisation_id is not None and document.organisation_id == principal.organisation_id

    def visible(self, principal: PrincipalLike, queryset: QuerySet[Document]) -> QuerySet[Document]:
        if principal.user_id is None:
            return queryset.none()
        if self.sees_everything(principal):
            return queryset
        return queryset.filter(self._own(principal))

    def own(self, principal: PrincipalLike, queryset: QuerySet[Document]) -> QuerySet[Document]:
        """What the principal or their organisation uploaded (the "my documents" list)."""
        if principal.user_id is None:
            return queryset.none()
        return queryset.filter(self._own(principal))


policy = DocumentPolicy()
