"""The projects context's rules over plain values. Pure: no Django.

- :func:`check_timeline`: a tender's timeline through ``kernel.statutory.check_timeline`` (T1,
  T2, T4, T8, T15, G1, G2, G3 ...) plus the method's own response period and the order of the
  dates; every finding says whether it blocks, with the rule id, the article and a plain
  message in both languages. A date in a year without a loaded holiday notice is a warning
  (``calendar.provisional``), never a refusal.
- :func:`check_deposit`: T15 / G3 (at most 2 % of the estimated price or budget; no cash in
  government procurement).
- :func:`deadline_after_amendment`: T4 / G2.clarification: an amendment that affects bid
  preparation less than 15 days before the deadline moves it.
- :func:`shift_after_suspension`: resuming a suspended tender moves every deadline that had not
  passed when it was suspended by the suspended time (whole days, rounded up).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from yingshang.kernel.calendar import Calendar, get_default_calendar
from yingshang.kernel.statutory import (
    SHANGHAI,
    TENDER_METHODS,
    Clarification,
    Timeline,
    Violation,
    as_day,
    evaluate,
    rule,
)
from yingshang.kernel.statutory import check_timeline as statutory_check_timeline
from yingshang.kernel.text import Text
from yingshang.trading.projects import reference

__all__ = [
    "Finding",
    "LotFacts",
    "TimelineFacts",
    "check_deposit",
    "check_timeline",
    "deadline_after_amendment",
    "shift_after_suspension",
]

LOCAL_ARTICLE = Text(zh="交易平台规则", en="Platform rule")


@dataclass(frozen=True)
class Finding:
    """One result of a check: blocking (the save is refused) or a warning (shown, recorded)."""

    rule_id: str
    blocking: bool
    effect: str
    title: Text
    article: Text
    message: Text
    provisional: bool = False
    field: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "blocking": self.blocking,
            "effect": self.effect,
            "title": self.title.as_dict(),
            "article": self.article.as_dict(),
            "message": self.message.as_dict(),
            "provisional": self.provisional,
            "field": self.field,
        }

    def render(self, language: str) -> str:
        return self.message.render(language)

    @classmethod
    def of(cls, violation: Violation, field: str = "") -> Finding:
        blocking = violation.effect in ("block", "extend")
        return cls(
            rule_id=violation.rule_id,
            blocking=blocking,
            effect=violation.effect,
            title=violation.title,
            article=violation.article,
            message=violation.message,
            provisional=violation.provisional,
            field=field,
        )


@dataclass(frozen=True)
class LotFacts:
    estimated_price_fen: int
    deposit_fen: int
    deposit_form: str
    bid_validity_days: int


@dataclass(frozen=True)
class TimelineFacts:
    regime: str
    method: str
    documents_from: datetime | None = None
    documents_until: datetime | None = None
    questions_until: datetime | None = None
    bid_deadline: datetime | None = None
    #: (issued at, affects bid preparation) of every amendment so far
    amendments: tuple[tuple[datetime, bool], ...] = ()
    lots: tuple[LotFacts, ...] = ()


_FIELD_OF_RULE = {
    "T1": "bid_deadline",
    "G1": "bid_deadline",
    "T2": "documents_until",
    "G2": "documents_until",
    "T4": "bid_deadline",
    "G2.clarification": "bid_deadline",
    "T15": "deposit_fen",
    "G3": "deposit_fen",
    "G3.form": "deposit_form",
}


def _local(rule_id: str, field: str, zh: str, en: str, **params: Any) -> Finding:
    title = Text(zh=zh, en=en)
    return Finding(
        rule_id=rule_id,
        blocking=True,
        effect="block",
        title=title,
        article=LOCAL_ARTICLE,
        message=Text(zh=zh, en=en, params=params),
        field=field,
    )


def _shanghai(value: datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _order(facts: TimelineFacts) -> list[Finding]:
    found: list[Finding] = []
    start, end, questions, deadline = (
        facts.documents_from,
        facts.documents_until,
        facts.questions_until,
        facts.bid_deadline,
    )
    if start is not None and end is not None and end <= start:
        found.append(
            _local(
                "order.documents",
                "documents_until",
                "文件获取期的结束时间必须晚于开始时间。",
                "The download period must end after it starts.",
            )
        )
    if end is not None and deadline is not None and end > deadline:
        found.append(
            _local(
                "order.documents_deadline",
                "documents_until",
                "文件获取期不能晚于投标截止时间结束。",
                "The download period cannot end after the bid deadline.",
            )
        )
    if questions is not None and deadline is not None and questions >= deadline:
        found.append(
            _local(
                "order.questions",
                "questions_until",
                "提问截止时间必须早于投标截止时间。",
                "The question deadline must come before the bid deadline.",
            )
        )
    if questions is not None and start is not None and questions <= start:
        found.append(
            _local(
                "order.questions_start",
                "questions_until",
                "提问截止时间必须晚于文件开始获取的时间。",
                "The question deadline must come after the documents become available.",
            )
        )
    return found


def _method(facts: TimelineFacts, cal: Calendar) -> list[Finding]:
    method = reference.method_rule(facts.method)
    if method is None or method.min_response_days is None:
        return []
    if facts.documents_from is None or facts.bid_deadline is None:
        return []
    issued = as_day(facts.documents_from)
    if method.response_unit == "working":
        earliest = cal.add_working_days(issued, method.min_response_days)
        unit_zh, unit_en = "个工作日", " working days"
    else:
        earliest = issued + timedelta(days=method.min_response_days)
        unit_zh, unit_en = "日", " days"
    if as_day(facts.bid_deadline) >= earliest:
        return []
    title = Text(
        zh=f"{method.label.zh}：自文件发出之日起至响应文件提交截止之日止不得少于{method.min_response_days}{unit_zh}",
        en=f"{method.label.en}: at least {method.min_response_days}{unit_en} from issuing the documents "
        "to the response deadline",
    )
    message = Text(
        zh=f"{title.zh}；最早的截止日为 %(limit)s，不能是 %(actual)s。",
        en=f"{title.en}; the earliest deadline is %(limit)s, not %(actual)s.",
        params={"limit": earliest.isoformat(), "actual": as_day(facts.bid_deadline).isoformat()},
    )
    return [
        Finding(
            rule_id=f"method.{method.code}",
            blocking=True,
            effect="block",
            title=title,
            article=method.source,
            message=message,
            provisional=cal.is_provisional(earliest),
            field="bid_deadline",
        )
    ]


def _provisional(facts: TimelineFacts, cal: Calendar) -> list[Finding]:
    days: list[date] = [
        as_day(value)
        for value in (facts.documents_from, facts.documents_until, facts.questions_until, facts.bid_deadline)
        if value is not None
    ]
    years = sorted({day.year for day in days if cal.is_provisional(day)})
    if not years:
        return []
    text = ", ".join(str(y) for y in years)
    return [
        Finding(
            rule_id="calendar.provisional",
            blocking=False,
            effect="warn",
            title=Text(zh="节假日安排尚未公布", en="Holiday notice not yet published"),
            article=Text(zh="国务院办公厅节假日安排通知", en="State Council holiday notice"),
            message=Text(
                zh="时间安排涉及尚未公布节假日安排的年份（%(years)s），工作日按暂定规则计算；通知公布后将重新核对。",
                en="The timeline reaches into a year without a published holiday notice (%(years)s); "
                "working days are provisional and will be checked again when the notice is loaded.",
                params={"years": text},
            ),
            provisional=True,
            field="bid_deadline",
        )
    ]


def check_timeline(facts: TimelineFacts, *, calendar: Calendar | None = None) -> list[Finding]:
    """Every finding for the timeline: blocking ones first, then warnings."""
    cal = calendar or get_default_calendar()
    timeline = Timeline(
        method=facts.method,
        documents_issued=as_day(facts.documents_from) if facts.documents_from else None,
        documents_sale_end=as_day(facts.documents_until) if facts.documents_until else None,
        bid_deadline=facts.bid_deadline,
        opening=facts.bid_deadline,
        clarifications=tuple(
            Clarification(issued=as_day(at), affects_preparation=affects) for at, affects in facts.amendments
        ),
    )
    found = [
        Finding.of(v, _FIELD_OF_RULE.get(v.rule_id, ""))
        for v in statutory_check_timeline(timeline, regime=facts.regime, calendar=cal)
    ]
    found += _order(facts)
    found += _method(facts, cal)
    for index, lot in enumerate(facts.lots):
        found += [
            Finding(**{**f.__dict__, "field": f"lots[{index}].{f.field}"})
            for f in check_deposit(lot, regime=facts.regime, calendar=cal)
        ]
    found += _provisional(facts, cal)
    return sorted(found, key=lambda f: not f.blocking)


def check_deposit(lot: LotFacts, *, regime: str, calendar: Calendar | None = None) -> list[Finding]:
    """T15 / G3: a deposit over 2 % of the estimated price (budget) is refused; in government
    procurement a cash deposit is refused (G3.form)."""
    found: list[Finding] = []
    deposit_rule = "T15" if regime == "tendering" else "G3"
    violation = evaluate(
        deposit_rule, {"base_fen": lot.estimated_price_fen, "amount_fen": lot.deposit_fen}, calendar=calendar
    )
    if violation is not None:
        found.append(Finding.of(violation, "deposit_fen"))
    if regime == "procurement" and lot.deposit_fen > 0:
        violation = evaluate("G3.form", {"value": lot.deposit_form}, calendar=calendar)
        if violation is not None:
            found.append(Finding.of(violation, "deposit_form"))
    if reference.deposit_form(lot.deposit_form) is None:
        found.append(
            _local(
                "lot.deposit_form",
                "deposit_form",
                "未知的保证金形式 %(form)s。",
                "Unknown deposit form %(form)s.",
                form=lot.deposit_form,
            )
        )
    return found


def clarification_rule_id(regime: str, method: str) -> str | None:
    """The rule that moves the deadline after a late amendment, or None where none applies."""
    if regime == "tendering":
        return "T4"
    if method in TENDER_METHODS:
        return "G2.clarification"
    return None


def deadline_after_amendment(
    *,
    regime: str,
    method: str,
    bid_deadline: datetime,
    amended_at: datetime,
    affects_preparation: bool,
    calendar: Calendar | None = None,
) -> tuple[datetime, str] | None:
    """T4 (G2.clarification): the new bid deadline and the rule id when an amendment issued at
    ``amended_at`` that affects bid preparation comes less than 15 days before the deadline;
    None when the deadline stays. The new deadline is the amendment day + 15 days at the same
    Beijing time of day, on the next working day if that day is a rest day (it only moves later)."""
    rule_id = clarification_rule_id(regime, method)
    if rule_id is None or not affects_preparation:
        return None
    r = rule(rule_id)
    amended_day = as_day(amended_at)
    if not r.applies_on(amended_day):
        return None
    cal = calendar or get_default_calendar()
    if evaluate(r, {"deadline": bid_deadline, "act": amended_day}, calendar=cal) is None:
        return None
    new_day = cal.next_working_day(amended_day + timedelta(days=r.days))
    local = bid_deadline.astimezone(SHANGHAI)
    moved = datetime.combine(new_day, local.timetz().replace(tzinfo=None), tzinfo=SHANGHAI).astimezone(UTC)
    return (moved, rule_id) if moved > bid_deadline else None


def shift_after_suspension(
    times: Mapping[str, datetime | None],
    *,
    suspended_at: datetime,
    resumed_at: datetime,
    calendar: Calendar | None = None,
    working_day_fields: Iterable[str] = ("bid_deadline",),
) -> dict[str, datetime | None]:
    """The deadlines after resuming: every time later than ``suspended_at`` moves by the
    suspended time in whole days (rounded up; the law counts days); the fields in
    ``working_day_fields`` (the bid deadline, which is the opening) then roll to the next
    working day. Times already past when the tender was suspended do not move."""
    cal = calendar or get_default_calendar()
    paused = resumed_at - suspended_at
    days = max(0, math.ceil(paused / timedelta(days=1)))
    shift = timedelta(days=days)
    rolled = set(working_day_fields)
    out: dict[str, datetime | None] = {}
    for name, value in times.items():
        if value is None or value <= suspended_at or not days:
            out[name] = value
            continue
        moved = value + shift
        if name in rolled:
            local = moved.astimezone(SHANGHAI)
            day = cal.next_working_day(local.date())
            moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=SHANGHAI).astimezone(
                UTC
            )
        out[name] = moved
    return out


def format_instant(value: datetime) -> str:
    """``YYYY-MM-DD HH:MM`` Beijing time."""
    return _shanghai(value)
