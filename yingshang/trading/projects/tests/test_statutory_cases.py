"""Each statutory rule the projects services apply, as executable cases generated from the
examples of ``kernel/statutory.yaml``, run through the services (not just the kernel):

- T1 / G1 (issue -> bid deadline) and T2 / G2 (download period) through ``save_timeline``;
- T15 / G3 (deposit at most 2 %) through ``submit_intake``;
- T4 / G2.clarification (amendment less than 15 days before the deadline) through
  ``facade.apply_amendment``: the deadline moves exactly when the example violates.

When a row of the data file changes, these cases change with it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import transaction

from yingshang.kernel.errors import InvalidInput, RuleViolation
from yingshang.kernel.statutory import SHANGHAI, Example, rules
from yingshang.ledger.contracts import Actor
from yingshang.trading.projects import facade, services
from yingshang.trading.projects.tests.factories import Cast, at, draft_tender, lot, submit, with_timeline

pytestmark = pytest.mark.django_db

PROCUREMENT = {"name": "金城市市直机关办公设备采购", "resource_kind": "government_procurement"}


def _cases(*rule_ids: str) -> list[Any]:
    return [
        pytest.param(rule_id, example, id=f"{rule_id}-{index}-{'passes' if example.ok else 'violates'}")
        for rule_id in rule_ids
        for index, example in enumerate(rules()[rule_id].examples, start=1)
    ]


def _day(value: date | datetime) -> date:
    return value.astimezone(SHANGHAI).date() if isinstance(value, datetime) else value


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _blocking(call: Any) -> list[str]:
    try:
        call()
    except RuleViolation as error:
        return [d["rule"] for d in error.details]
    return []


@pytest.fixture
def cast() -> Cast:
    return Cast.make()


@pytest.mark.parametrize(("rule_id", "example"), _cases("T1", "G1", "T2", "G2"))
def test_timeline_rule_through_save_timeline(cast: Cast, rule_id: str, example: Example) -> None:
    issued = _day(example.facts["event"])
    act = _day(example.facts["act"])
    with at(_at(issued, 9)):
        tender = draft_tender(cast, **(PROCUREMENT if rule_id.startswith("G") else {}))
        if rule_id in ("T1", "G1"):  # the act is the bid deadline; a long enough sale
            timeline = {
                "documents_from": _at(issued, 10),
                "documents_until": _at(min(act, issued + timedelta(days=14)), 9),
                "questions_until": None,
                "bid_deadline": _at(act, 9, 30),
            }
        else:  # the act is the end of the download period; a late enough deadline
            timeline = {
                "documents_from": _at(issued, 10),
                "documents_until": _at(act, 17),
                "questions_until": None,
                "bid_deadline": _at(issued + timedelta(days=60), 9, 30),
            }
        found = _blocking(lambda: with_timeline(cast, tender, timeline))
    assert (rule_id in found) is (not example.ok), found


@pytest.mark.parametrize(("rule_id", "example"), _cases("T15", "G3"))
def test_deposit_rule_through_intake(cast: Cast, rule_id: str, example: Example) -> None:
    extra = PROCUREMENT if rule_id == "G3" else {}
    lots = [lot(estimated_price_fen=example.facts["base_fen"], deposit_fen=example.facts["amount_fen"])]
    with at(_at(date(2025, 3, 3), 9)):
        try:
            submit(cast, lots=lots, **extra)
            found: list[str] = []
        except InvalidInput as error:
            found = [d.get("rule", "") for d in error.details]
    assert (rule_id in found) is (not example.ok), found


@pytest.mark.parametrize(("rule_id", "example"), _cases("T4", "G2.clarification"))
def test_amendment_rule_moves_the_deadline_exactly_when_violated(
    cast: Cast, rule_id: str, example: Example
) -> None:
    deadline_value = example.facts["deadline"]
    deadline = deadline_value if isinstance(deadline_value, datetime) else _at(deadline_value, 9, 30)
    act = _day(example.facts["act"])
    start = _day(deadline) - timedelta(days=40)
    with at(_at(start, 9)):
        tender = draft_tender(cast, **(PROCUREMENT if rule_id.startswith("G") else {}))
        tender = with_timeline(
            cast,
            tender,
            {
                "documents_from": _at(start, 10),
                "documents_until": _at(start + timedelta(days=12), 17),
                "questions_until": _at(start + timedelta(days=20), 17),
                "bid_deadline": deadline,
            },
        )
        services.publish_tender(
            principal=cast.agency,
            tender_id=tender.pk,
            expected_version=tender.version,
            title="招标公告",
            body="本项目现进行公开招标，欢迎投标。",
        )
    amended_at = _at(act, 10)
    with at(amended_at), transaction.atomic():
        moved = facade.apply_amendment(
            tender_id=tender.pk,
            actor=Actor.system("documents"),
            amended_at=amended_at,
            affects_preparation=True,
            reason="招标文件修改",
        )
    if example.ok:
        assert moved is None
    else:
        assert moved is not None and _day(moved) >= act + timedelta(days=rules()[rule_id].days)
        assert moved.astimezone(SHANGHAI).time() == deadline.astimezone(SHANGHAI).time()
