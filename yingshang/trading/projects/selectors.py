"""Reads of the projects context, filtered by who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal
from yingshang.trading.projects import states
from yingshang.trading.projects.contracts import LotSummary, ProjectSummary, TenderSummary
from yingshang.trading.projects.models import HistoryEntry, Lot, Notice, Project, Tender
from yingshang.trading.projects.permissions import projects as project_policy
from yingshang.trading.projects.permissions import tenders as tender_policy

PAGE_SIZE = 20


def visible_projects(principal: Principal) -> QuerySet[Project]:
    qs = Project.objects.select_related("tenderer", "agency", "supervisor")
    return project_policy.filter_queryset(principal, qs)


def visible_tenders(principal: Principal) -> QuerySet[Tender]:
    return tender_policy.filter_queryset(principal, Tender.objects.select_related("project"))


def project_for(principal: Principal, project_id: int) -> Project:
    """The project if the principal may see it; NotFound otherwise (never reveals existence)."""
    project = visible_projects(principal).filter(pk=project_id).first()
    if project is None:
        raise NotFound()
    return project


def tender_for(principal: Principal, tender_id: int) -> Tender:
    tender = visible_tenders(principal).filter(pk=tender_id).first()
    if tender is None:
        raise NotFound()
    return tender


def public_tenders() -> QuerySet[Tender]:
    """Tenders whose notice is published (what the public may read), newest first."""
    return Tender.objects.filter(status__in=states.PUBLIC, published_at__isnull=False).order_by(
        "-published_at", "-id"
    )


@dataclass(frozen=True)
class NoticeFilters:
    q: str = ""
    resource_kind: str = ""
    regime: str = ""
    method: str = ""
    status: str = ""
    open_only: bool = False


def search_public_tenders(filters: NoticeFilters, *, now: datetime) -> QuerySet[Tender]:
    qs = public_tenders()
    if filters.resource_kind:
        qs = qs.filter(resource_kind=filters.resource_kind)
    if filters.regime:
        qs = qs.filter(regime=filters.regime)
    if filters.method:
        qs = qs.filter(method=filters.method)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.open_only:
        qs = qs.filter(status=states.PUBLISHED, bid_deadline__gt=now)
    q = filters.q.strip()
    if q:
        # Titles are Chinese: a case-sensitive substring match (LIKE), which PostgreSQL answers
        # from the trigram index of migration 0002; the ocid is ASCII and matched without case.
        match = Q(title__contains=q)
        if q.isascii():
            match |= Q(ocid__icontains=q)
        qs = qs.filter(match)
    return qs


def public_tender(tender_id: int) -> Tender:
    tender = public_tenders().select_related("project").filter(pk=tender_id).first()
    if tender is None:
        raise NotFound()
    return tender


def notices_of(tender: Tender) -> list[Notice]:
    return list(tender.notices.order_by("version"))


def history_of(project: Project, tender: Tender | None = None) -> list[HistoryEntry]:
    qs = HistoryEntry.objects.filter(project=project)
    if tender is not None:
        qs = qs.filter(tender=tender)
    return list(qs.order_by("at", "id"))


def changes_since(*, project: Project, tender: Tender | None, version: int) -> list[HistoryEntry]:
    qs = HistoryEntry.objects.filter(project=project, tender=tender, version__gt=version)
    return list(qs.order_by("version", "id"))


def tender_summary(tender_id: int) -> TenderSummary:
    tender = Tender.objects.select_related("project").filter(pk=tender_id).first()
    if tender is None:
        raise NotFound()
    return summary_of(tender)


def summary_of(tender: Tender) -> TenderSummary:
    project = tender.project
    return TenderSummary(
        id=tender.pk,
        ocid=tender.ocid,
        project_id=project.pk,
        code=project.code,
        title=project.name,
        status=tender.status,
        regime=tender.regime,
        method=tender.method,
        resource_kind=tender.resource_kind,
        tenderer_org_id=project.tenderer_id,
        agency_org_id=project.agency_id,
        supervisor_org_id=project.supervisor_id,
        documents_from=tender.documents_from,
        documents_until=tender.documents_until,
        questions_until=tender.questions_until,
        bid_deadline=tender.bid_deadline,
        published_at=tender.published_at,
        suspended=tender.status == states.SUSPENDED,
        lot_ids=tuple(tender.lots.order_by("number").values_list("pk", flat=True)),
        previous_tender_id=tender.previous_id,
        state_controlled=project.state_controlled,
        intake_status=project.intake_status,
    )


def lot_summary(lot: Lot) -> LotSummary:
    return LotSummary(
        id=lot.pk,
        project_id=lot.project_id,
        number=lot.number,
        name=lot.name,
        estimated_price_fen=lot.estimated_price_fen,
        deposit_fen=lot.deposit_fen,
        deposit_form=lot.deposit_form,
        bid_validity_days=lot.bid_validity_days,
    )


def project_summary(project_id: int) -> ProjectSummary:
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound()
    return ProjectSummary(
        id=project.pk,
        code=project.code,
        name=project.name,
        resource_kind=project.resource_kind,
        regime=project.regime,
        intake_status=project.intake_status,
        tenderer_org_id=project.tenderer_id,
        agency_org_id=project.agency_id,
        supervisor_org_id=project.supervisor_id,
        state_controlled=project.state_controlled,
        lots=tuple(lot_summary(lot) for lot in project.lots.order_by("number")),
    )
