"""Builders for award tests: a real published tender (projects test factories), real bidder
organisations and users, and an ``EvaluationReport`` value as the evaluation context hands it
over. The domain clock is a FixedClock; nothing is mocked."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.test import Client
from pypdf import PdfWriter

from yingshang.files import facade as files
from yingshang.identity.facade import principal_for_user
from yingshang.identity.models import Organisation, User
from yingshang.identity.testing import make_organisation, make_user, sign_in
from yingshang.kernel import clock
from yingshang.kernel.policy import Principal
from yingshang.trading.evaluation.contracts import Candidate, EvaluationReport, MemberScore
from yingshang.trading.projects.models import Tender
from yingshang.trading.projects.tests.factories import Cast, published_tender

API = "/api/v1/trading/award"


def pdf() -> bytes:
    """A small well-formed PDF (pypdf)."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


NAMES = [
    "金城市宏达建设工程有限公司",
    "金城市永安路桥有限公司",
    "金城市华建市政工程有限公司",
    "金城市鼎盛建筑有限公司",
]
MEMBERS = ("EX-AAAAAA", "EX-BBBBBB", "EX-CCCCCC", "EX-DDDDDD", "REP-1")


@dataclass
class BidderOrg:
    organisation: Organisation
    user: User

    @property
    def principal(self) -> Principal:
        return principal_for_user(self.user, organisation_id=self.organisation.pk)

    def client(self) -> Client:
        c = Client()
        sign_in(c, self.user)
        return c


@dataclass
class World:
    cast: Cast
    tender: Tender
    lot_id: int
    fixed: clock.FixedClock
    bidders: list[BidderOrg] = field(default_factory=list)

    @classmethod
    def make(cls, fixed: clock.FixedClock, *, bidders: int = 4, **tender: Any) -> World:
        cast = Cast.make()
        t = published_tender(cast, **tender)
        world = cls(cast, t, t.lots.get().pk, fixed)
        for i in range(bidders):
            org = make_organisation("enterprise", name=NAMES[i % len(NAMES)] + ("" if i < 4 else str(i)))
            world.bidders.append(BidderOrg(org, make_user(roles=["bidder"], organisation=org)))
        return world

    def report(
        self,
        *,
        finished_at: datetime,
        candidates: int = 3,
        regime: str | None = None,
        members: tuple[str, ...] = MEMBERS,
    ) -> EvaluationReport:
        prices = [8_800_000_00, 9_100_000_00, 9_400_000_00, 9_700_000_00]
        scores_by_rank = [Decimal("92.500"), Decimal("88.250"), Decimal("85.000"), Decimal("80.000")]
        cands = tuple(
            Candidate(
                rank=i + 1,
                bid_id=1000 + i,
                organisation_id=int(self.bidders[i].organisation.pk),
                bidder_uscc=self.bidders[i].organisation.uscc,
                bidder_name=self.bidders[i].organisation.name,
                price_fen=prices[i],
                score=scores_by_rank[i],
                evaluated_price_fen=None,
            )
            for i in range(candidates)
        )
        scores = tuple(
            MemberScore(member_code=m, bid_id=c.bid_id, item="total", value=c.score - j)
            for j, m in enumerate(members)
            for c in cands
            if c.score is not None
        )
        return EvaluationReport(
            evaluation_id=4242,
            tender_id=int(self.tender.pk),
            lot_id=self.lot_id,
            regime=regime or self.tender.regime,
            method="comprehensive",
            finished_at=finished_at,
            report_sha256="ab" * 32,
            candidates=cands,
            members=members,
            scores=scores,
        )

    def client(self, who: str) -> Client:
        c = Client()
        sign_in(c, getattr(self.cast, f"{who}_user"))
        return c

    def document(self, purpose: str, *, who: str = "agency") -> int:
        return files.store_document(
            principal=self.cast.p(who), name="证明.pdf", stream=io.BytesIO(pdf()), purpose=purpose
        ).id
