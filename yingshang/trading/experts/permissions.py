"""Who may do what with the pool and committees.

Names are visible to the expert themself, supervisors of the tender and auditors; everyone else
(tenderer, agency, bidders, public, centre staff) sees codes and counts only until the
identities are published (T9.secret).
"""

from __future__ import annotations

from yingshang.kernel.policy import Principal
from yingshang.trading.projects import facade as projects

CENTRE = "centre_staff"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"


def may_manage_pool(p: Principal) -> bool:
    """Review, suspend, blacklist, import: centre staff."""
    return p.has_role(CENTRE) and not p.is_read_only


def may_view_pool(p: Principal) -> bool:
    """The pool list (codes, specialties, status): centre staff, supervisors, auditors."""
    return p.has_any_role((CENTRE, SUPERVISOR, AUDITOR))


def may_see_pool_names(p: Principal) -> bool:
    """Names in the pool list: supervisors and auditors (not centre staff, who draw)."""
    return p.has_any_role((SUPERVISOR, AUDITOR))


def may_edit_expert(p: Principal, expert_user_id: int | None) -> bool:
    """Availability, relationships, conflicts: the expert themself or centre staff."""
    if p.is_guest or p.is_read_only:
        return False
    return (expert_user_id is not None and p.user_id == expert_user_id) or p.has_role(CENTRE)


def may_organise(p: Principal, tender_id: int) -> bool:
    """State the need, start the draw, appoint representatives: tenderer, agency, centre staff."""
    return projects.may_manage_tender(p, tender_id)


def is_supervisor_of(p: Principal, tender_id: int) -> bool:
    return p.has_role(SUPERVISOR) and projects.may_supervise_tender(p, tender_id)


def may_contribute(p: Principal, tender_id: int) -> bool:
    """A supervisor's contribution to the seed."""
    return is_supervisor_of(p, tender_id) and not p.is_read_only


def may_view_committee(p: Principal, tender_id: int) -> bool:
    """Codes and counts: organisers, oversight."""
    if p.is_guest:
        return False
    return may_organise(p, tender_id) or projects.may_supervise_tender(p, tender_id)


def may_see_names(p: Principal, tender_id: int, *, published: bool, own_user_id: int | None = None) -> bool:
    """A member's name: the member themself, the tender's supervisors, auditors; anyone once published."""
    if published:
        return True
    if p.is_guest:
        return False
    if own_user_id is not None and p.user_id == own_user_id:
        return True
    return p.has_role(AUDITOR) or is_supervisor_of(p, tender_id)
