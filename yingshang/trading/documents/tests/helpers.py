"""Builders for the documents tests (and the permission matrix): filled values, drafts, publications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yingshang.identity.facade import principal_for_user
from yingshang.identity.models import User
from yingshang.kernel.policy import Principal
from yingshang.trading.documents import services
from yingshang.trading.documents.models import DocumentVersion, TenderDocument
from yingshang.trading.projects.tests.factories import Cast, bj

#: Inside the download period of the factories' good timeline (documents 3-11 March 2025).
OPEN = bj(2025, 3, 4, 10, 0)

FILLED: dict[str, Any] = {
    "tenderer_name": "金城市城市建设投资集团有限公司",
    "agency_name": "金城市信达招标代理有限公司",
    "project_location": "金城市滨河路",
    "funding_source": "财政资金",
    "scope": "滨河路道路、排水及照明工程施工",
    "ceiling_price": 985_000_000,
    "construction_period": "300日历天",
    "quality_standard": "合格",
    "qualification_requirements": "市政公用工程施工总承包二级及以上资质",
    "deposit_amount": 10_000_000,
    "evaluation_method": "comprehensive",
    "bid_validity": "90日历天",
    "contact_person": "王工",
    "contact_phone": "0931-8888888",
}


@dataclass
class World:
    cast: Cast
    tender_id: int
    bidder: User
    other_bidder: User

    def p(self, user: User) -> Principal:
        return principal_for_user(user)

    @property
    def agency(self) -> Principal:
        return self.cast.agency

    @property
    def tenderer(self) -> Principal:
        return self.cast.tenderer


def draft(world: World, values: dict[str, Any] | None = None) -> TenderDocument:
    document = services.create_documents(
        principal=world.agency, tender_id=world.tender_id, template_code="works-construction"
    )
    return services.save_draft(
        principal=world.agency, document_id=document.pk, values={**document.values, **(values or FILLED)}
    )


def published(world: World) -> DocumentVersion:
    document = draft(world)
    return services.publish(principal=world.agency, document_id=document.pk)
