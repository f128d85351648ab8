"""Who may do what in identity, and the Django side of the policy base.

:class:`QuerysetPolicy` adds ``filter_queryset(principal, qs)`` to the pure
``yingshang.kernel.policy.Policy``: the same rules, applied in the database to a list.

One's own account (profile, language, second factor, one's own API tokens) is self-service for
every signed-in user, auditors included: it changes no business record, so it is checked by
ownership in the services, not by a policy. Auditors' tokens carry read scopes only.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from django.db.models import Model, QuerySet

from yingshang.identity.models import Organisation, User
from yingshang.identity.roles import OVERSIGHT_ROLES, Role
from yingshang.kernel.policy import Policy, Principal

M = TypeVar("M", bound=Model)

OVERSIGHT = frozenset(role.value for role in OVERSIGHT_ROLES)


class QuerysetPolicy(Policy[M]):
    """A policy over a model: :meth:`filter_queryset` keeps the rows :attr:`view_action` allows.

    Subclasses implement :meth:`scope_queryset` (the database form of their view rule) and keep
    it consistent with :meth:`decide` for the view action; the base applies the rules every
    policy shares (token scopes, superusers) first.
    """

    def filter_queryset(self, principal: Principal, qs: QuerySet[M]) -> QuerySet[M]:
        if principal.scopes is not None and not (
            self.context and principal.has_scope(f"{self.context}:read")
        ):
            return qs.none()
        if principal.is_superuser:
            return qs
        return self.scope_queryset(principal, qs)

    def scope_queryset(self, principal: Principal, qs: QuerySet[M]) -> QuerySet[M]:
        return qs.none()


class OrganisationPolicy(QuerysetPolicy[Organisation]):
    """Centre staff, supervisors and auditors see every organisation; everyone else sees the
    organisations they belong to. Only centre staff register organisations and grant roles."""

    context = "identity"
    read_actions = frozenset({"view"})
    write_actions = frozenset({"register", "grant_role", "revoke_role"})
    grants: ClassVar = {
        "register": frozenset({Role.CENTRE_STAFF.value}),
        "grant_role": frozenset({Role.CENTRE_STAFF.value}),
        "revoke_role": frozenset({Role.CENTRE_STAFF.value}),
    }

    def decide(self, principal: Principal, action: str, obj: Organisation | None) -> bool:
        if action == "view":
            if principal.user_id is None:
                return False
            if principal.has_any_role(OVERSIGHT) or obj is None:
                return True
            return obj.memberships.filter(user_id=principal.user_id).exists()
        return super().decide(principal, action, obj)

    def scope_queryset(self, principal: Principal, qs: QuerySet[Organisation]) -> QuerySet[Organisation]:
        if principal.user_id is None:
            return qs.none()
        if principal.has_any_role(OVERSIGHT):
            return qs
        return qs.filter(memberships__user_id=principal.user_id).distinct()


class UserPolicy(QuerysetPolicy[User]):
    """Users see themselves; the overseers see everyone. Centre staff create users."""

    context = "identity"
    read_actions = frozenset({"view"})
    write_actions = frozenset({"create"})
    grants: ClassVar = {"create": frozenset({Role.CENTRE_STAFF.value})}

    def decide(self, principal: Principal, action: str, obj: User | None) -> bool:
        if action == "view":
            if principal.is_guest:
                return False
            return principal.has_any_role(OVERSIGHT) or obj is None or obj.pk == principal.user_id
        return super().decide(principal, action, obj)

    def scope_queryset(self, principal: Principal, qs: QuerySet[User]) -> QuerySet[User]:
        if principal.user_id is None:
            return qs.none()
        if principal.has_any_role(OVERSIGHT):
            return qs
        return qs.filter(pk=principal.user_id)


organisations = OrganisationPolicy()
users = UserPolicy()
