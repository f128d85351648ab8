"""Who may do what with projects and tenders.

- centre staff see every project; they accept or return intakes; they may suspend and resume
  (a supervisor's order executed by the centre) but do not publish for tenderers;
- a tenderer or its agency (acting for the organisation named on the project) see their own
  projects, submit and correct intakes, create tenders, set timelines, publish, amend,
  suspend (an objection, T5), resume, terminate and re-tender;
- a supervisor sees the projects under its competence (the project names its organisation as
  the competent supervisory department) and may suspend or resume them;
- auditors read everything, write nothing (the policy base);
- everyone, guests included, reads published notices (``selectors.public_tenders``).
"""

from __future__ import annotations

from typing import ClassVar

from django.db.models import Q, QuerySet

from yingshang.identity.facade import QuerysetPolicy
from yingshang.kernel.policy import Principal
from yingshang.trading.projects.models import Project, Tender

CENTRE_STAFF = "centre_staff"
TENDERER = "tenderer"
AGENCY = "agency"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"
OWNERS = frozenset({TENDERER, AGENCY})
SEE_ALL = frozenset({CENTRE_STAFF, AUDITOR})


def is_owner(principal: Principal, project: Project) -> bool:
    """The principal acts for the project's tenderer (as tenderer) or its agency (as agency)."""
    if principal.organisation_id is None:
        return False
    return (principal.has_role(TENDERER) and principal.organisation_id == project.tenderer_id) or (
        principal.has_role(AGENCY)
        and project.agency_id is not None
        and principal.organisation_id == project.agency_id
    )


def is_competent_supervisor(principal: Principal, project: Project) -> bool:
    return (
        principal.has_role(SUPERVISOR)
        and principal.organisation_id is not None
        and principal.organisation_id == project.supervisor_id
    )


def _scope(principal: Principal, prefix: str = "") -> Q | None:
    """The Q of the projects the principal sees (None: all)."""
    if principal.user_id is None:
        return Q(pk__in=[])
    if principal.has_any_role(SEE_ALL):
        return None
    org = principal.organisation_id
    if org is None:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    if principal.has_role(TENDERER):
        q |= Q(**{f"{prefix}tenderer_id": org})
    if principal.has_role(AGENCY):
        q |= Q(**{f"{prefix}agency_id": org})
    if principal.has_role(SUPERVISOR):
        q |= Q(**{f"{prefix}supervisor_id": org})
    return q


class ProjectPolicy(QuerysetPolicy[Project]):
    context = "projects"
    read_actions = frozenset({"view"})
    write_actions = frozenset({"submit", "edit", "review", "manage", "publish", "suspend", "cancel"})
    grants: ClassVar = {
        "submit": OWNERS,
        "review": frozenset({CENTRE_STAFF}),
    }

    def decide(self, principal: Principal, action: str, obj: Project | None) -> bool:
        if action == "view":
            if principal.user_id is None:
                return False
            if obj is None or principal.has_any_role(SEE_ALL):
                return True
            return is_owner(principal, obj) or is_competent_supervisor(principal, obj)
        if action in ("edit", "manage", "publish", "cancel"):
            if obj is None:
                return principal.has_any_role(OWNERS)
            return is_owner(principal, obj)
        if action == "suspend":
            if principal.has_role(CENTRE_STAFF):
                return True
            if obj is None:
                return principal.has_any_role(OWNERS | {SUPERVISOR})
            return is_owner(principal, obj) or is_competent_supervisor(principal, obj)
        return super().decide(principal, action, obj)

    def scope_queryset(self, principal: Principal, qs: QuerySet[Project]) -> QuerySet[Project]:
        q = _scope(principal)
        return qs if q is None else qs.filter(q)


class TenderPolicy(QuerysetPolicy[Tender]):
    """The same rules, through the tender's project."""

    context = "projects"
    read_actions = frozenset({"view"})
    write_actions = frozenset({"manage", "publish", "suspend", "cancel"})

    def decide(self, principal: Principal, action: str, obj: Tender | None) -> bool:
        return projects.decide(principal, action, obj.project if obj is not None else None)

    def scope_queryset(self, principal: Principal, qs: QuerySet[Tender]) -> QuerySet[Tender]:
        q = _scope(principal, "project__")
        return qs if q is None else qs.filter(q)


projects = ProjectPolicy()
tenders = TenderPolicy()
