"""The working-day calendar of the People's Republic of China. Pure: no Django.

A :class:`Calendar` is built from per-date exceptions (:class:`DayRule`: a rest day or a make-up
working day, with the holiday's Chinese name) and the set of years whose State Council holiday
notice (国务院办公厅关于××年部分节假日安排的通知) is loaded. Everything else follows:

- a date in a **noticed** year is a working day if it is a make-up working day (调休上班), or a
  weekday that is not a rest day;
- a date in a year **without a notice** is *provisional*, never an error: its rest days follow the
  provisional rule of ``shared/design/LAW.md`` (:func:`provisional_rules`): the weekends, the
  statutory holidays' own days of 全国年节及纪念日放假办法 (2024 revision, lunar dates and the
  Qingming solar term computed), and one weekday off for each holiday day that falls on a
  Saturday or Sunday or on another holiday's day (补假); no make-up working days;
- a date before :data:`FIRST_YEAR` raises :class:`DateBeforeCalendar` (bad input); a date after
  :data:`LAST_YEAR` (the end of the lunar tables) raises :class:`DateBeyondCalendar`.

Per-year answers are computed lazily once and kept as a byte per day plus a prefix sum of
working days, so ``add_working_days`` over hundreds of days is a few bisections.

The module-level shortcuts (:func:`is_working_day`, :func:`add_working_days`, ...) use the
default calendar: the one given to :func:`set_default_calendar`, else the one a provider
installed with :func:`set_default_provider` returns (the kernel app installs the database-backed
calendar of ``yingshang.kernel.calendar_store``), else the built-in calendar seeded from the
``chinesecalendar`` package (:func:`yingshang.kernel.calendar_data.builtin_calendar`).

The JSON format of a year's notice (``yingshang calendar load FILE``) is parsed and validated
here too (:func:`parse_notice`), so its messages are the same everywhere; see ``docs/calendar.md``.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from yingshang.kernel.text import Text

__all__ = [
    "FIRST_YEAR",
    "HOLIDAY_NAMES",
    "LAST_YEAR",
    "MAKEUP_WORKING",
    "REST",
    "Calendar",
    "CalendarRangeError",
    "DateBeforeCalendar",
    "DateBeyondCalendar",
    "Day",
    "DayRule",
    "Notice",
    "NoticeFileError",
    "add_working_days",
    "get_default_calendar",
    "is_provisional",
    "is_rest_day",
    "is_working_day",
    "next_working_day",
    "parse_notice",
    "parse_notice_json",
    "provisional_rules",
    "qingming",
    "set_default_calendar",
    "set_default_provider",
    "spring_festival_eve",
    "subtract_working_days",
    "use_calendar",
    "working_days_between",
]

FIRST_YEAR = 2004
"""The first year of the calendar: the first year the ``chinesecalendar`` seed knows."""
LAST_YEAR = 2099
"""The last year the provisional rule can compute (the lunar tables of ``lunardate`` end here)."""

REST: Literal["rest"] = "rest"
MAKEUP_WORKING: Literal["makeup_working"] = "makeup_working"
DayKind = Literal["rest", "makeup_working"]

# The statutory holidays' Chinese names as the State Council's notices write them.
NEW_YEAR = "元旦"
SPRING_FESTIVAL = "春节"
QINGMING = "清明节"
LABOUR_DAY = "劳动节"
DRAGON_BOAT = "端午节"
MID_AUTUMN = "中秋节"
NATIONAL_DAY = "国庆节"
HOLIDAY_NAMES = (NEW_YEAR, SPRING_FESTIVAL, QINGMING, LABOUR_DAY, DRAGON_BOAT, MID_AUTUMN, NATIONAL_DAY)
SUBSTITUTE_SUFFIX = "补假"

_ONE_DAY = timedelta(days=1)


# --------------------------------------------------------------------------------------------
# Errors


class CalendarRangeError(ValueError):
    """A date the calendar cannot answer for. ``text`` is the bilingual message."""

    zh = ""
    en = ""

    def __init__(self, day: date, year: int) -> None:
        self.date = day
        self.text = Text(zh=self.zh, en=self.en, params={"date": day.isoformat(), "year": year})
        super().__init__(self.text.render("en"))

    def __str__(self) -> str:
        return str(self.text)


class DateBeforeCalendar(CalendarRangeError):
    """The date lies before the calendar's first year: bad input, not a provisional year."""

    zh = "日期 %(date)s 早于工作日历的起始年份（%(year)s 年），无法计算工作日。"
    en = "The date %(date)s is before the first year of the working-day calendar (%(year)s)."


class DateBeyondCalendar(CalendarRangeError):
    """The date lies after the last year whose lunar dates can be computed."""

    zh = "日期 %(date)s 晚于工作日历可推算的最后一年（%(year)s 年）。"
    en = "The date %(date)s is after the last year the working-day calendar can compute (%(year)s)."


# --------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True, slots=True)
class DayRule:
    """An exception to the weekly rhythm: a rest day or a make-up working day."""

    kind: DayKind
    holiday: str = ""
    """The holiday's Chinese name (元旦, 春节, ...; 国庆节补假 for a provisional substitute day)."""

    def __post_init__(self) -> None:
        if self.kind not in (REST, MAKEUP_WORKING):
            raise ValueError(f"unknown day kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class Day:
    """Everything the calendar says about one date."""

    date: date
    working: bool
    provisional: bool
    kind: Literal["working", "weekend", "rest", "makeup_working"]
    holiday: str = ""


@dataclass(frozen=True, slots=True)
class _Year:
    start_ordinal: int
    working: bytes  # one byte per day of the year: 1 working, 0 rest
    prefix: tuple[int, ...]  # prefix[i] = working days among the first i days of the year
    provisional: bool
    rules: Mapping[date, DayRule]

    @property
    def total(self) -> int:
        return self.prefix[-1]


def _check_date(value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(
            f"expected a datetime.date (a calendar day in Asia/Shanghai), got {type(value).__name__}"
        )
    return value


# --------------------------------------------------------------------------------------------
# The provisional rule


def spring_festival_eve(year: int) -> date:
    """除夕: the day before the first day of the first lunar month that begins in ``year``."""
    from lunardate import LunarDate

    first = LunarDate(year, 1, 1).to_solar_date()
    return first - _ONE_DAY


def qingming(year: int) -> date:
    """The date (Beijing time) of the Qingming solar term (sun at apparent longitude 15°).

    Uses ``chinese_calendar.get_solar_terms`` (the 寿星 formula with its table of corrections).
    The tests cross-check it against an astronomical computation (VSOP87, abridged) for every
    year 2004-2099: both agree, and no Qingming of 2027-2050 falls within 20 minutes of midnight
    Beijing time (the closest later one, 2071, is 10 minutes after it).
    """
    from chinese_calendar import get_solar_terms

    for day, name in get_solar_terms(date(year, 4, 1), date(year, 4, 30)):
        if name == "清明":
            return day
    raise AssertionError(f"no Qingming found in April {year}")  # pragma: no cover


def _lunar(year: int, month: int, day: int) -> date:
    from lunardate import LunarDate

    return LunarDate(year, month, day).to_solar_date()


def statutory_holiday_days(year: int) -> list[tuple[date, str]]:
    """The statutory holidays' own days (全国年节及纪念日放假办法, 2024 revision, art. 2), in order.

    New Year's Day 1 (1 January), Spring Festival 4 (除夕 to 正月初三), Qingming 1 (the solar
    term), Labour Day 2 (1-2 May), Dragon Boat 1 (lunar 5/5), Mid-Autumn 1 (lunar 8/15),
    National Day 3 (1-3 October). A day may appear twice when two holidays coincide.
    """
    eve = spring_festival_eve(year)
    days = [
        (date(year, 1, 1), NEW_YEAR),
        *((eve + timedelta(days=i), SPRING_FESTIVAL) for i in range(4)),
        (qingming(year), QINGMING),
        (date(year, 5, 1), LABOUR_DAY),
        (date(year, 5, 2), LABOUR_DAY),
        (_lunar(year, 5, 5), DRAGON_BOAT),
        (_lunar(year, 8, 15), MID_AUTUMN),
        *((date(year, 10, d), NATIONAL_DAY) for d in (1, 2, 3)),
    ]
    return sorted(days, key=lambda item: item[0])


def provisional_rules(year: int) -> dict[date, DayRule]:
    """The rest days of a year without a notice, as :class:`DayRule` exceptions.

    Every statutory holiday day is a rest day. For each holiday day that falls on a Saturday or
    Sunday (放假办法 art. 6, 补假), or on a day already taken by another holiday (the notices'
    practice, e.g. 2025: "国庆节放假如逢中秋节则合并放假8天"), the next weekday that is not
    already a rest day is off instead, taken in date order. No make-up working days.
    """
    rules: dict[date, DayRule] = {}
    owed: list[tuple[date, str]] = []
    for day, name in statutory_holiday_days(year):
        if day in rules:
            owed.append((day, name))
            rules[day] = DayRule(REST, f"{rules[day].holiday}、{name}")
            continue
        rules[day] = DayRule(REST, name)
        if day.weekday() >= 5:
            owed.append((day, name))
    for day, name in owed:
        candidate = day + _ONE_DAY
        while candidate.weekday() >= 5 or candidate in rules:
            candidate += _ONE_DAY
        rules[candidate] = DayRule(REST, name + SUBSTITUTE_SUFFIX)
    return rules


# --------------------------------------------------------------------------------------------
# The calendar


class Calendar:
    """Working days over per-date exceptions and the set of years with a loaded notice.

    ``days`` holds only exceptions: rest days (on weekdays, and holiday days on weekends, which
    carry the holiday's name) and make-up working days. Weekends are computed. Immutable once
    built; its per-year tables are computed lazily on first use.
    """

    __slots__ = ("_by_year", "_years", "first_year", "last_year", "notice_years")

    def __init__(
        self,
        days: Mapping[date, DayRule] | None = None,
        notice_years: Iterable[int] = (),
        *,
        first_year: int = FIRST_YEAR,
        last_year: int = LAST_YEAR,
    ) -> None:
        self.first_year = first_year
        self.last_year = last_year
        self.notice_years: frozenset[int] = frozenset(notice_years)
        by_year: dict[int, dict[date, DayRule]] = {}
        for day, rule in (days or {}).items():
            _check_date(day)
            if not isinstance(rule, DayRule):
                raise TypeError(f"expected a DayRule for {day}, got {type(rule).__name__}")
            if rule.kind == MAKEUP_WORKING and day.weekday() < 5:
                raise ValueError(f"make-up working day {day} is not a Saturday or Sunday")
            by_year.setdefault(day.year, {})[day] = rule
        self._by_year = by_year
        self._years: dict[int, _Year] = {}

    def __repr__(self) -> str:
        years = sorted(self.notice_years)
        span = f"{years[0]}-{years[-1]}" if years else "none"
        return f"<Calendar notices={span} ({len(years)} years)>"

    @property
    def last_notice_year(self) -> int | None:
        return max(self.notice_years) if self.notice_years else None

    # -- per-year tables ------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        if year < self.first_year:
            raise DateBeforeCalendar(date(year, 12, 31), self.first_year)
        if year > self.last_year:
            raise DateBeyondCalendar(date(year, 1, 1), self.last_year)
        provisional = year not in self.notice_years
        rules: dict[date, DayRule] = provisional_rules(year) if provisional else {}
        rules.update(self._by_year.get(year, {}))
        first = date(year, 1, 1)
        length = (date(year + 1, 1, 1) - first).days
        working = bytearray(length)
        prefix = [0] * (length + 1)
        weekday = first.weekday()
        count = 0
        for i in range(length):
            rule = rules.get(first + timedelta(days=i))
            works = rule.kind == MAKEUP_WORKING if rule is not None else (weekday + i) % 7 < 5
            working[i] = works
            count += works
            prefix[i + 1] = count
        built = _Year(first.toordinal(), bytes(working), tuple(prefix), provisional, rules)
        self._years[year] = built
        return built

    def _locate(self, day: date) -> tuple[_Year, int]:
        _check_date(day)
        if day.year < self.first_year:
            raise DateBeforeCalendar(day, self.first_year)
        if day.year > self.last_year:
            raise DateBeyondCalendar(day, self.last_year)
        year = self._year(day.year)
        return year, day.toordinal() - year.start_ordinal

    # -- questions about one day ----------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        year, i = self._locate(day)
        return bool(year.working[i])

    def is_rest_day(self, day: date) -> bool:
        return not self.is_working_day(day)

    def is_provisional(self, day: date) -> bool:
        """True when ``day`` lies in a year without a loaded notice (computed provisionally)."""
        _check_date(day)
        if day.year < self.first_year:
            raise DateBeforeCalendar(day, self.first_year)
        if day.year > self.last_year:
            raise DateBeyondCalendar(day, self.last_year)
        return day.year not in self.notice_years

    def any_provisional(self, start: date, end: date) -> bool:
        """True when any year from ``start`` to ``end`` (either order) lacks a notice."""
        low, high = sorted((_check_date(start), _check_date(end)))
        self.is_provisional(low)
        self.is_provisional(high)
        return any(y not in self.notice_years for y in range(low.year, high.year + 1))

    def day(self, day: date) -> Day:
        year, i = self._locate(day)
        rule = year.rules.get(day)
        working = bool(year.working[i])
        kind: Literal["working", "weekend", "rest", "makeup_working"]
        kind = rule.kind if rule is not None else "working" if working else "weekend"
        return Day(day, working, year.provisional, kind, rule.holiday if rule else "")

    def exceptions(self, year: int) -> list[Day]:
        """The year's dated exceptions (holiday and substitute days, make-up working days)."""
        table = self._year(year)
        return [self.day(d) for d in sorted(table.rules) if d.year == year]

    # -- arithmetic ---------------------------------------------------------------------------

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        year, i = self._locate(day)
        while True:
            j = year.working.find(1, i)
            if j >= 0:
                return date.fromordinal(year.start_ordinal + j)
            year, i = self._following(year), 0

    def _following(self, year: _Year) -> _Year:
        following = date.fromordinal(year.start_ordinal).year + 1
        if following > self.last_year:
            raise DateBeyondCalendar(date(following, 1, 1), self.last_year)
        return self._year(following)

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``, not counting ``start``. ``n`` >= 0."""
        _check_count(n)
        year, i = self._locate(start)
        if n == 0:
            return start
        target = year.prefix[i + 1] + n  # the wanted cumulative count within ``year``
        while target > year.total:
            target -= year.total
            year = self._following(year)
        # the first day whose cumulative count reaches ``target`` is the wanted working day
        j = bisect_left(year.prefix, target) - 1
        return date.fromordinal(year.start_ordinal + j)

    def subtract_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day before ``start``, not counting ``start``. ``n`` >= 0."""
        _check_count(n)
        year, i = self._locate(start)
        if n == 0:
            return start
        target = year.prefix[i] - n + 1  # the wanted day has cumulative count ``target``
        while target <= 0:
            previous = date.fromordinal(year.start_ordinal).year - 1
            if previous < self.first_year:
                raise DateBeforeCalendar(date(previous, 12, 31), self.first_year)
            year = self._year(previous)
            target += year.total
        j = bisect_left(year.prefix, target) - 1
        return date.fromordinal(year.start_ordinal + j)

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days d with a < d <= b (0 when b <= a)."""
        _check_date(a)
        _check_date(b)
        if b <= a:
            return 0
        year_a, i = self._locate(a)
        year_b, j = self._locate(b)
        if year_a is year_b:
            return year_b.prefix[j + 1] - year_a.prefix[i + 1]
        count = year_a.total - year_a.prefix[i + 1] + year_b.prefix[j + 1]
        for y in range(a.year + 1, b.year):
            count += self._year(y).total
        return count

    def working_days(self, start: date, end: date) -> Iterator[date]:
        """The working days d with start <= d <= end, in order."""
        day = self.next_working_day(start)
        while day <= end:
            yield day
            day = self.add_working_days(day, 1)


def _check_count(n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"the number of working days must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"the number of working days must be 0 or more, got {n}")


# --------------------------------------------------------------------------------------------
# The default calendar and module-level shortcuts


class _Defaults:
    """The process-wide default: an explicit calendar, else a provider, else the built-in one."""

    calendar: Calendar | None = None
    provider: Callable[[], Calendar] | None = None


_defaults = _Defaults()


def set_default_calendar(calendar: Calendar | None) -> None:
    """Make ``calendar`` the default (``None`` goes back to the provider or the built-in one)."""
    if calendar is not None and not isinstance(calendar, Calendar):
        raise TypeError("set_default_calendar expects a Calendar or None")
    _defaults.calendar = calendar


def set_default_provider(provider: Callable[[], Calendar] | None) -> None:
    """Install a function returning the current calendar (the kernel app's database loader)."""
    _defaults.provider = provider


def get_default_calendar() -> Calendar:
    """The calendar the module-level shortcuts use."""
    if _defaults.calendar is not None:
        return _defaults.calendar
    if _defaults.provider is not None:
        return _defaults.provider()
    from yingshang.kernel.calendar_data import builtin_calendar

    return builtin_calendar()


@contextmanager
def use_calendar(calendar: Calendar) -> Iterator[Calendar]:
    """Within the block, the shortcuts use ``calendar`` (for tests and what-if computations)."""
    saved = _defaults.calendar
    set_default_calendar(calendar)
    try:
        yield calendar
    finally:
        _defaults.calendar = saved


def _pick(calendar: Calendar | None) -> Calendar:
    return calendar if calendar is not None else get_default_calendar()


def is_working_day(d: date, *, calendar: Calendar | None = None) -> bool:
    return _pick(calendar).is_working_day(d)


def is_rest_day(d: date, *, calendar: Calendar | None = None) -> bool:
    return _pick(calendar).is_rest_day(d)


def is_provisional(d: date, *, calendar: Calendar | None = None) -> bool:
    return _pick(calendar).is_provisional(d)


def next_working_day(d: date, *, calendar: Calendar | None = None) -> date:
    return _pick(calendar).next_working_day(d)


def add_working_days(start: date, n: int, *, calendar: Calendar | None = None) -> date:
    return _pick(calendar).add_working_days(start, n)


def subtract_working_days(start: date, n: int, *, calendar: Calendar | None = None) -> date:
    return _pick(calendar).subtract_working_days(start, n)


def working_days_between(a: date, b: date, *, calendar: Calendar | None = None) -> int:
    return _pick(calendar).working_days_between(a, b)


# --------------------------------------------------------------------------------------------
# A year's notice, as loaded from JSON


@dataclass(frozen=True)
class Notice:
    """One State Council holiday notice: its metadata and the dated exceptions it sets."""

    year: int
    number: str
    published_on: date | None
    title: str
    days: Mapping[date, DayRule]
    source_note: str = ""
    verified: bool = True
    example: bool = False
    amendments: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


class NoticeFileError(ValueError):
    """A notice file that cannot be loaded; ``errors`` lists every problem as bilingual text."""

    def __init__(self, errors: list[Text]) -> None:
        self.errors = errors
        super().__init__("; ".join(e.render("en") for e in errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


_NOTICE_FIELDS = {
    "year",
    "number",
    "published_on",
    "title",
    "source_note",
    "verified",
    "example",
    "amendments",
    "holidays",
    "makeup_working_days",
}
_REQUIRED_FIELDS = ("year", "number", "published_on", "title", "holidays")


def _err(zh: str, en: str, **params: Any) -> Text:
    return Text(zh=zh, en=en, params=params)


def _in_notice_span(day: date, year: int) -> bool:
    """A notice's dates lie in its year, or in the December before (a New Year's break)."""
    return day.year == year or (day.year == year - 1 and day.month == 12)


class _NoticeParser:
    """Collects every problem of a notice document instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[Text] = []
        self.year: int | None = None
        self.days: dict[date, DayRule] = {}
        self.where: dict[date, str] = {}

    def error(self, zh: str, en: str, **params: Any) -> None:
        self.errors.append(_err(zh, en, **params))

    def iso(self, value: object, where: str) -> date | None:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error(
            "%(where)s：「%(value)s」不是 YYYY-MM-DD 格式的日期。",
            "%(where)s: %(value)r is not a date in the form YYYY-MM-DD.",
            where=where,
            value=value,
        )
        return None

    def name(self, value: object, where: str) -> str | None:
        if isinstance(value, str) and value.strip() and len(value.strip()) <= 64:
            return value.strip()
        self.error(
            "%(where)s：节日名称必须是 1 至 64 个字符的文字。",
            "%(where)s: the holiday name must be text of 1 to 64 characters.",
            where=where,
        )
        return None

    def unknown(self, item: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for key in sorted(set(item) - allowed):
            self.error(
                "%(where)s：未知字段「%(field)s」。",
                "%(where)s: unknown field %(field)r.",
                where=where,
                field=key,
            )

    def place(self, day: date, rule: DayRule, where: str) -> None:
        if self.year is not None and not _in_notice_span(day, self.year):
            self.error(
                "%(where)s：日期 %(date)s 不在 %(year)s 年内（只允许上一年 12 月的元旦假期日期）。",
                "%(where)s: the date %(date)s is outside %(year)s"
                " (only the December before, for New Year's Day, is allowed).",
                where=where,
                date=day.isoformat(),
                year=self.year,
            )
        elif day in self.days:
            self.error(
                "%(where)s：日期 %(date)s 与 %(other)s 重叠。",
                "%(where)s: the date %(date)s overlaps %(other)s.",
                where=where,
                date=day.isoformat(),
                other=self.where[day],
            )
        else:
            self.days[day] = rule
            self.where[day] = where

    def header(self, data: Mapping[str, Any]) -> None:
        for key in sorted(set(data) - _NOTICE_FIELDS):
            self.error("未知字段「%(field)s」。", "Unknown field %(field)r.", field=key)
        for key in _REQUIRED_FIELDS:
            if key not in data:
                self.error("缺少必填字段「%(field)s」。", "Missing required field %(field)r.", field=key)
        year = data.get("year")
        if isinstance(year, int) and not isinstance(year, bool) and FIRST_YEAR <= year <= LAST_YEAR:
            self.year = year
        elif "year" in data:
            self.error(
                "year 必须是 %(first)s 至 %(last)s 之间的整数年份。",
                "year must be a whole year from %(first)s to %(last)s.",
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        for key, zh, en in (
            ("number", "number（文号）不能为空。", "number (the notice number) must not be empty."),
            ("title", "title（标题）不能为空。", "title must not be empty."),
        ):
            if key in data and not (isinstance(data[key], str) and data[key].strip()):
                self.error(zh, en)
        for flag in ("verified", "example"):
            if flag in data and not isinstance(data[flag], bool):
                self.error("%(field)s 必须是 true 或 false。", "%(field)s must be true or false.", field=flag)
        if not isinstance(data.get("source_note", ""), str):
            self.error("source_note 必须是文字。", "source_note must be text.")
        amendments = data.get("amendments", [])
        if not isinstance(amendments, list) or not all(isinstance(a, dict) for a in amendments):
            self.error("amendments 必须是对象列表。", "amendments must be a list of objects.")

    def holidays(self, holidays: object) -> None:
        if not isinstance(holidays, list):
            self.error("holidays 必须是列表。", "holidays must be a list.")
            return
        for index, item in enumerate(holidays, start=1):
            where = f"holidays[{index}]"
            if not isinstance(item, dict):
                self.error("%(where)s 必须是对象。", "%(where)s must be an object.", where=where)
                continue
            self.unknown(item, {"name", "from", "to", "date"}, where)
            name = self.name(item.get("name"), where)
            span = self.span(item, where)
            if span is None or name is None:
                continue
            day, end = span
            while day <= end:
                self.place(day, DayRule(REST, name), where)
                day += _ONE_DAY

    def span(self, item: Mapping[str, Any], where: str) -> tuple[date, date] | None:
        if "date" in item and ("from" in item or "to" in item):
            self.error(
                "%(where)s：请给出 date，或给出 from 和 to，不要同时给出。",
                "%(where)s: give either date, or from and to, not both.",
                where=where,
            )
            return None
        if "date" in item:
            start = end = self.iso(item["date"], where)
        elif "from" in item and "to" in item:
            start, end = self.iso(item["from"], where + ".from"), self.iso(item["to"], where + ".to")
        else:
            self.error(
                "%(where)s：缺少日期：请给出 date，或给出 from 和 to。",
                "%(where)s: missing dates: give date, or from and to.",
                where=where,
            )
            return None
        if start is None or end is None:
            return None
        if end < start:
            self.error(
                "%(where)s：结束日期 %(end)s 早于开始日期 %(start)s。",
                "%(where)s: the end %(end)s is before the start %(start)s.",
                where=where,
                start=start.isoformat(),
                end=end.isoformat(),
            )
            return None
        if (end - start).days > 31:
            self.error(
                "%(where)s：假期超过 31 天，请检查日期。",
                "%(where)s: the break is longer than 31 days; check the dates.",
                where=where,
            )
            return None
        return start, end

    def makeup_days(self, makeups: object) -> None:
        if not isinstance(makeups, list):
            self.error("makeup_working_days 必须是列表。", "makeup_working_days must be a list.")
            return
        for index, raw in enumerate(makeups, start=1):
            where = f"makeup_working_days[{index}]"
            item = {"date": raw} if isinstance(raw, str) else raw
            if not isinstance(item, dict) or "date" not in item:
                self.error(
                    "%(where)s 必须是日期字符串，或含 date（及可选 name）的对象。",
                    "%(where)s must be a date string, or an object with date (and optionally name).",
                    where=where,
                )
                continue
            self.unknown(item, {"date", "name"}, where)
            day = self.iso(item["date"], where)
            name = self.name(item["name"], where) if "name" in item else ""
            if day is None or name is None:
                continue
            if day.weekday() < 5:
                self.error(
                    "%(where)s：调休上班日 %(date)s 不是星期六或星期日。",
                    "%(where)s: the make-up working day %(date)s is not a Saturday or Sunday.",
                    where=where,
                    date=day.isoformat(),
                )
                continue
            self.place(day, DayRule(MAKEUP_WORKING, name), where)


def parse_notice(data: object) -> Notice:
    """Validate a decoded notice document and return the :class:`Notice`; see docs/calendar.md.

    Raises :class:`NoticeFileError` listing every problem: missing or unknown fields, dates that
    are malformed or outside the year (the December before is allowed for New Year's Day),
    ranges that end before they start, a make-up working day that is not a Saturday or Sunday,
    and overlaps (a date given twice, or both off and worked).
    """
    if not isinstance(data, dict):
        raise NoticeFileError(
            [_err("文件内容必须是一个 JSON 对象。", "The file must contain one JSON object.")]
        )
    parser = _NoticeParser()
    parser.header(data)
    published_on = parser.iso(data["published_on"], "published_on") if "published_on" in data else None
    parser.holidays(data.get("holidays", []))
    parser.makeup_days(data.get("makeup_working_days", []))
    year = parser.year
    if year is not None and published_on is not None and published_on >= date(year + 1, 1, 1):
        parser.error(
            "published_on（%(date)s）晚于 %(year)s 年。",
            "published_on (%(date)s) is after %(year)s.",
            date=published_on.isoformat(),
            year=year,
        )
    if parser.errors:
        raise NoticeFileError(parser.errors)
    assert year is not None
    return Notice(
        year=year,
        number=str(data["number"]).strip(),
        published_on=published_on,
        title=str(data["title"]).strip(),
        days=parser.days,
        source_note=data.get("source_note", ""),
        verified=bool(data.get("verified", True)),
        example=bool(data.get("example", False)),
        amendments=tuple(data.get("amendments", ())),
    )


def parse_notice_json(text: str | bytes) -> Notice:
    """Decode JSON text and :func:`parse_notice` it; malformed JSON gives a clear message."""
    try:
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise NoticeFileError([_err("文件不是 UTF-8 编码的文字。", "The file is not UTF-8 text.")]) from exc
    except json.JSONDecodeError as exc:
        raise NoticeFileError(
            [
                _err(
                    "JSON 格式错误（第 %(line)s 行第 %(column)s 列）：%(problem)s。",
                    "Malformed JSON at line %(line)s, column %(column)s: %(problem)s.",
                    line=exc.lineno,
                    column=exc.colno,
                    problem=exc.msg,
                )
            ]
        ) from exc
    return parse_notice(data)
