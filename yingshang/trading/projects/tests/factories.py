"""Builders for tests of the projects context (and of contexts that need a tender).

They go through the real services with a ``FixedClock``; nothing is mocked::

    from yingshang.trading.projects.tests.factories import Cast, published_tender

    def test_download(fixed_clock):
        cast = Cast.make()
        tender = published_tender(cast)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from yingshang.identity.facade import principal_for_user
from yingshang.identity.models import Organisation, User
from yingshang.identity.testing import make_organisation, make_user
from yingshang.kernel import clock
from yingshang.kernel.policy import Principal
from yingshang.kernel.statutory import SHANGHAI
from yingshang.trading.projects import services
from yingshang.trading.projects.contracts import LotInput
from yingshang.trading.projects.models import Project, Tender

#: Monday 3 March 2025, 09:00 Beijing time: a week without holidays.
START = datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI)


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A Beijing-time instant: ``bj(2025, 3, 25, 9, 30)``."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@contextmanager
def at(moment: datetime) -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(moment)
    with clock.use(fixed):
        yield fixed


@dataclass
class Cast:
    tenderer_org: Organisation
    tenderer_user: User
    agency_org: Organisation
    agency_user: User
    supervisor_org: Organisation
    supervisor_user: User
    staff_user: User
    auditor_user: User
    bidder_user: User
    other_tenderer_user: User
    other_supervisor_user: User

    @classmethod
    def make(cls) -> Cast:
        tenderer_org = make_organisation("enterprise", name="金城市城市建设投资集团有限公司")
        agency_org = make_organisation("agency", name="金城市信达招标代理有限公司")
        supervisor_org = make_organisation("supervisory", name="金城市住房和城乡建设局")
        other_supervisor_org = make_organisation("supervisory", name="金城市水务局")
        return cls(
            tenderer_org=tenderer_org,
            tenderer_user=make_user(roles=["tenderer"], organisation=tenderer_org),
            agency_org=agency_org,
            agency_user=make_user(roles=["agency"], organisation=agency_org),
            supervisor_org=supervisor_org,
            supervisor_user=make_user(roles=["supervisor"], organisation=supervisor_org),
            staff_user=make_user(roles=["centre_staff"]),
            auditor_user=make_user(roles=["auditor"]),
            bidder_user=make_user(roles=["bidder"]),
            other_tenderer_user=make_user(roles=["tenderer"]),
            other_supervisor_user=make_user(roles=["supervisor"], organisation=other_supervisor_org),
        )

    def p(self, who: str) -> Principal:
        return principal_for_user(getattr(self, f"{who}_user"))

    @property
    def tenderer(self) -> Principal:
        return self.p("tenderer")

    @property
    def agency(self) -> Principal:
        return self.p("agency")

    @property
    def staff(self) -> Principal:
        return self.p("staff")

    @property
    def supervisor(self) -> Principal:
        return self.p("supervisor")

    @property
    def auditor(self) -> Principal:
        return self.p("auditor")


def lot(**overrides: Any) -> LotInput:
    values: dict[str, Any] = {
        "name": "第1标段：道路及管网工程",
        "estimated_price_fen": 1_000_000_000,  # ¥10,000,000.00
        "deposit_fen": 20_000_000,  # 2 %: ¥200,000.00
        "deposit_form": "guarantee",
        "bid_validity_days": 90,
        "qualifications": "市政公用工程施工总承包二级及以上资质",
    }
    values.update(overrides)
    return LotInput(**values)


def submit(cast: Cast, *, by: str = "agency", **overrides: Any) -> Project:
    values: dict[str, Any] = {
        "name": "金城市滨河路综合改造工程",
        "resource_kind": "construction",
        "lots": [lot()],
        "tenderer_id": cast.tenderer_org.pk if by == "agency" else None,
        "supervisor_id": cast.supervisor_org.pk,
        "industry": "房屋建筑和市政基础设施",
        "state_controlled": True,
    }
    values.update(overrides)
    return services.submit_intake(principal=cast.p(by), **values)


def accepted(cast: Cast, **overrides: Any) -> Project:
    project = submit(cast, **overrides)
    return services.accept_intake(
        principal=cast.staff, project_id=project.pk, expected_version=project.version
    )


def draft_tender(cast: Cast, *, method: str = "open", **overrides: Any) -> Tender:
    project = accepted(cast, **overrides)
    return services.create_tender(principal=cast.agency, project_id=project.pk, method=method)


def good_timeline(start: datetime = START) -> dict[str, datetime | None]:
    """A timeline that passes T1/T2 from ``start`` (a Monday 09:00 with no holidays near)."""
    day = start.astimezone(SHANGHAI).replace(hour=10, minute=0, second=0, microsecond=0)
    return {
        "documents_from": day,
        "documents_until": (day + timedelta(days=8)).replace(hour=17),
        "questions_until": (day + timedelta(days=14)).replace(hour=17),
        "bid_deadline": (day + timedelta(days=22)).replace(hour=9, minute=30),
    }


def with_timeline(
    cast: Cast, tender: Tender, timeline: Mapping[str, datetime | None] | None = None
) -> Tender:
    result = services.save_timeline(
        principal=cast.agency,
        tender_id=tender.pk,
        expected_version=tender.version,
        **(timeline or good_timeline()),
    )
    return result.tender


def published_tender(cast: Cast, *, method: str = "open", **overrides: Any) -> Tender:
    """A published open tender (call inside ``at(START)``)."""
    tender = with_timeline(cast, draft_tender(cast, method=method, **overrides))
    return services.publish_tender(
        principal=cast.agency,
        tender_id=tender.pk,
        expected_version=tender.version,
        title="金城市滨河路综合改造工程施工招标公告",
        body="本招标项目金城市滨河路综合改造工程已由金城市发展和改革委员会批准建设，现进行公开招标。",
    )
