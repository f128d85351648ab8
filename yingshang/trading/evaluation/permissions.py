"""Who may do what in an evaluation.

- **organiser**: the tender's tenderer or agency, or centre staff
  (``projects.facade.may_manage_tender``): start the evaluation, designate the chair, follow the
  progress (member codes only), read the report.
- **member**: a confirmed committee seat (``Member.user``): declare, see the bids, score, explain,
  ask for clarifications, sign; the **chair** also finishes the report.
- **supervisor**: the competent supervisory department, centre staff and auditors
  (``projects.facade.may_supervise_tender``): follow the progress and read the report.

Nobody but the member sees which account holds a seat: pages and the API show codes only.
"""

from __future__ import annotations

from yingshang.kernel.policy import Principal
from yingshang.trading.evaluation.models import Evaluation, Member
from yingshang.trading.projects import facade as projects


def member_of(principal: Principal, evaluation: Evaluation) -> Member | None:
    if principal.user_id is None:
        return None
    return Member.objects.filter(evaluation=evaluation, user_id=principal.user_id).first()


def may_organise(principal: Principal, tender_id: int) -> bool:
    return projects.may_manage_tender(principal, tender_id)


def may_oversee(principal: Principal, tender_id: int) -> bool:
    return projects.may_supervise_tender(principal, tender_id)


def may_follow(principal: Principal, evaluation: Evaluation) -> bool:
    """May see the evaluation's progress and report (not as a member)."""
    return may_organise(principal, evaluation.tender_id) or may_oversee(principal, evaluation.tender_id)


def role_of(principal: Principal, evaluation: Evaluation) -> str | None:
    member = member_of(principal, evaluation)
    if member is not None:
        return "chair" if member.chair else "member"
    if may_organise(principal, evaluation.tender_id):
        return "organiser"
    if may_oversee(principal, evaluation.tender_id):
        return "supervisor"
    return None
