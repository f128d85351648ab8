"""The demo's committees, evaluations and awards (issue 7), each step through the contexts'
facades on the clock of a believable moment in the past:

- 金城市北环路立交桥加固工程 (bid deadline D about eight weeks ago): the need stated two days before
  D, the committee drawn the day before (one member remote, from another city's pool), evaluated
  on the afternoon of the opening, candidates published, awarded, the contract registered twelve
  days after the award and the report to the supervisor filed the next day; the experts' names
  are published in the result announcement, their scores under letters.
- 金城市安宁区排洪沟综合治理工程 (D about 4 days ago): drawn and evaluated the same way, its
  candidates in publicity until the day after tomorrow, one bidder's objection answered.
- 金城市南山路综合管廊工程 (D about a week ago): evaluation this morning (the clearing of the
  bills of quantities took time), the committee drawn yesterday: one member declined and a
  replacement was drawn; every member has scored, one mark is abnormally low and not yet
  explained, three members have submitted.

A draw cannot be steered: the drawn experts are whoever the draw picks, and those without a
demo account get one (``jc006`` for the pool's ``JC-006``; password and one-time-code secret
as every demo account). Idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings

from yingshang.demo.bids import AWARDED, CLOSED, IN_PUBLICITY, tender_named
from yingshang.demo.city import DEMO_PASSWORD, DEMO_TOTP_SECRET
from yingshang.identity import facade as identity
from yingshang.kernel import clock
from yingshang.kernel.errors import NotFound
from yingshang.kernel.statutory import SHANGHAI
from yingshang.trading.award import facade as award
from yingshang.trading.evaluation import facade as evaluation
from yingshang.trading.experts import facade as experts
from yingshang.trading.projects import facade as projects

LOCAL = ("620100",)
#: (specialty, count, regions, remote) per lot: engineering construction and its costing, local;
#: 北环路 adds a municipal-works expert evaluating remotely from 天水 or 白银.
ROWS: dict[str, list[tuple[str, int, tuple[str, ...], bool]]] = {
    AWARDED: [("A", 3, LOCAL, False), ("A02", 1, ("620500", "620400"), True), ("B", 1, LOCAL, False)],
    IN_PUBLICITY: [("A", 4, LOCAL, False), ("B", 1, LOCAL, False)],
    CLOSED: [("A", 4, LOCAL, False), ("B", 1, LOCAL, False)],
}
DECLINE = "单位临时安排外地出差，无法按时参加评标，特此说明。"
OBJECTION = (
    "bidder02",
    "对评标结果有异议：我公司施工组织设计得分明显偏低，请核查评分是否符合招标文件规定的评分标准。",
    "经组织原评标委员会复核，各成员评分符合招标文件规定的评分标准，不存在计算错误，维持评标结果。",
)


@dataclass(frozen=True)
class Stages:
    committees: int = 0
    evaluations: int = 0
    awards: int = 0


def expert_username(source_ref: str) -> str:
    """``JC-006`` -> ``jc006``: the demo account of a drawn expert."""
    return source_ref.replace("-", "").lower()


def _account_for(source_ref: str, name: str, employer_name: str, employer_uscc: str) -> int:
    organisation = identity.get_organisation_by_uscc(employer_uscc)
    if organisation is None:
        organisation = identity.ensure_organisation(
            kind="enterprise", name=employer_name, uscc=employer_uscc, division=employer_uscc[2:8]
        )
    username = expert_username(source_ref)
    user = identity.ensure_user(
        username=username,
        password=DEMO_PASSWORD,
        display_name=f"{name}（{employer_name}）",
        email=f"{username}@demo.jincheng.invalid",
    )
    identity.ensure_membership(user=user, organisation=organisation, roles=("expert",))
    identity.ensure_totp(user=user, secret=DEMO_TOTP_SECRET)
    return int(user.pk)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


#: The demo bidders' credit scores (username -> score, grade), as the city credit platform would
#: report them; written to the credit scores file (the file-based stand-in) if it is missing.
CREDIT: dict[str, tuple[str, str]] = {
    "bidder01": ("96.5", "AAA"),
    "bidder02": ("88.0", "AA"),
    "bidder03": ("84.5", "A"),
    "bidder04": ("91.0", "AA"),
    "bidder05": ("79.5", "B"),
}


def ensure_credit_file(*, organisations: Mapping[str, int], people: Mapping[str, str]) -> Path | None:
    """Write the demo bidders' credit scores to ``YINGSHANG["CREDIT_SCORES_FILE"]`` unless a file
    is already there (an operator's own file is never replaced). The file that was written."""
    configured = settings.YINGSHANG.get("CREDIT_SCORES_FILE")
    if not configured:
        return None
    path = Path(str(configured))
    if path.exists():
        return None
    scores: dict[str, dict[str, str]] = {}
    for username, (score, grade) in CREDIT.items():
        organisation = (
            identity.get_organisation(organisations[people[username]]) if username in people else None
        )
        if organisation is not None:
            scores[organisation.uscc] = {"score": score, "grade": grade, "as_of": "2026-10-01"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(scores, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def ensure_stages(
    *, users: Mapping[str, int], organisations: Mapping[str, int], people: Mapping[str, str]
) -> Stages:
    """Committees, evaluations and awards of the three opened demo tenders (idempotent); how
    many of each were made or moved on this run."""
    now = clock.now()
    ensure_credit_file(organisations=organisations, people=people)
    experts.ensure_demo_pool(
        expert_user_ids={u: i for u, i in users.items() if u.startswith("expert")},
        registered_at=now - timedelta(days=400),
    )
    lots: dict[str, tuple[int, int, datetime]] = {}
    for title in (AWARDED, IN_PUBLICITY, CLOSED):
        tender_id = tender_named(title)
        if tender_id is None:
            continue
        tender = projects.tender_summary(tender_id)
        if tender.bid_deadline is None or not tender.lot_ids or tender.bid_deadline > now - timedelta(days=1):
            continue
        lots[title] = (tender_id, tender.lot_ids[0], tender.bid_deadline)
    committees = 0
    evaluations = 0
    # In the order of the draws (the repeat window of the same tenderer sees the earlier ones).
    for title, (tender_id, lot_id, deadline) in lots.items():
        if title == CLOSED:
            # this morning at nine (Beijing time), or an hour ago when it is earlier than ten
            nine = datetime.combine(clock.today_in_shanghai(), time(9), tzinfo=SHANGHAI)
            evaluation_at = min(nine, _hour(now - timedelta(hours=1)))
            drawn_at = evaluation_at - timedelta(hours=20)
        else:
            evaluation_at = _hour(deadline + timedelta(hours=2))
            drawn_at = deadline - timedelta(days=1)
        committees += experts.ensure_demo_committee(
            tender_id=tender_id,
            lot_id=lot_id,
            organiser_user_id=users["agency"],
            rows=ROWS[title],
            stated_at=deadline - timedelta(days=2),
            drawn_at=drawn_at,
            evaluation_at=evaluation_at,
            account_for=_account_for,
            decline=DECLINE if title == CLOSED else None,
        )
        steps = [(evaluation_at, "scoring")]
        if title != CLOSED:
            steps += [
                (evaluation_at + timedelta(hours=3), "signing"),
                (evaluation_at + timedelta(hours=3, minutes=30), "finished"),
            ]
        for at, stage in steps:
            with clock.use(clock.FixedClock(at)):
                evaluations += evaluation.ensure_demo_evaluations(
                    lots={(tender_id, lot_id): stage},
                    organiser_user_id=users["agency"],
                    partly=[(tender_id, lot_id)] if title == CLOSED else (),
                )
    awards = 0
    if IN_PUBLICITY in lots:
        tender_id, lot_id, _deadline = lots[IN_PUBLICITY]
        before = _award_state(tender_id, lot_id)
        award.ensure_demo_awards(
            agency_user_id=users["agency"],
            publicity=[(tender_id, lot_id)],
            publicity_until=clock.today_in_shanghai() + timedelta(days=2),
            objection=(
                users[OBJECTION[0]],
                organisations[people[OBJECTION[0]]],
                OBJECTION[1],
                OBJECTION[2],
            ),
        )
        awards += before != _award_state(tender_id, lot_id)
    if AWARDED in lots:
        tender_id, lot_id, _deadline = lots[AWARDED]
        before = _award_state(tender_id, lot_id)
        award.ensure_demo_awards(
            agency_user_id=users["agency"],
            awarded=[(tender_id, lot_id)],
            contract=True,
            awarded_after=timedelta(hours=10),  # 10:00 the morning after the publicity
        )
        awards += before != _award_state(tender_id, lot_id)
    return Stages(committees=committees, evaluations=evaluations, awards=awards)


def _award_state(tender_id: int, lot_id: int) -> tuple[str, int] | None:
    try:
        status = award.award_status(tender_id, lot_id)
    except NotFound:  # before the report was received
        return None
    return status.status, len(status.clocks) + status.pending_objections + int(status.reported_at is not None)


def committee_usernames(title: str = CLOSED) -> list[str]:
    """The demo accounts on the tender's committee in seat order: the chair first, then the
    member with the abnormal mark (for the operator's console only)."""
    tender_id = tender_named(title)
    if tender_id is None:
        return []
    lot_ids = projects.tender_summary(tender_id).lot_ids
    try:
        members = experts.committee(tender_id, lot_ids[0]).members
    except NotFound:  # before the need was stated
        return []
    return [identity.get_user(m.user_id).username for m in members if m.user_id is not None]
