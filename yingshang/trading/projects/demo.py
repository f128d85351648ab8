"""Demo projects of 金城市 in every stage this context covers, built through the services.

Called by ``yingshang demo`` through ``facade.ensure_demo_projects``. Idempotent: a project whose
name exists is left alone, so a second run changes nothing. Stages in the past (closed for bids,
re-tendered) are rehearsed on a fixed domain clock set weeks back, as the sandbox would; the
published and suspended tenders were published three days ago, so their download period is
running. ``on_published(tender_id, until)`` (the demo loader passes the documents context's demo)
runs right after each publication, inside the clock it was published with; ``until`` is the real
present, after which nothing may be rehearsed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from yingshang.identity import facade as identity
from yingshang.kernel import clock
from yingshang.kernel.calendar import get_default_calendar
from yingshang.kernel.policy import Principal
from yingshang.kernel.statutory import SHANGHAI
from yingshang.trading.projects import services
from yingshang.trading.projects.contracts import LotInput
from yingshang.trading.projects.models import Project, Tender

NOTICE = (
    "一、招标条件\n本招标项目{name}已由金城市发展和改革委员会批准建设，资金已落实，招标人为{tenderer}。"
    "项目已具备招标条件，现对该项目进行公开招标。\n二、投标人资格要求\n详见招标文件。\n"
    "三、招标文件的获取\n请于文件获取期内登录金城市公共资源交易平台免费下载电子招标文件。\n"
    "四、投标文件的递交\n投标文件递交截止时间（即开标时间）见本公告，开标在不见面开标大厅进行。"
)


@dataclass(frozen=True)
class DemoProject:
    name: str
    kind: str
    submitter: str  # demo user name (tenderer or agency)
    tenderer: str  # demo organisation key
    supervisor: str  # demo organisation key
    stage: str
    lots: tuple[LotInput, ...]
    state_controlled: bool = True
    method: str = "open"
    #: For a ``closed`` tender: how long ago it was published (its deadline came 35 days later).
    published_days_ago: int = 45


def _lot(name: str, yuan: int, deposit_percent: float = 2.0, form: str = "guarantee") -> LotInput:
    fen = yuan * 100
    return LotInput(
        name=name,
        estimated_price_fen=fen,
        deposit_fen=int(fen * deposit_percent / 100) // 100 * 100,
        deposit_form=form,
        bid_validity_days=90,
        qualifications="具备相应资质等级，近三年无重大质量安全事故。",
    )


PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        "金城市第一人民医院门诊楼改扩建工程", "construction", "agency", "hospital", "housing", "submitted",
        (_lot("施工总承包", 86_000_000),),
    ),
    DemoProject(
        "金城市教育局2026年中小学课桌椅采购项目", "government_procurement", "purchaser", "education", "finance",
        "returned", (_lot("第1包：课桌椅", 3_200_000, 1.0, "guarantee"),),
    ),
    DemoProject(
        "金城市滨河东路道路及管网工程", "construction", "urbaninvest", "urbaninvest", "housing", "accepted",
        (_lot("第1标段：道路工程", 42_000_000), _lot("第2标段：雨污水管网", 18_500_000)),
    ),
    DemoProject(
        "金城市黄河风情线景观提升工程", "construction", "agency", "urbaninvest", "housing", "published",
        (_lot("施工", 26_800_000),),
    ),
    DemoProject(
        "金城市第一人民医院CT设备采购项目", "government_procurement", "agency2", "hospital", "finance", "suspended",
        (_lot("第1包：64排CT", 9_800_000, 1.0, "guarantee"),),
    ),
    DemoProject(
        "金城市南山路综合管廊工程", "construction", "agency", "urbaninvest", "housing", "closed",
        (_lot("施工总承包", 153_000_000),),
    ),
    DemoProject(
        "金城市安宁区排洪沟综合治理工程", "construction", "agency", "urbaninvest", "housing", "closed",
        (_lot("施工", 57_800_000),), published_days_ago=39,
    ),
    DemoProject(
        "金城市北环路立交桥加固工程", "construction", "agency", "urbaninvest", "housing", "closed",
        (_lot("施工", 63_500_000),), published_days_ago=95,
    ),
    DemoProject(
        "金城市体育中心维修改造工程", "construction", "agency2", "education", "housing", "cancelled",
        (_lot("施工", 12_600_000),),
    ),
    DemoProject(
        "金城市城区老旧污水管网改造工程", "construction", "agency", "urbaninvest", "housing", "retendered",
        (_lot("施工", 35_400_000),),
    ),
    DemoProject(
        "金城市西固区集中供热管网改造工程", "construction", "agency", "urbaninvest", "housing", "closing_soon",
        (_lot("施工", 48_600_000),),
    ),
)  # fmt: skip

#: The demo tender whose bid deadline (and opening) comes this long after the demo is loaded, so a
#: newcomer who starts the platform can watch an opening live.
CLOSING_SOON_AFTER = timedelta(minutes=10)


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    local = day.astimezone(SHANGHAI)
    return datetime.combine(local.date(), time(hour, minute), tzinfo=SHANGHAI)


def timeline_from(start: datetime) -> dict[str, datetime]:
    """A timeline that passes T1/T2 (G1/G2) from ``start``, the deadline on a working day."""
    cal = get_default_calendar()
    deadline_day = cal.next_working_day((start + timedelta(days=35)).astimezone(SHANGHAI).date())
    until_day = cal.next_working_day((start + timedelta(days=14)).astimezone(SHANGHAI).date())
    return {
        "documents_from": start + timedelta(minutes=5),
        "documents_until": datetime.combine(until_day, time(17, 0), tzinfo=SHANGHAI),
        "questions_until": _at(start + timedelta(days=25), 17),
        "bid_deadline": datetime.combine(deadline_day, time(9, 30), tzinfo=SHANGHAI),
    }


#: Called with the tender's id and the real present right after a demo tender is published.
OnPublished = Callable[[int, datetime], object]


class _Demo:
    def __init__(
        self,
        organisations: Mapping[str, int],
        users: Mapping[str, int],
        *,
        now: datetime,
        on_published: OnPublished | None = None,
    ) -> None:
        self.organisations = organisations
        self.users = users
        self.now = now
        self.on_published = on_published

    def principal(self, username: str) -> Principal:
        user = identity.User.objects.get(pk=self.users[username])
        return identity.principal_for_user(user)

    def submit(self, demo: DemoProject) -> Project:
        submitter = self.principal(demo.submitter)
        is_agency = submitter.has_role("agency")
        return services.submit_intake(
            principal=submitter,
            name=demo.name,
            resource_kind=demo.kind,
            lots=list(demo.lots),
            tenderer_id=self.organisations[demo.tenderer] if is_agency else None,
            supervisor_id=self.organisations[demo.supervisor],
            industry="房屋建筑和市政基础设施" if demo.kind == "construction" else "政府采购",
            state_controlled=demo.state_controlled,
            description=f"{demo.name}，建设地点金城市。",
        )

    def published(self, demo: DemoProject, start: datetime, *, deadline: datetime | None = None) -> Tender:
        owner = self.principal(demo.submitter)
        project = self.submit(demo)
        project = services.accept_intake(principal=self.principal("staff"), project_id=project.pk)
        tender = services.create_tender(principal=owner, project_id=project.pk, method=demo.method)
        return self.publish(demo, tender, start, deadline=deadline)

    def publish(
        self, demo: DemoProject, tender: Tender, start: datetime, *, deadline: datetime | None = None
    ) -> Tender:
        owner = self.principal(demo.submitter)
        timeline = timeline_from(start)
        if deadline is not None:
            timeline["bid_deadline"] = deadline
        tender = services.save_timeline(
            principal=owner, tender_id=tender.pk, expected_version=tender.version, **timeline
        ).tender
        tenderer = identity.get_organisation(self.organisations[demo.tenderer])
        published = services.publish_tender(
            principal=owner,
            tender_id=tender.pk,
            expected_version=tender.version,
            title=f"{demo.name}{'招标' if demo.kind == 'construction' else '采购'}公告",
            body=NOTICE.format(name=demo.name, tenderer=tenderer.name if tenderer else ""),
        )
        if self.on_published is not None:
            # Published on the real clock, the notice is a little later than ``self.now``.
            self.on_published(published.pk, max(self.now, clock.now()))
        return published


def _in_the_past(now: datetime, days: int) -> clock.FixedClock:
    return clock.FixedClock(_at(now - timedelta(days=days), 10))


def ensure_demo_projects(
    *,
    organisations: Mapping[str, int],
    users: Mapping[str, int],
    on_published: OnPublished | None = None,
) -> int:
    """Create the demo projects that do not exist yet; returns how many were created."""
    now = clock.now()
    demo = _Demo(organisations, users, now=now, on_published=on_published)
    created = 0
    stages: dict[str, Callable[[DemoProject], object]] = {}

    def submitted(d: DemoProject) -> object:
        return demo.submit(d)

    def returned(d: DemoProject) -> object:
        project = demo.submit(d)
        return services.return_intake(
            principal=demo.principal("staff"),
            project_id=project.pk,
            reason="缺少财政预算批复文件编号，请补充后重新提交。",
        )

    def accepted(d: DemoProject) -> object:
        project = demo.submit(d)
        services.accept_intake(principal=demo.principal("staff"), project_id=project.pk)
        return services.create_tender(
            principal=demo.principal(d.submitter), project_id=project.pk, method=d.method
        )

    def published(d: DemoProject) -> object:
        with clock.use(_in_the_past(now, 3)):
            return demo.published(d, clock.now())

    def suspended(d: DemoProject) -> object:
        with clock.use(_in_the_past(now, 3)):
            tender = demo.published(d, clock.now())
        return services.suspend_tender(
            principal=demo.principal(d.submitter),
            tender_id=tender.pk,
            reason="潜在投标人对采购文件技术参数提出质疑，采购人暂停采购活动，答复后恢复。",
            ground="objection",
        )

    def closed(d: DemoProject) -> object:
        with clock.use(_in_the_past(now, d.published_days_ago)):
            tender = demo.published(d, clock.now())
        return services.apply_due(tender_id=tender.pk, now=now)

    def closing_soon(d: DemoProject) -> object:
        # Published 30 days ago; the bid deadline (the opening) a few minutes from now.
        with clock.use(_in_the_past(now, 30)):
            return demo.published(d, clock.now(), deadline=now + CLOSING_SOON_AFTER)

    def cancelled(d: DemoProject) -> object:
        tender = demo.published(d, now)
        return services.cancel_tender(
            principal=demo.principal(d.submitter),
            tender_id=tender.pk,
            reason="项目建设方案调整，经批准终止本次招标。",
        )

    def retendered(d: DemoProject) -> object:
        with clock.use(_in_the_past(now, 45)):
            tender = demo.published(d, clock.now())
        services.apply_due(tender_id=tender.pk, now=now)
        new = services.retender(
            principal=demo.principal(d.submitter),
            tender_id=tender.pk,
            bids_received=2,
            reason="投标截止时仅收到2份投标文件，不足3个，依法重新招标。",
        )
        return demo.publish(d, new, now)

    stages.update(
        submitted=submitted,
        returned=returned,
        accepted=accepted,
        published=published,
        suspended=suspended,
        closed=closed,
        closing_soon=closing_soon,
        cancelled=cancelled,
        retendered=retendered,
    )
    for d in PROJECTS:
        if Project.objects.filter(name=d.name).exists():
            continue
        stages[d.stage](d)
        created += 1
    return created
