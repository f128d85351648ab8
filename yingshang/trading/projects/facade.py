"""The projects context's only door for other contexts (docs/contexts/projects.md).

Returns frozen dataclasses from ``contracts``; events are in ``events``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from django.db import connection

from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal
from yingshang.ledger.contracts import Actor
from yingshang.trading.projects import demo, selectors, services, states
from yingshang.trading.projects.contracts import LotSummary, ProjectSummary, TenderSummary
from yingshang.trading.projects.models import Lot, Tender
from yingshang.trading.projects.permissions import is_competent_supervisor, is_owner
from yingshang.trading.projects.permissions import tenders as tender_policy

__all__ = [
    "LotSummary",
    "ProjectSummary",
    "TenderSummary",
    "apply_amendment",
    "bid_deadline_of",
    "ensure_demo_projects",
    "is_open_for_documents",
    "lot_name",
    "may_manage_tender",
    "may_supervise_tender",
    "may_view_tender",
    "project_summary",
    "public_tender_ids",
    "retender_after_award",
    "retender_too_few_bids",
    "tender_ocid",
    "tender_summary",
    "tenders_at_deadline",
]


def tender_summary(tender_id: int) -> TenderSummary:
    """The tender's summary; ``kernel.errors.NotFound`` if there is no such tender. No
    permission check: callers check with :func:`may_manage_tender` / :func:`may_view_tender`."""
    return selectors.tender_summary(tender_id)


def lot_name(tender_id: int, lot_id: int) -> str:
    """The lot's name (标段名称) as the tender lists it; its id as text where the tender or the lot
    is unknown (a page never fails for a name)."""
    found = Lot.objects.filter(pk=lot_id, tenders__pk=tender_id).values_list("name", flat=True).first()
    return found or str(lot_id)


def project_summary(project_id: int) -> ProjectSummary:
    """The project with its lots; ``NotFound`` if there is none."""
    return selectors.project_summary(project_id)


def _tender(tender_id: int) -> Tender | None:
    return Tender.objects.select_related("project").filter(pk=tender_id).first()


def may_manage_tender(principal: Principal, tender_id: int) -> bool:
    """The principal acts for the tender's tenderer or agency (in that role), or is centre
    staff. Read-only principals (auditors) never manage. False for an unknown tender."""
    tender = _tender(tender_id)
    if tender is None or principal.is_guest or principal.is_read_only:
        return False
    if principal.has_role("centre_staff"):
        return True
    return is_owner(principal, tender.project)


def may_supervise_tender(principal: Principal, tender_id: int) -> bool:
    """The principal is the competent supervisory department of the tender's project (as
    supervisor), or centre staff / an auditor (oversight that sees everything)."""
    tender = _tender(tender_id)
    if tender is None or principal.is_guest:
        return False
    if principal.has_any_role(("centre_staff", "auditor")):
        return True
    return is_competent_supervisor(principal, tender.project)


def bid_deadline_of(tender_id: int) -> datetime | None:
    """The tender's bid deadline (UTC), in one query: for checks made many times a second (each
    chunk of a sealed bid), so in plain SQL (no query building). ``NotFound`` if there is no
    such tender."""
    with connection.cursor() as cursor:
        cursor.execute(_deadline_sql(), [tender_id])
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    convert = getattr(connection.ops, "convert_datetimefield_value", None)  # SQLite keeps text
    deadline = convert(row[0], None, connection) if convert is not None else row[0]
    return deadline


def _deadline_sql() -> str:
    quote = connection.ops.quote_name
    column, table, key = (
        Tender._meta.get_field("bid_deadline").column,
        Tender._meta.db_table,
        Tender._meta.pk.column,
    )
    return f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(key)} = %s"  # noqa: S608 -- model names


def tender_ocid(tender_id: int) -> str:
    """The tender's OCDS ocid, in one query (a bid's receipt names it); ``NotFound`` if there
    is no such tender."""
    found = Tender.objects.filter(pk=tender_id).values_list("ocid", flat=True)
    if not found:
        raise NotFound()
    return str(found[0])


def may_view_tender(principal: Principal, tender_id: int) -> bool:
    """Whether the principal may see the tender's workspace (not just its public notice)."""
    tender = _tender(tender_id)
    return tender is not None and tender_policy.allows(principal, "view", tender)


def apply_amendment(
    *, tender_id: int, actor: Actor, amended_at: datetime, affects_preparation: bool, reason: str
) -> datetime | None:
    """Called by the documents context inside its own transaction when an amendment or a
    clarification is published. Records it as a timeline fact and applies T4 (tendering) or
    G2.clarification (procurement, open/invited): if it affects bid preparation and comes less
    than 15 days before the bid deadline, the deadline moves to the amendment day + 15 days
    (same Beijing time, next working day if a rest day). The move is ledgered (public), a notice
    version says so, the tenderer/agency are notified and ``events.DeadlineMoved`` fires on
    commit. Returns the new bid deadline if it moved, else None. ``NotFound`` for an unknown
    tender; ``Conflict`` unless the tender is published or suspended."""
    return services.apply_amendment(
        tender_id=tender_id,
        actor=actor,
        amended_at=amended_at,
        affects_preparation=affects_preparation,
        reason=reason,
    )


def tenders_at_deadline(now: datetime, *, since: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of tenders whose bid deadline has come by ``now`` (and not before ``since``), published
    or closed for bids, latest deadline first: the opening hall's chronograph opens their lots (T8)."""
    found = Tender.objects.filter(
        bid_deadline__isnull=False,
        bid_deadline__lte=now,
        status__in=(states.PUBLISHED, states.BID_DEADLINE_PASSED),
    )
    if since is not None:
        found = found.filter(bid_deadline__gte=since)
    return list(found.order_by("-bid_deadline", "-pk").values_list("pk", flat=True)[:limit])


def retender_too_few_bids(*, tender_id: int, bids_received: int, actor: Actor, reason: str = "") -> int:
    """T7 at the bid deadline, called by the opening hall inside its own transaction: the tender
    fails (closing it for bids first if the projects chronograph has not yet) and a new draft
    tender for the same lots follows; returns the new tender's id. ``RuleViolation`` with three
    bids or more; ``Conflict`` if the tender is in no state to fail."""
    tender = Tender.objects.filter(pk=tender_id).first()
    if tender is None:
        raise NotFound()
    if tender.status == states.PUBLISHED and tender.bid_deadline is not None:
        services.apply_due(tender_id=tender_id, now=tender.bid_deadline, actor=actor)
    new = services.retender(
        principal=None, tender_id=tender_id, bids_received=bids_received, reason=reason, actor=actor
    )
    return int(new.pk)


def retender_after_award(*, tender_id: int, bids_received: int, actor: Actor, reason: str) -> int:
    """No candidate could be awarded (T12: each passed over for a recorded reason): the tender,
    closed for bids, fails and a new draft tender for the same lots follows; returns its id.
    Called by the award context inside its own transaction, which has made the checks."""
    tender = Tender.objects.filter(pk=tender_id).first()
    if tender is None:
        raise NotFound()
    if tender.status == states.PUBLISHED and tender.bid_deadline is not None:
        services.apply_due(tender_id=tender_id, now=tender.bid_deadline, actor=actor)
    new = services.retender(
        principal=None,
        tender_id=tender_id,
        bids_received=bids_received,
        reason=reason,
        actor=actor,
        ground="award_failed",
    )
    return int(new.pk)


def is_open_for_documents(tender_id: int, at: datetime) -> bool:
    """Whether bidders may obtain the documents at ``at``: the notice is published, the tender
    is not suspended, and ``documents_from <= at < documents_until``."""
    tender = Tender.objects.filter(pk=tender_id).first()
    if tender is None:
        raise NotFound()
    if tender.status != states.PUBLISHED or tender.documents_from is None or tender.documents_until is None:
        return False
    return tender.documents_from <= at < tender.documents_until


def public_tender_ids(*, limit: int = 1000) -> list[int]:
    """Ids of tenders whose notice the public may read, newest first."""
    return list(selectors.public_tenders().values_list("pk", flat=True)[:limit])


def ensure_demo_projects(
    *,
    organisations: Mapping[str, int],
    users: Mapping[str, int],
    on_published: Callable[[int, datetime], object] | None = None,
) -> int:
    """The demo city's projects in every stage (submitted, returned, accepted, published,
    suspended, closed for bids, closing a few minutes after loading, cancelled, re-tendered), keyed by the demo's organisation keys
    and user names (``yingshang/demo/city.py``). Idempotent; returns how many were created.
    ``on_published(tender_id, until)`` runs right after each demo tender is published, inside
    the domain clock it was published with (weeks back for the past stages); ``until`` is the
    real present (the demo loader hangs the documents' demo here)."""
    return demo.ensure_demo_projects(organisations=organisations, users=users, on_published=on_published)
