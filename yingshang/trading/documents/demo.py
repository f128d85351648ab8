"""Demo data: documents for the demo city's published tenders, with downloads, receipts and a
question answered in a clarification. Idempotent: a tender that has documents is left alone.

Two entry points (through the facade):

- ``ensure_demo_documents(tender_id, until=...)``: call right after a demo tender is published,
  inside the clock it was published with (the projects demo rehearses past stages on a fixed clock
  weeks back); ``until`` is the real present. Documents are published at the notice's time, three
  bidders download at the start of the download period, one asks a question, the agency answers
  it the next day in a clarification: each step at the moment it would have happened, and only
  if that moment is not after ``until`` and the tender still takes it.
- ``load()``: the same for every public tender without documents (after the projects demo); a
  tender whose download period has not started yet or is over gets version 1 only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from yingshang.identity import facade as identity
from yingshang.identity.facade import Role
from yingshang.kernel import clock
from yingshang.kernel.errors import DomainError
from yingshang.kernel.policy import Principal
from yingshang.trading.documents import services
from yingshang.trading.documents.models import TenderDocument
from yingshang.trading.projects import facade as projects
from yingshang.trading.projects.contracts import TenderSummary

TEMPLATE_BY_KIND = {
    "construction": "works-construction",
    "government_procurement": "goods-general",
}

DEMO_VALUES: dict[str, Any] = {
    "project_location": "金城市",
    "funding_source": "财政资金和企业自筹",
    "scope": "本项目施工图范围内的全部工作内容",
    "ceiling_price": 985_000_000,
    "budget": 98_500_000,
    "construction_period": "300日历天",
    "quality_standard": "合格",
    "delivery_time": "合同签订后30日内",
    "delivery_place": "招标人指定地点",
    "warranty": "验收合格后24个月",
    "qualification_requirements": "具有独立法人资格，具备相应资质，近三年无重大违法记录",
    "deposit_amount": 10_000_000,
    "evaluation_method": "comprehensive",
    "bid_validity": "90日历天",
    "contact_person": "周强",
    "contact_phone": "0931-8880008",
}


def _principal(organisation_id: int | None, role: Role) -> Principal | None:
    organisation = identity.get_organisation(organisation_id) if organisation_id else None
    if organisation is None:
        return None
    user = identity.users_with_role(role, organisation=organisation).first()
    return identity.principal_for_user(user, organisation_id=organisation.pk) if user else None


def _bidders(count: int) -> list[Principal]:
    found = []
    for user in identity.users_with_role(Role.BIDDER)[:count]:
        principal = identity.principal_for_user(user)
        if principal.has_role(Role.BIDDER.value):
            found.append(principal)
    return found


def _documents_for(tender: TenderSummary, until: datetime) -> None:
    def _at(moment: datetime) -> clock.FixedClock | None:
        return clock.FixedClock(moment) if moment <= until else None

    manager = _principal(tender.agency_org_id, Role.AGENCY) or _principal(
        tender.tenderer_org_id, Role.TENDERER
    )
    start = tender.documents_from or tender.published_at
    if manager is None or start is None or tender.published_at is None:
        return
    publish_at = _at(tender.published_at)
    if publish_at is None:
        return
    with clock.use(publish_at):
        document = services.create_documents(
            principal=manager,
            tender_id=tender.id,
            template_code=TEMPLATE_BY_KIND.get(tender.resource_kind, "goods-general"),
        )
        template = services.template_of(document)
        filled = {code: value for code, value in DEMO_VALUES.items() if template.field(code) is not None}
        organisation = identity.get_organisation(tender.tenderer_org_id)
        filled["tenderer_name"] = organisation.name if organisation else tender.title
        document = services.save_draft(
            principal=manager, document_id=document.pk, values={**document.values, **filled}
        )
        services.publish(principal=manager, document_id=document.pk)
    bidders = _bidders(3)
    for n, bidder in enumerate(bidders):
        moment = _at(start + timedelta(hours=1 + n))
        if moment is None:
            return
        with clock.use(moment):
            try:
                services.download(principal=bidder, tender_id=tender.id)
            except DomainError:
                return
    asked = _at(start + timedelta(hours=4))
    if not bidders or asked is None:
        return
    with clock.use(asked):
        try:
            services.ask_question(
                principal=bidders[0], tender_id=tender.id, text="本项目是否接受联合体投标？"
            )
        except DomainError:
            return
    answered = _at(start + timedelta(days=1))
    if answered is None:
        return
    with clock.use(answered):
        try:
            services.issue_revision(
                principal=manager,
                document_id=document.pk,
                reason="答复投标人提出的问题",
                answers={1: "本项目不接受联合体投标。"},
                affects_preparation=False,
            )
        except DomainError:
            return


def ensure_demo_documents(tender_id: int, *, until: datetime | None = None) -> bool:
    """Documents (and, where the timeline allows, receipts and a Q&A) for one demo tender;
    False when it already has documents or cannot take them (idempotent)."""
    if TenderDocument.objects.filter(tender_id=tender_id).exists():
        return False
    tender = projects.tender_summary(tender_id)
    if tender.status in services.CLOSED_STATUSES:
        return False
    try:
        _documents_for(tender, until or clock.now())
    except DomainError:
        return False
    return TenderDocument.objects.filter(tender_id=tender_id).exists()


def load(limit: int = 50) -> int:
    """Documents for up to ``limit`` public tenders that have none; returns how many were made."""
    until = clock.now()
    return sum(
        ensure_demo_documents(tender_id, until=until) for tender_id in projects.public_tender_ids(limit=limit)
    )
