"""The demo expert pool: about three dozen believable experts of 金城市 (division 6201xx) in
construction, engineering cost, medical equipment and IT, a few suspended, blacklisted or
unavailable, a few imported from 天水市 and 白银市 for remote evaluation; the demo accounts
expert1..expert5 are linked to five of them. Idempotent (keyed by ``source_ref``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction

from yingshang.draws import facade as draws
from yingshang.identity import facade as identity
from yingshang.kernel import clock
from yingshang.kernel.identifiers import make_uscc
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor
from yingshang.trading.experts import evidence, services, states
from yingshang.trading.experts.models import (
    DeclaredConflict,
    DrawRound,
    Expert,
    Need,
    Relationship,
    Seat,
    Unavailability,
)

EMPLOYERS: dict[str, tuple[str, str]] = {
    "univ": ("金城理工大学", make_uscc("1", "2", "620100", "MB1A0008")),
    "design": ("金城市建筑设计研究院有限公司", make_uscc("9", "1", "620100", "MA7D0001")),
    "cost": ("兰山工程造价咨询有限公司", make_uscc("9", "1", "620100", "MA7C0012")),
    "hosp2": ("金城市第二人民医院", make_uscc("1", "2", "620100", "MB1A0101")),
    "medu": ("金城医学院附属医院", make_uscc("1", "2", "620100", "MB1A0102")),
    "survey": ("金城市勘察测绘院", make_uscc("1", "2", "620100", "MB1A0103")),
    "road": ("陇原公路工程咨询有限公司", make_uscc("9", "1", "620100", "MA7D0102")),
    "soft": ("金城数字科技有限公司", make_uscc("9", "1", "620100", "MA7D0103")),
    "audit": ("金城正信会计师事务所", make_uscc("9", "1", "620100", "MA7D0104")),
    "law": ("金城明理律师事务所", make_uscc("3", "1", "620100", "MD000010")),
    "water": ("金城市水利水电勘测设计院", make_uscc("1", "2", "620100", "MB1A0106")),
    "tsuniv": ("天水师范学院", make_uscc("1", "2", "620500", "MB1A0201")),
    "tshosp": ("天水市第一人民医院", make_uscc("1", "2", "620500", "MB1A0202")),
    "bydesign": ("白银市建筑设计院有限公司", make_uscc("9", "1", "620400", "MA7D0301")),
}

#: ref, name, region, specialties, employer key, titles
LOCAL: tuple[tuple[str, str, str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    ("JC-001", "何志远", "620102", ("A0101", "A0103"), "univ", ("教授", "一级注册结构工程师")),
    ("JC-002", "高文斌", "620102", ("A0101", "A0102"), "design", ("正高级工程师",)),
    ("JC-003", "马晓东", "620103", ("A0201", "A0202"), "design", ("高级工程师",)),
    ("JC-004", "罗建华", "620104", ("A0103", "A03"), "univ", ("教授",)),
    ("JC-005", "梁慧敏", "620102", ("B01", "B02"), "cost", ("高级会计师", "一级造价工程师")),
    ("JC-006", "王国庆", "620102", ("A0101",), "survey", ("高级工程师",)),
    ("JC-007", "李秀兰", "620103", ("A0102",), "design", ("高级工程师", "注册电气工程师")),
    ("JC-008", "张宏伟", "620104", ("A0201",), "road", ("正高级工程师",)),
    ("JC-009", "刘建军", "620105", ("A0202", "A03"), "water", ("高级工程师",)),
    ("JC-010", "陈丽娟", "620102", ("B01",), "cost", ("一级造价工程师",)),
    ("JC-011", "杨志刚", "620103", ("B02",), "cost", ("一级造价工程师",)),
    ("JC-012", "赵海燕", "620102", ("E01",), "audit", ("注册会计师",)),
    ("JC-013", "孙立新", "620105", ("E02",), "law", ("律师",)),
    ("JC-014", "周晓梅", "620102", ("C01",), "hosp2", ("主任医师",)),
    ("JC-015", "吴建平", "620103", ("C01", "C02"), "medu", ("教授", "主任技师")),
    ("JC-016", "郑文华", "620102", ("C02",), "medu", ("副主任技师",)),
    ("JC-017", "冯玉洁", "620104", ("C01",), "hosp2", ("高级工程师（医学装备）",)),
    ("JC-018", "徐海涛", "620102", ("D01",), "soft", ("高级工程师", "系统架构设计师")),
    ("JC-019", "朱明辉", "620103", ("D01", "D02"), "univ", ("副教授",)),
    ("JC-020", "胡晓峰", "620105", ("D02",), "soft", ("高级工程师", "信息安全工程师")),
    ("JC-021", "郭永强", "620102", ("A0101", "B01"), "survey", ("高级工程师",)),
    ("JC-022", "何丽萍", "620103", ("A0102", "A0103"), "design", ("高级工程师",)),
    ("JC-023", "林振华", "620104", ("A0201",), "road", ("高级工程师",)),
    ("JC-024", "黄淑芬", "620102", ("B01", "E01"), "audit", ("高级会计师",)),
    ("JC-025", "谢国栋", "620105", ("A0101",), "univ", ("教授",)),
    ("JC-026", "韩建新", "620102", ("A0202",), "water", ("高级工程师",)),
    ("JC-027", "唐雪梅", "620103", ("C02", "C01"), "medu", ("主任医师",)),
    ("JC-028", "曹志明", "620104", ("D01",), "soft", ("高级工程师",)),
    ("JC-029", "彭晓光", "620102", ("A0101", "A0102"), "design", ("高级工程师",)),
    ("JC-030", "董建平", "620111", ("A0201", "A0101"), "road", ("高级工程师",)),
)

#: imported from other cities' pools (remote cross-region evaluation)
IMPORTED: tuple[tuple[str, str, str, str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    ("天水市综合评标专家库", "TS-0107", "田振宇", "620502", ("A0101", "A0201"), "tsuniv", ("教授",)),
    ("天水市综合评标专家库", "TS-0215", "石玉珍", "620502", ("C01",), "tshosp", ("主任医师",)),
    ("天水市综合评标专家库", "TS-0331", "贾文博", "620503", ("B01",), "tsuniv", ("一级造价工程师",)),
    (
        "白银市综合评标专家库",
        "BY-0042",
        "姜志勇",
        "620402",
        ("A0101", "A0102"),
        "bydesign",
        ("正高级工程师",),
    ),
    ("白银市综合评标专家库", "BY-0058", "魏淑华", "620402", ("D01",), "bydesign", ("高级工程师",)),
    ("白银市综合评标专家库", "BY-0091", "蒋国华", "620403", ("A0202",), "bydesign", ("高级工程师",)),
)

LINKED = {
    "expert1": "JC-001",
    "expert2": "JC-002",
    "expert3": "JC-003",
    "expert4": "JC-004",
    "expert5": "JC-005",
}
ACTOR = Actor.system("demo")


def _user_ids(expert_user_ids: Mapping[str, int] | None) -> dict[str, int]:
    if expert_user_ids is not None:
        return dict(expert_user_ids)
    users = identity.users_with_role("expert").filter(username__in=list(LINKED))
    return {u.username: int(u.pk) for u in users}


def _ensure(  # noqa: PLR0917  (one row of the tables above)
    source: str,
    ref: str,
    name: str,
    region: str,
    specialties: tuple[str, ...],
    employer: str,
    titles: tuple[str, ...],
) -> tuple[Expert, bool]:
    found = Expert.objects.filter(source=source, source_ref=ref).first()
    if found is not None:
        return found, False
    from yingshang.trading.experts.services import _new_code

    employer_name, employer_uscc = EMPLOYERS[employer]
    expert = Expert.objects.create(
        code=_new_code(),
        name=name,
        region=region,
        specialties=sorted(specialties),
        titles=list(titles),
        employer_uscc=employer_uscc,
        employer_name=employer_name,
        status=states.APPROVED,
        reviewed_at=clock.now(),
        review_note="演示数据",
        source=source,
        source_ref=ref,
        created_at=clock.now(),
    )
    ledger.record(
        action=evidence.IMPORTED if source else evidence.REGISTERED,
        actor=ACTOR,
        subject=evidence.expert_subject(expert.code),
        data={"code": expert.code, "region": region, "specialties": expert.specialties, "source": source},
        visibility=evidence.pool_visibility(),
    )
    return expert, True


def ensure_pool(
    *, expert_user_ids: Mapping[str, int] | None = None, registered_at: datetime | None = None
) -> list[str]:
    """Create (once) the demo pool; link expert1..expert5 (``expert_user_ids`` username -> user
    id, default: looked up by username). ``registered_at``: when the experts joined the pool
    (default now; suspensions and unavailability still run from today). Returns every demo
    expert's code."""
    users = _user_ids(expert_user_ids)
    codes: list[str] = []
    today = clock.today_in_shanghai()
    real_now = clock.now()
    joined = clock.use(clock.FixedClock(registered_at)) if registered_at is not None else _same_clock()
    with transaction.atomic(), joined:
        by_ref: dict[str, Expert] = {}
        for ref, name, region, specialties, employer, titles in LOCAL:
            expert, created = _ensure("", ref, name, region, specialties, employer, titles)
            by_ref[ref] = expert
            codes.append(expert.code)
            if not created:
                continue
            number = int(ref[-3:])
            if number == 27:  # suspended for a late arrival
                expert.suspended_until = today + timedelta(days=180)
                expert.suspension_reason = "无故迟到缺席评标两次"
            if number == 28:
                expert.blacklisted = True
                expert.blacklist_reason = "评标中私下接触投标人（经查实）"
                expert.credit_score = 40
                expert.credit_record = [
                    {"at": real_now.isoformat(), "delta": -60, "reason": "私下接触投标人"}
                ]
            if number == 29:
                Unavailability.objects.create(
                    expert=expert,
                    starts_at=real_now,
                    ends_at=real_now + timedelta(days=60),
                    reason="出国访学",
                )
            if number == 30:
                expert.status = states.APPLIED  # waiting for review
                expert.reviewed_at = None
                expert.review_note = ""
            if number == 21:
                Relationship.objects.create(
                    expert=expert,
                    organisation_uscc=make_uscc("9", "1", "620100", "MA7C0001"),
                    kind="former_employee",
                    until=date(today.year + 1, 12, 31),
                )
            if number == 24:
                DeclaredConflict.objects.create(
                    expert=expert,
                    organisation_uscc=make_uscc("9", "1", "620100", "MA7C0002"),
                    reason="配偶在该公司任职",
                    declared_at=clock.now(),  # when the expert joined
                )
            expert.save()
        for source, ref, name, region, specialties, employer, titles in IMPORTED:
            expert, _created = _ensure(source, ref, name, region, specialties, employer, titles)
            codes.append(expert.code)
        for username, ref in LINKED.items():
            user_id = users.get(username)
            expert = by_ref[ref]
            if (
                user_id is not None
                and expert.user_id is None
                and not Expert.objects.filter(user_id=user_id).exists()
            ):
                expert.user_id = user_id
                expert.save(update_fields=["user"])
    return codes


@contextmanager
def _same_clock() -> Iterator[None]:
    yield


# ---------------------------------------------------------------- committees


@dataclass(frozen=True)
class DemoRow:
    """One row of a demo need: ``count`` experts of ``specialty`` from ``regions`` (remote:
    evaluated from another city)."""

    specialty: str
    count: int
    regions: tuple[str, ...] = ()
    remote: bool = False


#: An account for a drawn expert without one: (expert) -> user id (the demo loader makes it).
AccountFor = Callable[[Expert], int]


def _principal(user_id: int) -> identity.Principal:
    return identity.principal_for_user(identity.get_user(user_id))


def _beacon_and_perform(need: Need, at: datetime, account_for: AccountFor) -> None:
    """Sign the beacon (one sequencer pass), perform the need's prepared draws on the clock
    ``at``, give each drawn expert an account, and turn the draws into invitations."""
    rounds = list(DrawRound.objects.filter(row__need=need, status=states.PREPARED))
    if not rounds:
        return
    with clock.use(clock.FixedClock(at)):
        for attempt in range(50):
            ledger.sequence_once()  # the beacon: the first signed checkpoint after the commitment
            summaries = [draws.perform_draw(draw_id=r.draw_id) for r in rounds]
            if all(s is not None and s.result is not None for s in summaries):
                break
            time.sleep(0.1 * (attempt + 1))  # another sequencer holds the lock: wait for its pass
        else:
            raise RuntimeError("the expert draw's beacon did not appear")
        for summary in summaries:
            assert summary is not None and summary.result is not None
            for expert in Expert.objects.filter(code__in=summary.result, user__isnull=True):
                services.link_user(code=expert.code, user_id=account_for(expert))
        services.complete_due(now=at)


def _answer(need: Need, at: datetime, decline: str | None) -> None:
    """Every open invitation answered a few minutes after ``at``: accepted with the no-conflict
    declaration, except (when ``decline`` gives a reason and nobody declined yet) the second."""
    declined = Seat.objects.filter(need=need, status=states.DECLINED).exists()
    for minute, seat in enumerate(Seat.objects.filter(need=need, status=states.INVITED).order_by("order"), 3):
        assert seat.user_id is not None
        with clock.use(clock.FixedClock(at + timedelta(minutes=minute))):
            if decline and not declined and seat.order == 2:
                services.decline(principal=_principal(seat.user_id), seat_id=seat.pk, reason=decline)
                declined = True
            else:
                services.accept(principal=_principal(seat.user_id), seat_id=seat.pk, no_conflict=True)


def ensure_committee(
    *,
    tender_id: int,
    lot_id: int,
    organiser_user_id: int,
    rows: Sequence[DemoRow],
    stated_at: datetime,
    drawn_at: datetime,
    evaluation_at: datetime,
    account_for: AccountFor,
    decline: str | None = None,
) -> bool:
    """The lot's committee through the real services: the need stated by the organiser at
    ``stated_at``, the draw committed at ``drawn_at`` and performed on the first checkpoint after
    it, every drawn expert (an account made by ``account_for`` where missing) answering within
    minutes; with ``decline`` one member declines and a replacement is drawn the same way.
    Idempotent; whether anything was done."""
    need = Need.objects.filter(tender_id=tender_id, lot_id=lot_id).first()
    if need is not None and not Seat.objects.filter(need=need, status=states.INVITED).exists():
        wanted = sum(row.count for row in need.rows.all()) + need.representatives
        if Seat.objects.filter(need=need, status=states.CONFIRMED).count() >= wanted:
            return False  # complete
    organiser = _principal(organiser_user_id)
    if need is None:
        with clock.use(clock.FixedClock(stated_at)):
            need = services.state_need(
                principal=organiser,
                tender_id=tender_id,
                lot_id=lot_id,
                rows=[services.RowInput(r.specialty, r.count, r.regions, r.remote) for r in rows],
                representatives=0,
                evaluation_at=evaluation_at,
            )
    if not DrawRound.objects.filter(row__need=need).exists():
        with clock.use(clock.FixedClock(drawn_at)):
            services.start_draw(principal=organiser, tender_id=tender_id, lot_id=lot_id)
    at = drawn_at + timedelta(minutes=1)
    for _round in range(4):
        _beacon_and_perform(need, at, account_for)
        _answer(need, at, decline)
        at += timedelta(minutes=20)
        with clock.use(clock.FixedClock(at)):
            services.complete_due(now=at)  # a replacement for a decline
        if not DrawRound.objects.filter(row__need=need, status=states.PREPARED).exists():
            break
    return True
