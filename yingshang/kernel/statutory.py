"""Statutory periods and rules (shared/design/LAW.md) as data, and the functions that apply them.

Pure: no Django. The rules live in ``statutory.yaml`` next to this module, one row per figure
(T1..T21 for must-tender projects under 招标投标法 and its 实施条例, G1..G10 for government
procurement under 政府采购法 and its 实施条例; a suffixed id such as ``T5.reply`` is another
figure of the same LAW.md row). Each row names the evaluator (``check``) that applies it and
carries a passing and a violating example; the tests are generated from those examples.

Counting (民法典 arts. 200-204):

- the day of the triggering event is not counted; counting starts the next day;
- a period ends at 24:00 Asia/Shanghai of its last day (:attr:`PeriodEnd.instant`, in UTC);
- a period counted forward whose last day is a rest day ends on the next working day;
- a period counted back from a deadline never moves: when it cannot be met the deadline moves
  (T4, effect ``extend``) or the act is out of time (T5.window, effect ``block``);
- working days follow the working-day calendar (:mod:`yingshang.kernel.calendar`), including
  make-up working days; a result that depends on a year without a loaded notice is flagged
  ``provisional``.

A rule applies only to acts on or after its ``effective_from``. Dates are calendar days in
Asia/Shanghai; a ``datetime`` given where a day is expected must be timezone-aware and is read
in Asia/Shanghai.

Public functions (exact signatures in docs/statutory.md): :func:`rules`, :func:`rule`,
:func:`rules_in_force`, :func:`period_end`, :func:`latest_start_before`, :func:`deadline_for`,
:func:`evaluate`, :func:`check_timeline`, and the helpers :func:`deposit_limit_fen`,
:func:`performance_bond_limit_fen`, :func:`committee_violations`, :func:`committee_ok`,
:func:`enough_bidders`, :func:`candidates_ok`, :func:`opening_time_ok`,
:func:`objection_in_time`, :func:`tendering_complaint_deadline`,
:func:`procurement_complaint_deadline`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

import yaml

from yingshang.kernel.calendar import Calendar, get_default_calendar
from yingshang.kernel.text import Text

__all__ = [
    "DATA_FILE",
    "METHODS",
    "SHANGHAI",
    "Clarification",
    "Example",
    "Law",
    "Objection",
    "PeriodEnd",
    "Rule",
    "RuleBook",
    "Source",
    "StatutoryDataError",
    "Timeline",
    "UnknownRule",
    "Violation",
    "as_day",
    "candidates_ok",
    "check_timeline",
    "chinese_number",
    "committee_ok",
    "committee_violations",
    "deadline_for",
    "deposit_limit_fen",
    "end_of_day",
    "enough_bidders",
    "evaluate",
    "latest_start_before",
    "load_rules",
    "objection_in_time",
    "opening_time_ok",
    "performance_bond_limit_fen",
    "period_end",
    "procurement_complaint_deadline",
    "rule",
    "rules",
    "rules_in_force",
    "tendering_complaint_deadline",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATA_FILE = Path(__file__).resolve().with_name("statutory.yaml")

Regime = Literal["tendering", "procurement"]
Direction = Literal["forward", "backward", "none"]
Unit = Literal["calendar", "working"]
Measure = Literal["days", "percent", "count", "none"]
Comparison = Literal["at_least", "within", "at_most", "equal", "none"]
Effect = Literal["block", "warn", "extend", "suspend", "record", "clock"]

REGIMES: tuple[str, ...] = get_args(Regime)
DIRECTIONS: tuple[str, ...] = get_args(Direction)
UNITS: tuple[str, ...] = get_args(Unit)
MEASURES: tuple[str, ...] = get_args(Measure)
COMPARISONS: tuple[str, ...] = get_args(Comparison)
EFFECTS: tuple[str, ...] = get_args(Effect)
METHODS = ("open", "invited", "negotiation", "consultation", "inquiry", "single_source")
TENDER_METHODS = ("open", "invited")


class StatutoryDataError(ValueError):
    """``statutory.yaml`` (or a replacement file) is malformed; the message names the row."""


class UnknownRule(KeyError):
    """No rule has this id."""


# --------------------------------------------------------------------------------------------
# The data model


@dataclass(frozen=True)
class Law:
    key: str
    name: Text
    effective_from: date
    amended: tuple[date, ...] = ()


@dataclass(frozen=True)
class Source:
    law: str
    article: int


@dataclass(frozen=True)
class Example:
    ok: bool
    facts: Mapping[str, Any]
    limit: date | None = None


@dataclass(frozen=True)
class Rule:
    """One row of ``statutory.yaml``."""

    id: str
    regime: Regime
    title: Text
    direction: Direction
    unit: Unit | None
    figure: int | Decimal | None
    measure: Measure
    comparison: Comparison
    effect: Effect
    effective_from: date
    sources: tuple[Source, ...]
    article: Text
    check: str
    message: Text
    examples: tuple[Example, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def law_id(self) -> str:
        """LAW.md's id of the row this figure belongs to (``T5`` for ``T5.reply``)."""
        return self.id.split(".", 1)[0]

    @property
    def days(self) -> int:
        """The figure of a period rule, in its unit."""
        if self.measure != "days" or not isinstance(self.figure, int):
            raise ValueError(f"rule {self.id} is not a period")
        return self.figure

    def applies_on(self, day: date) -> bool:
        """Whether the rule governs an act done on ``day`` (on or after ``effective_from``)."""
        return day >= self.effective_from


@dataclass(frozen=True)
class PeriodEnd:
    """The last day of a period and the instant it ends (24:00 Asia/Shanghai, as UTC).

    For a forward period, ``date`` is the last day after the roll-over and ``nominal`` the day
    the count reached before it; for a backward period (:func:`latest_start_before`), ``date`` is
    the last day on which the act is in time. ``provisional`` is true when the answer depends on
    a year without a loaded holiday notice.
    """

    date: dt.date
    instant: datetime
    provisional: bool
    nominal: dt.date

    @property
    def moved(self) -> bool:
        return self.date != self.nominal


@dataclass(frozen=True)
class Violation:
    """A rule a proposed act or timeline breaks (or, for ``suspend``/``extend``, triggers)."""

    rule_id: str
    regime: Regime
    effect: Effect
    title: Text
    article: Text
    message: Text
    provisional: bool = False
    limit: date | int | None = None
    actual: date | datetime | int | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (both languages) for APIs and the evidence ledger."""

        def plain(value: object) -> object:
            return value.isoformat() if isinstance(value, date | datetime) else value

        return {
            "rule": self.rule_id,
            "regime": self.regime,
            "effect": self.effect,
            "title": self.title.as_dict(),
            "article": self.article.as_dict(),
            "message": self.message.as_dict(),
            "provisional": self.provisional,
            "limit": plain(self.limit),
            "actual": plain(self.actual),
        }


class RuleBook(Mapping[str, Rule]):
    """All rules by id, in file order, with the laws they cite."""

    def __init__(self, laws: Mapping[str, Law], rules: Iterable[Rule]) -> None:
        self.laws = dict(laws)
        self._rules = {r.id: r for r in rules}

    def __getitem__(self, key: str) -> Rule:
        try:
            return self._rules[key]
        except KeyError:
            raise UnknownRule(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def in_force(self, regime: str, on: date) -> list[Rule]:
        _check_regime(regime)
        return [r for r in self._rules.values() if r.regime == regime and r.applies_on(on)]


# --------------------------------------------------------------------------------------------
# Loading statutory.yaml

_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..999 in Chinese numerals as article numbers are written (第二十四条, 第一百条)."""
    if not 0 < n < 1000:
        raise ValueError(f"article number out of range: {n}")
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    text = ""
    if hundreds:
        text += _CN_DIGITS[hundreds] + "百"
        if rest and tens == 0:
            text += "零"
    if tens:
        text += ("" if tens == 1 and not hundreds else _CN_DIGITS[tens]) + "十"
    if units:
        text += _CN_DIGITS[units]
    return text


def _article_text(sources: tuple[Source, ...], laws: Mapping[str, Law]) -> Text:
    zh = "；".join(f"《{laws[s.law].name.zh}》第{chinese_number(s.article)}条" for s in sources)
    en = "; ".join(f"{laws[s.law].name.en}, art. {s.article}" for s in sources)
    return Text(zh=zh, en=en)


def _bad(where: str, problem: str) -> StatutoryDataError:
    return StatutoryDataError(f"{where}: {problem}")


def _text(value: object, where: str) -> Text:
    if not isinstance(value, dict) or not all(
        isinstance(value.get(k), str) and value[k] for k in ("zh", "en")
    ):
        raise _bad(where, "needs zh and en text")
    return Text(zh=value["zh"], en=value["en"])


def _enum(value: object, allowed: tuple[str, ...], where: str) -> Any:
    if value not in allowed:
        raise _bad(where, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _figure(value: object, measure: str, where: str) -> int | Decimal | None:
    if value is None:
        if measure in ("days", "percent"):
            raise _bad(where, f"a {measure} rule needs a figure")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise _bad(where, f"figure {value!r} is not a number")
    if measure == "percent":
        figure = Decimal(str(value))
        return int(figure) if figure == figure.to_integral_value() else figure
    if not isinstance(value, int) or value < 0:
        raise _bad(where, f"figure {value!r} must be a whole number of {measure}")
    return value


def _parse_sources(value: object, laws: Mapping[str, Law], where: str) -> tuple[Source, ...]:
    if not isinstance(value, list) or not value:
        raise _bad(where, "needs sources: [{law, article}]")
    sources = []
    for item in value:
        if (
            not isinstance(item, dict)
            or item.get("law") not in laws
            or not isinstance(item.get("article"), int)
        ):
            raise _bad(where, f"bad source {item!r} (laws: {', '.join(laws)})")
        sources.append(Source(item["law"], item["article"]))
    return tuple(sources)


def _parse_examples(value: object, where: str) -> tuple[Example, ...]:
    if not isinstance(value, list):
        raise _bad(where, "needs examples")
    examples = []
    for index, item in enumerate(value, start=1):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("ok"), bool)
            or not isinstance(item.get("facts"), dict)
        ):
            raise _bad(f"{where} example {index}", "needs ok: true|false and facts: {...}")
        limit = item.get("limit")
        if limit is not None and (not isinstance(limit, date) or isinstance(limit, datetime)):
            raise _bad(f"{where} example {index}", "limit must be a date")
        examples.append(Example(item["ok"], dict(item["facts"]), limit))
    if not any(e.ok for e in examples) or all(e.ok for e in examples):
        raise _bad(where, "needs at least one passing and one violating example")
    return tuple(examples)


def _parse_rule(raw: Mapping[str, Any], laws: Mapping[str, Law]) -> Rule:
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        raise _bad("rules", f"a row without an id: {raw!r}")
    where = f"rule {rid}"
    known = {
        "id", "regime", "title", "direction", "unit", "figure", "measure", "comparison", "effect",
        "effective_from", "sources", "check", "options", "message", "examples", "note",
    }  # fmt: skip
    extra = sorted(set(raw) - known)
    if extra:
        raise _bad(where, f"unknown columns {extra}")
    regime = _enum(raw.get("regime"), REGIMES, where + ".regime")
    if regime != ("tendering" if rid.startswith("T") else "procurement"):
        raise _bad(where, "T rows are tendering, G rows procurement")
    direction = _enum(raw.get("direction"), DIRECTIONS, where + ".direction")
    unit = raw.get("unit")
    if unit is not None:
        _enum(unit, UNITS, where + ".unit")
    measure = _enum(raw.get("measure"), MEASURES, where + ".measure")
    if direction != "none" and (unit is None or measure != "days"):
        raise _bad(where, "a forward or backward period needs a unit and measure: days")
    effective = raw.get("effective_from")
    if not isinstance(effective, date) or isinstance(effective, datetime):
        raise _bad(where, "effective_from must be a date (YYYY-MM-DD)")
    sources = _parse_sources(raw.get("sources"), laws, where)
    if effective < min(laws[s.law].effective_from for s in sources):
        raise _bad(where, "effective_from is before every law it cites took effect")
    check = raw.get("check")
    if check not in _CHECKS:
        raise _bad(where, f"unknown check {check!r}")
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        raise _bad(where, "options must be a mapping")
    examples = _parse_examples(raw.get("examples"), where)
    rule_obj = Rule(
        id=rid,
        regime=regime,
        title=_text(raw.get("title"), where + ".title"),
        direction=direction,
        unit=unit,
        figure=_figure(raw.get("figure"), measure, where + ".figure"),
        measure=measure,
        comparison=_enum(raw.get("comparison"), COMPARISONS, where + ".comparison"),
        effect=_enum(raw.get("effect"), EFFECTS, where + ".effect"),
        effective_from=effective,
        sources=sources,
        article=_article_text(sources, laws),
        check=check,
        message=_text(raw.get("message"), where + ".message"),
        examples=examples,
        options=options,
        note=str(raw.get("note") or ""),
    )
    spec = _CHECKS[check]
    for index, example in enumerate(examples, start=1):
        problem = spec.fact_problem(rule_obj, example.facts)
        if problem:
            raise _bad(f"{where} example {index}", problem)
    return rule_obj


def load_rules(path: Path | str | None = None) -> RuleBook:
    """Read and validate a rules file (``statutory.yaml`` by default)."""
    source = Path(path) if path is not None else DATA_FILE
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster
    with source.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("laws"), dict)
        or not isinstance(data.get("rules"), list)
    ):
        raise StatutoryDataError(f"{source}: needs `laws:` and `rules:`")
    laws = {}
    for key, item in data["laws"].items():
        if not isinstance(item, dict) or not isinstance(item.get("effective_from"), date):
            raise _bad(f"law {key}", "needs zh, en and effective_from")
        laws[key] = Law(
            key, _text(item, f"law {key}"), item["effective_from"], tuple(item.get("amended") or ())
        )
    parsed: list[Rule] = []
    seen: set[str] = set()
    for raw in data["rules"]:
        if not isinstance(raw, dict):
            raise StatutoryDataError(f"{source}: every rule must be a mapping")
        parsed_rule = _parse_rule(raw, laws)
        if parsed_rule.id in seen:
            raise _bad(f"rule {parsed_rule.id}", "appears twice")
        seen.add(parsed_rule.id)
        parsed.append(parsed_rule)
    return RuleBook(laws, parsed)


@functools.cache
def rules() -> RuleBook:
    """The rule book of ``statutory.yaml`` (loaded once)."""
    return load_rules()


def rule(rule_or_id: Rule | str) -> Rule:
    """The rule with this id (a :class:`Rule` is returned as is). Raises :class:`UnknownRule`."""
    if isinstance(rule_or_id, Rule):
        return rule_or_id
    return rules()[rule_or_id]


def rules_in_force(regime: str, on: date) -> list[Rule]:
    """The rules of ``regime`` that govern acts done on ``on``."""
    return rules().in_force(regime, on)


# --------------------------------------------------------------------------------------------
# Days, instants and periods


def _check_regime(regime: str) -> None:
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; expected one of {', '.join(REGIMES)}")


def as_day(value: date | datetime, what: str = "date") -> date:
    """The Asia/Shanghai calendar day of a date or of an aware datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
        return value.astimezone(SHANGHAI).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"{what} must be a date or an aware datetime, not {type(value).__name__}")


def end_of_day(day: date) -> datetime:
    """24:00 Asia/Shanghai of ``day`` (00:00 of the next day), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(UTC)


def _calendar(calendar: Calendar | None) -> Calendar:
    return calendar if calendar is not None else get_default_calendar()


def _count(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, not {type(n).__name__}")
    if n < 0:
        raise ValueError(f"{what} must be 0 or more, got {n}")
    return n


def period_end(
    rule_or_id: Rule | str,
    start: date | datetime,
    *,
    calendar: Calendar | None = None,
    excluded_days: int = 0,
) -> PeriodEnd:
    """The end of a forward period triggered on ``start``.

    The start day is not counted. Calendar-day periods end ``figure + excluded_days`` days later,
    moved to the next working day when that day is a rest day; working-day periods end on the
    ``figure + excluded_days``-th working day after ``start``. ``excluded_days`` (in the rule's
    unit) is time the law does not count (an objection's reply period, expert review).
    """
    r = rule(rule_or_id)
    if r.direction != "forward":
        raise ValueError(f"rule {r.id} is not counted forward from an event; use latest_start_before")
    cal = _calendar(calendar)
    first = as_day(start, "start")
    days = r.days + _count(excluded_days, "excluded_days")
    if r.unit == "working":
        nominal = end = cal.add_working_days(first, days)
    else:
        nominal = first + timedelta(days=days)
        end = cal.next_working_day(nominal)
    return PeriodEnd(end, end_of_day(end), cal.any_provisional(first, end), nominal)


def latest_start_before(
    rule_or_id: Rule | str, deadline: date | datetime, *, calendar: Calendar | None = None
) -> PeriodEnd:
    """The last day on which an act is in time under a backward rule ("N days before the deadline").

    The deadline day is not counted; the result never moves for rest days.
    """
    r = rule(rule_or_id)
    if r.direction != "backward":
        raise ValueError(f"rule {r.id} is not counted back from a deadline; use period_end")
    cal = _calendar(calendar)
    last = as_day(deadline, "deadline")
    day = cal.subtract_working_days(last, r.days) if r.unit == "working" else last - timedelta(days=r.days)
    return PeriodEnd(day, end_of_day(day), cal.any_provisional(day, last), day)


def deadline_for(
    rule_or_id: Rule | str,
    event: date | datetime,
    *,
    calendar: Calendar | None = None,
    excluded_days: int = 0,
) -> PeriodEnd:
    """The deadline a period rule sets from ``event``: :func:`period_end` for a forward rule
    (reply, refund, complaint, contract), :func:`latest_start_before` for a backward one."""
    r = rule(rule_or_id)
    if r.direction == "backward":
        if excluded_days:
            raise ValueError("excluded_days applies to forward periods only")
        return latest_start_before(r, event, calendar=calendar)
    return period_end(r, event, calendar=calendar, excluded_days=excluded_days)


# --------------------------------------------------------------------------------------------
# Evaluators: one per `check` of the data file


def _iso(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def _figure_text(r: Rule) -> str:
    return "" if r.figure is None else str(r.figure)


def _violation(
    r: Rule,
    params: Mapping[str, Any] | None = None,
    *,
    provisional: bool = False,
    limit: date | int | None = None,
    actual: date | datetime | int | None = None,
) -> Violation:
    values = {"figure": _figure_text(r), **{k: _iso(v) for k, v in (params or {}).items()}}
    return Violation(
        rule_id=r.id,
        regime=r.regime,
        effect=r.effect,
        title=r.title,
        article=r.article,
        message=Text(zh=r.message.zh, en=r.message.en, params=values),
        provisional=provisional,
        limit=limit,
        actual=actual,
    )


def _day(facts: Mapping[str, Any], key: str) -> date:
    return as_day(facts[key], key)


def _opt_day(facts: Mapping[str, Any], key: str) -> date | None:
    value = facts.get(key)
    return None if value is None else as_day(value, key)


def _int(facts: Mapping[str, Any], key: str) -> int:
    return _count(facts[key], key)


def _flag(facts: Mapping[str, Any], key: str) -> bool:
    value = facts[key]
    if not isinstance(value, bool):
        raise TypeError(f"{key} must be true or false, not {value!r}")
    return value


Checker = Callable[[Rule, Mapping[str, Any], Calendar], Violation | None]


@dataclass(frozen=True)
class _Check:
    func: Checker
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    flag_facts: bool = False  # the fact names come from options.flags (and options.when)

    def names(self, r: Rule) -> tuple[set[str], set[str]]:
        if self.flag_facts:
            required = set(r.options.get("flags") or ())
            optional = {r.options["when"]} if r.options.get("when") else set()
            return required | optional, set()
        return set(self.required), set(self.optional)

    def fact_problem(self, r: Rule, facts: Mapping[str, Any]) -> str | None:
        required, optional = self.names(r)
        if self.flag_facts and not required:
            return "options.flags must name at least one fact"
        missing = sorted(required - set(facts))
        unknown = sorted(set(facts) - required - optional)
        if missing or unknown:
            return f"facts for check {r.check}: missing {missing}, unknown {unknown}"
        return None


def _period_at_least(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    event, act = _day(facts, "event"), _day(facts, "act")
    end = period_end(r, event, calendar=cal)
    if act >= end.date:
        return None
    provisional = end.provisional or cal.any_provisional(event, act)
    params = {"event": event, "limit": end.date, "actual": act}
    return _violation(r, params, provisional=provisional, limit=end.date, actual=act)


def _period_within(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    event, act = _day(facts, "event"), _day(facts, "act")
    excluded = _count(facts.get("excluded_days", 0), "excluded_days")
    end = period_end(r, event, calendar=cal, excluded_days=excluded)
    if act <= end.date:
        return None
    params = {"event": event, "limit": end.date, "actual": act, "excluded": excluded}
    return _violation(r, params, provisional=end.provisional, limit=end.date, actual=act)


def _before_deadline(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    deadline, act = facts["deadline"], _day(facts, "act")
    last = latest_start_before(r, deadline, calendar=cal)
    if act <= last.date:
        return None
    params = {"deadline": deadline, "limit": last.date, "actual": act}
    return _violation(r, params, provisional=last.provisional, limit=last.date, actual=act)


def _objection_suspends(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    deadline = facts["deadline"]
    raised, replied = _day(facts, "raised"), _opt_day(facts, "replied")
    last = latest_start_before(r, deadline, calendar=cal)
    if raised > last.date:
        return None  # out of time: no suspension (see the window rule)
    deadline_day = as_day(deadline, "deadline")
    if replied is not None and replied <= deadline_day:
        return None
    params = {"deadline": deadline, "raised": raised, "replied": replied, "limit": last.date}
    return _violation(r, params, provisional=last.provisional, limit=replied, actual=deadline_day)


def _objection_in_publicity(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    start, end = _day(facts, "publicity_start"), _day(facts, "publicity_end")
    raised, replied = _day(facts, "raised"), _opt_day(facts, "replied")
    next_step = _day(facts, "next_step")
    if not start <= raised <= end:
        return None
    if replied is not None and replied <= next_step:
        return None
    params = {
        "publicity_start": start,
        "publicity_end": end,
        "raised": raised,
        "replied": replied,
        "next_step": next_step,
    }
    return _violation(r, params, limit=replied, actual=next_step)


def _percent_limit(base_fen: int, percent: int | Decimal) -> int:
    return math.floor(Fraction(base_fen) * Fraction(str(percent)) / 100)


def _percent_at_most(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    base, amount = _int(facts, "base_fen"), _int(facts, "amount_fen")
    assert r.figure is not None
    limit = _percent_limit(base, r.figure)
    if amount <= limit:
        return None
    params = {"base": _yuan(base), "amount": _yuan(amount), "limit": _yuan(limit)}
    return _violation(r, params, limit=limit, actual=amount)


def _min_experts(r: Rule, size: int) -> int:
    share = r.options.get("experts_share") or [0, 1]
    numerator, denominator = int(share[0]), int(share[1])
    return -(-size * numerator // denominator)


def _committee(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    size, experts = _int(facts, "size"), _int(facts, "experts")
    if experts > size:
        raise ValueError(f"experts ({experts}) cannot outnumber the members ({size})")
    assert isinstance(r.figure, int)
    needed = _min_experts(r, size)
    odd_ok = size % 2 == 1 or not r.options.get("odd")
    if size >= r.figure and odd_ok and experts >= needed:
        return None
    params = {"size": size, "experts": experts, "min_experts": needed}
    return _violation(r, params, limit=r.figure, actual=size)


def _count_at_least(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    count = _int(facts, "count")
    assert isinstance(r.figure, int)
    return None if count >= r.figure else _violation(r, {"count": count}, limit=r.figure, actual=count)


def _count_at_most(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    count = _int(facts, "count")
    assert isinstance(r.figure, int)
    return None if count <= r.figure else _violation(r, {"count": count}, limit=r.figure, actual=count)


def _aware(value: object, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")
    return value


def _same_instant(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    deadline, opening = _aware(facts["deadline"], "deadline"), _aware(facts["opening"], "opening")
    if deadline == opening:
        return None
    return _violation(r, {"deadline": deadline, "opening": opening}, actual=opening)


def _required_flags(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    when = r.options.get("when")
    if when and not _flag(facts, when):
        return None
    if all(_flag(facts, name) for name in r.options["flags"]):
        return None
    return _violation(r)


def _forbidden_flags(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    if not any(_flag(facts, name) for name in r.options["flags"]):
        return None
    return _violation(r)


def _forbidden_value(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    value = facts["value"]
    return _violation(r, {"value": value}) if value in (r.options.get("values") or ()) else None


def _same_value(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    expected, actual = facts["expected"], facts["actual"]
    return (
        None if expected == actual else _violation(r, {"expected": expected, "actual": actual}, actual=actual)
    )


def _deposit_source(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    form = facts["form"]
    if form in (r.options.get("forms") or ()) and not _flag(facts, "from_basic_account"):
        return _violation(r, {"form": form})
    return None


def _first_ranked(r: Rule, facts: Mapping[str, Any], cal: Calendar) -> Violation | None:
    rank = _int(facts, "awarded_rank")
    if rank < 1:
        raise ValueError("awarded_rank starts at 1")
    if not _flag(facts, "state_controlled") or rank == 1 or _flag(facts, "first_ranked_excused"):
        return None
    return _violation(r, {"rank": rank}, actual=rank)


_CHECKS: dict[str, _Check] = {
    "period_at_least": _Check(_period_at_least, ("event", "act")),
    "period_within": _Check(_period_within, ("event", "act"), ("excluded_days",)),
    "before_deadline": _Check(_before_deadline, ("deadline", "act")),
    "objection_suspends": _Check(_objection_suspends, ("deadline", "raised", "replied")),
    "objection_in_publicity": _Check(
        _objection_in_publicity, ("publicity_start", "publicity_end", "raised", "replied", "next_step")
    ),
    "percent_at_most": _Check(_percent_at_most, ("base_fen", "amount_fen")),
    "committee": _Check(_committee, ("size", "experts")),
    "count_at_least": _Check(_count_at_least, ("count",)),
    "count_at_most": _Check(_count_at_most, ("count",)),
    "same_instant": _Check(_same_instant, ("deadline", "opening")),
    "required_flags": _Check(_required_flags, flag_facts=True),
    "forbidden_flags": _Check(_forbidden_flags, flag_facts=True),
    "forbidden_value": _Check(_forbidden_value, ("value",)),
    "same_value": _Check(_same_value, ("expected", "actual")),
    "deposit_source": _Check(_deposit_source, ("form", "from_basic_account")),
    "first_ranked": _Check(_first_ranked, ("state_controlled", "awarded_rank", "first_ranked_excused")),
}


def evaluate(
    rule_or_id: Rule | str, facts: Mapping[str, Any], *, calendar: Calendar | None = None
) -> Violation | None:
    """Apply one rule to the facts its ``check`` needs (see docs/statutory.md); ``None`` when
    the facts comply. Raises ``ValueError`` naming missing or unknown facts."""
    r = rule(rule_or_id)
    spec = _CHECKS[r.check]
    problem = spec.fact_problem(r, facts)
    if problem:
        raise ValueError(f"rule {r.id}: {problem}")
    return spec.func(r, facts, _calendar(calendar))


# --------------------------------------------------------------------------------------------
# Helpers later contexts call


def _regime_rule(regime: str, tendering: str, procurement: str) -> Rule:
    _check_regime(regime)
    return rule(tendering if regime == "tendering" else procurement)


def deposit_limit_fen(estimated_fen: int, regime: str) -> int:
    """The largest bid deposit in fen: T15 (2% of the estimated price) or G3 (2% of the budget)."""
    r = _regime_rule(regime, "T15", "G3")
    assert r.figure is not None
    return _percent_limit(_count(estimated_fen, "estimated_fen"), r.figure)


def performance_bond_limit_fen(contract_fen: int) -> int:
    """The largest performance bond in fen (T19: 10% of the contract price)."""
    r = rule("T19")
    assert r.figure is not None
    return _percent_limit(_count(contract_fen, "contract_fen"), r.figure)


def _committee_rule(regime: str, method: str) -> Rule:
    _check_regime(regime)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if regime == "tendering":
        return rule("T9")
    for candidate in ("G10", "G10.group"):
        if method in rule(candidate).options.get("methods", ()):
            return rule(candidate)
    raise ValueError(f"no evaluation-body rule for the procurement method {method!r}")


def committee_violations(
    size: int, experts: int, *, regime: str = "tendering", method: str = "open"
) -> list[Violation]:
    """The composition rules an evaluation committee or group breaks (T9, G10, G10.group)."""
    found = evaluate(_committee_rule(regime, method), {"size": size, "experts": experts})
    return [found] if found else []


def committee_ok(size: int, experts: int, *, regime: str = "tendering", method: str = "open") -> bool:
    return not committee_violations(size, experts, regime=regime, method=method)


def enough_bidders(count: int) -> bool:
    """T7: at least 3 bids received by the deadline, else no opening."""
    return evaluate("T7", {"count": count}) is None


def candidates_ok(count: int) -> bool:
    """T10: at most 3 ranked candidates."""
    return evaluate("T10", {"count": count}) is None


def opening_time_ok(deadline: datetime, opening: datetime) -> bool:
    """T8: the opening is at the bid deadline's instant."""
    return evaluate("T8", {"deadline": deadline, "opening": opening}) is None


def objection_in_time(
    deadline: date | datetime,
    raised: date | datetime,
    *,
    prequalification: bool = False,
    calendar: Calendar | None = None,
) -> bool:
    """T5.window / T5.prequal_window: whether an objection to the documents is in time."""
    window = "T5.prequal_window" if prequalification else "T5.window"
    return as_day(raised, "raised") <= latest_start_before(window, deadline, calendar=calendar).date


def tendering_complaint_deadline(
    knew_on: date | datetime,
    *,
    objection_raised: date | None = None,
    objection_replied: date | None = None,
    calendar: Calendar | None = None,
) -> PeriodEnd:
    """T20: the last day to complain, 10 days from knowing, not counting the days an objection
    waited for its reply (from the day after it was raised to the reply day)."""
    excluded = 0
    if objection_raised is not None:
        if objection_replied is None:
            raise ValueError("the complaint period does not run while the objection awaits its reply")
        if objection_replied < objection_raised:
            raise ValueError("the objection cannot be answered before it was raised")
        excluded = (objection_replied - objection_raised).days
    return period_end("T20", knew_on, calendar=calendar, excluded_days=excluded)


def procurement_complaint_deadline(
    challenge_received: date | datetime, *, calendar: Calendar | None = None
) -> PeriodEnd:
    """G5: the last day to complain, 15 working days after the 7-working-day reply period of a
    challenge received on ``challenge_received`` (G4.reply) ends."""
    reply_period = period_end("G4.reply", challenge_received, calendar=calendar)
    later = period_end("G5", reply_period.date, calendar=calendar)
    return PeriodEnd(later.date, later.instant, later.provisional or reply_period.provisional, later.nominal)


# --------------------------------------------------------------------------------------------
# Timelines


@dataclass(frozen=True)
class Clarification:
    """A clarification or amendment of the tender (or prequalification) documents."""

    issued: date
    affects_preparation: bool = True
    prequalification: bool = False


@dataclass(frozen=True)
class Objection:
    """An objection (异议): to the documents, the prequalification documents, or the result."""

    raised: date
    replied: date | None = None
    stage: Literal["documents", "prequalification", "result"] = "documents"


@dataclass(frozen=True)
class Timeline:
    """A proposed (or actual) tender timeline. Every field is optional; a rule is checked when
    the fields it needs are given. Days are Asia/Shanghai calendar days; instants
    (``bid_deadline``, ``opening``, ``prequalification_deadline``) are aware datetimes.
    Money is integer fen; ``estimated_price_fen`` is the estimated price (估算价) under the
    tendering law and the budget (预算金额) in government procurement."""

    method: str = "open"
    documents_issued: date | None = None
    documents_sale_end: date | None = None
    prequalification_issued: date | None = None
    prequalification_sale_end: date | None = None
    prequalification_deadline: datetime | None = None
    objection_deadline: date | None = None
    clarifications: tuple[Clarification, ...] = ()
    objections: tuple[Objection, ...] = ()
    bid_deadline: datetime | None = None
    opening: datetime | None = None
    bid_validity_days: int | None = None
    deposit_validity_days: int | None = None
    estimated_price_fen: int | None = None
    deposit_fen: int | None = None
    deposit_form: str | None = None
    bidders: int | None = None
    committee_size: int | None = None
    committee_experts: int | None = None
    candidates: int | None = None
    evaluation_finished: date | None = None
    report_received: date | None = None
    publicity_start: date | None = None
    publicity_end: date | None = None
    winner_fixed: date | None = None
    award_notice: date | None = None
    contract_signed: date | None = None
    supervisor_report: date | None = None
    contract_filed: date | None = None
    contract_price_fen: int | None = None
    performance_bond_fen: int | None = None
    single_source_publicity_start: date | None = None
    single_source_publicity_end: date | None = None

    def days(self) -> list[date]:
        """Every day the timeline names (instants read in Asia/Shanghai)."""
        found: list[date] = []
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, date):
                found.append(as_day(value, name))
        found += [c.issued for c in self.clarifications]
        found += [o.raised for o in self.objections]
        found += [o.replied for o in self.objections if o.replied is not None]
        return found


class _TimelineCheck:
    """Collects the violations of one timeline; each rule is applied only when in force."""

    def __init__(self, timeline: Timeline, regime: str, cal: Calendar, on: date | None) -> None:
        self.t = timeline
        self.regime = regime
        self.cal = cal
        self.on = on
        days = timeline.days()
        self.first_day = min(days) if days else None
        self.found: list[Violation] = []

    def apply(self, rule_id: str, act_day: date | None, facts: Mapping[str, Any]) -> None:
        r = rule(rule_id)
        reference = self.on or act_day or self.first_day
        if reference is not None and not r.applies_on(reference):
            return
        found = evaluate(r, facts, calendar=self.cal)
        if found is not None:
            self.found.append(found)

    def period(self, rule_id: str, event: date | datetime | None, act: date | datetime | None) -> None:
        if event is not None and act is not None:
            self.apply(rule_id, as_day(event), {"event": event, "act": act})


def check_timeline(
    timeline: Timeline,
    *,
    regime: str,
    calendar: Calendar | None = None,
    on: date | None = None,
) -> list[Violation]:
    """Every statutory rule the timeline breaks (or triggers, for ``extend``/``suspend``), in
    rule order. ``on`` is the day the rules are judged for (``effective_from``); by default each
    rule is judged on the day of its own triggering event. Empty when the timeline complies."""
    _check_regime(regime)
    if timeline.method not in METHODS:
        raise ValueError(f"unknown method {timeline.method!r}; expected one of {', '.join(METHODS)}")
    job = _TimelineCheck(timeline, regime, _calendar(calendar), on)
    if regime == "tendering":
        _tendering(job)
    else:
        _procurement(job)
    order = {rid: i for i, rid in enumerate(rules())}
    return sorted(job.found, key=lambda v: order[v.rule_id])


def _clarifications(job: _TimelineCheck, rule_id: str, prequal_rule_id: str | None) -> None:
    t = job.t
    for c in t.clarifications:
        if not c.affects_preparation:
            continue
        if c.prequalification:
            if prequal_rule_id and t.prequalification_deadline is not None:
                job.apply(
                    prequal_rule_id, c.issued, {"deadline": t.prequalification_deadline, "act": c.issued}
                )
        elif t.bid_deadline is not None:
            job.apply(rule_id, c.issued, {"deadline": t.bid_deadline, "act": c.issued})


def _money(job: _TimelineCheck, deposit_rule: str) -> None:
    t = job.t
    if t.estimated_price_fen is not None and t.deposit_fen is not None:
        job.apply(deposit_rule, None, {"base_fen": t.estimated_price_fen, "amount_fen": t.deposit_fen})


def _tendering(job: _TimelineCheck) -> None:
    t = job.t
    job.period("T1", t.documents_issued, t.bid_deadline)
    job.period("T2", t.documents_issued, t.documents_sale_end)
    job.period("T2", t.prequalification_issued, t.prequalification_sale_end)
    job.period("T3", t.prequalification_sale_end, t.prequalification_deadline)
    _clarifications(job, "T4", "T4.prequal")
    if t.objection_deadline is not None and t.bid_deadline is not None:
        job.apply(
            "T5.window", t.objection_deadline, {"deadline": t.bid_deadline, "act": t.objection_deadline}
        )
    for o in t.objections:
        if o.stage == "result":
            if t.publicity_start is not None and t.publicity_end is not None and t.award_notice is not None:
                job.apply(
                    "T11",
                    o.raised,
                    {
                        "publicity_start": t.publicity_start,
                        "publicity_end": t.publicity_end,
                        "raised": o.raised,
                        "replied": o.replied,
                        "next_step": t.award_notice,
                    },
                )
            job.period("T11.reply", o.raised, o.replied)
            continue
        deadline = t.prequalification_deadline if o.stage == "prequalification" else t.bid_deadline
        if deadline is not None:
            rid = "T5.prequal" if o.stage == "prequalification" else "T5"
            job.apply(rid, o.raised, {"deadline": deadline, "raised": o.raised, "replied": o.replied})
        job.period("T5.reply", o.raised, o.replied)
    if t.bid_deadline is not None and t.opening is not None:
        job.apply("T8", as_day(t.opening), {"deadline": t.bid_deadline, "opening": t.opening})
    if t.bid_validity_days is not None and t.deposit_validity_days is not None:
        job.apply("T15.validity", None, {"expected": t.bid_validity_days, "actual": t.deposit_validity_days})
    _money(job, "T15")
    if t.bidders is not None:
        job.apply("T7", None, {"count": t.bidders})
    if t.committee_size is not None and t.committee_experts is not None:
        job.apply("T9", None, {"size": t.committee_size, "experts": t.committee_experts})
    if t.candidates is not None:
        job.apply("T10", None, {"count": t.candidates})
    job.period("T11.start", t.report_received, t.publicity_start)
    job.period("T11.duration", t.publicity_start, t.publicity_end)
    job.period("T13", t.award_notice, t.contract_signed)
    job.period("T14", t.winner_fixed, t.supervisor_report)
    if t.contract_price_fen is not None and t.performance_bond_fen is not None:
        job.apply("T19", None, {"base_fen": t.contract_price_fen, "amount_fen": t.performance_bond_fen})


def _procurement(job: _TimelineCheck) -> None:
    t = job.t
    if t.method in TENDER_METHODS:
        job.period("G1", t.documents_issued, t.bid_deadline)
        job.period("G2", t.documents_issued, t.documents_sale_end)
        _clarifications(job, "G2.clarification", None)
    _money(job, "G3")
    if t.deposit_form is not None:
        job.apply("G3.form", None, {"value": t.deposit_form})
    if t.committee_size is not None and t.committee_experts is not None and t.method != "single_source":
        body = _committee_rule("procurement", t.method)
        job.apply(body.id, None, {"size": t.committee_size, "experts": t.committee_experts})
    job.period("G6", t.evaluation_finished, t.report_received)
    job.period("G6.award", t.report_received, t.winner_fixed)
    job.period("G6.notice", t.winner_fixed, t.award_notice)
    job.period("G7", t.award_notice, t.contract_signed)
    job.period("G7.filing", t.contract_signed, t.contract_filed)
    if t.method == "single_source":
        job.period("G8", t.single_source_publicity_start, t.single_source_publicity_end)
