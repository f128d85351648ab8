"""Who may do what with tender documents.

The object of every decision is the tender's :class:`TenderSummary` (projects facade), with the
principal's relation to the tender (``manages``, ``supervises``) asked of the projects facade.

| action | who |
|---|---|
| ``view_catalogue`` | anyone |
| ``view_published`` (the version list, the notice of each version) | anyone once the tender is published; before, as ``view_draft`` |
| ``view_draft`` (the working values, the PDF without a receipt) | the tender's tenderer and agency, centre staff, the tender's supervisor, auditors |
| ``manage`` (create, edit, publish, amend, answer) | the tender's tenderer and agency (``may_manage_tender``) |
| ``download`` (get a version with a receipt) | a signed-in member of an organisation holding the bidder role |
| ``ask`` | a bidder |
| ``view_questions`` (text only, never the asker) | the tender's managers, centre staff, the tender's supervisor, auditors |
| ``view_downloads`` (who downloaded) | after the bid deadline only: centre staff, the tender's supervisor, auditors; **never** the tenderer or the agency |

The list of downloaders is secret before the bid deadline from everyone, centre staff included
(电子招标投标办法 art. 21: only the platform's system knows it). API tokens need
``tenderdocs:read`` / ``tenderdocs:write``.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from yingshang.kernel.policy import ANYONE, Policy, Principal
from yingshang.trading.projects import facade as projects
from yingshang.trading.projects.contracts import TenderSummary

BIDDER = "bidder"
CENTRE_STAFF = "centre_staff"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"


MANAGER_ROLES = ("tenderer", "agency")


def manages(principal: Principal, tender: TenderSummary) -> bool:
    """The tender's tenderer or agency, acting in that role. Centre staff do not publish
    documents for them (the tenderer publishes its own: 招标文件自主发布)."""
    return (
        principal.is_authenticated
        and principal.has_any_role(MANAGER_ROLES)
        and projects.may_manage_tender(principal, tender.id)
    )


def oversees(principal: Principal, tender: TenderSummary) -> bool:
    """Centre staff, auditors, and the supervisor of this tender."""
    if principal.has_any_role((CENTRE_STAFF, AUDITOR)):
        return True
    return principal.has_role(SUPERVISOR) and projects.may_supervise_tender(principal, tender.id)


class TenderDocumentsPolicy(Policy[TenderSummary]):
    context = "tenderdocs"
    read_actions = frozenset(
        {"view_catalogue", "view_published", "view_draft", "view_questions", "view_downloads"}
    )
    write_actions = frozenset({"manage", "download", "ask"})
    grants: ClassVar = {
        "view_catalogue": frozenset({ANYONE}),
        "download": frozenset({BIDDER}),
        "ask": frozenset({BIDDER}),
    }

    def decide(self, principal: Principal, action: str, obj: TenderSummary | None) -> bool:
        if action in ("view_catalogue", "download", "ask") or obj is None:
            return super().decide(principal, action, obj)
        if action == "manage":
            return manages(principal, obj)
        if action == "view_published" and obj.published_at is not None:
            return True
        if action in ("view_published", "view_draft", "view_questions"):
            return manages(principal, obj) or oversees(principal, obj)
        return False  # view_downloads: see may_view_downloads (needs the time)


policy = TenderDocumentsPolicy()


def downloads_disclosed(tender: TenderSummary, at: datetime) -> bool:
    """Whether the bid deadline has passed, after which oversight may see who downloaded."""
    return tender.bid_deadline is not None and at >= tender.bid_deadline


def may_view_downloads(principal: Principal, tender: TenderSummary, at: datetime) -> bool:
    """Oversight of this tender, after the bid deadline; never its tenderer or agency."""
    if principal.is_guest or not principal.has_scope("tenderdocs:read"):
        return False
    if not downloads_disclosed(tender, at) or manages(principal, tender):
        return False
    return principal.is_superuser or oversees(principal, tender)
