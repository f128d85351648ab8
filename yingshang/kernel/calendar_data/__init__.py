"""Data shipped with the working-day calendar. Pure: no Django.

- ``notices.json``: each seeded year's State Council notice (number, date, verification note);
- ``example-2027.json``: an *example* notice file in the ``yingshang calendar load`` format, for
  the docs and tests; it is invented, marked ``"example": true``, and never loaded by default;
- :func:`seed_notices`: the notices of every year the installed ``chinesecalendar`` package knows,
  with their days taken from its tables. The data migration stores exactly these, and
  :func:`builtin_calendar` builds a :class:`~yingshang.kernel.calendar.Calendar` from them for
  code that runs without a database.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path
from typing import Any

from yingshang.kernel.calendar import MAKEUP_WORKING, REST, Calendar, DayRule, Notice

DATA_DIR = Path(__file__).resolve().parent
NOTICES_FILE = DATA_DIR / "notices.json"
EXAMPLE_FILE = DATA_DIR / "example-2027.json"

# chinesecalendar names its holidays in English; the notices use these Chinese names.
CHINESECALENDAR_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def notice_title(year: int) -> str:
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


@functools.cache
def notice_metadata() -> dict[int, dict[str, Any]]:
    """``notices.json`` by year."""
    with NOTICES_FILE.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return {int(item["year"]): item for item in data["notices"]}


def notice_year_of(day: date, holiday: str) -> int:
    """The year whose notice set ``day``: New Year's breaks reach into the December before."""
    if day.month == 12 and holiday == "元旦":
        return day.year + 1
    return day.year


def chinesecalendar_days() -> dict[date, DayRule]:
    """Every exception in ``chinesecalendar``'s tables: holiday days (weekends included, for
    their names) as rest days, and make-up working days."""
    from chinese_calendar import constants

    days: dict[date, DayRule] = {}
    for day, name in constants.holidays.items():
        days[day] = DayRule(REST, CHINESECALENDAR_NAMES.get(name, name))
    for day, name in constants.workdays.items():
        days[day] = DayRule(MAKEUP_WORKING, CHINESECALENDAR_NAMES.get(name, name))
    return days


def chinesecalendar_years() -> range:
    """The years ``chinesecalendar`` has tables for."""
    from chinese_calendar import constants

    return range(min(constants.holidays).year, max(constants.holidays).year + 1)


def seed_notices() -> list[Notice]:
    """One :class:`Notice` per year ``chinesecalendar`` knows, its days from the package and its
    metadata from ``notices.json``. A year missing from ``notices.json`` gets an empty number and
    ``verified=False`` (a test fails until the file gives it its notice)."""
    metadata = notice_metadata()
    by_year: dict[int, dict[date, DayRule]] = {year: {} for year in chinesecalendar_years()}
    for day, rule in sorted(chinesecalendar_days().items()):
        by_year.setdefault(notice_year_of(day, rule.holiday), {})[day] = rule
    notices = []
    for year, days in sorted(by_year.items()):
        meta = metadata.get(year, {})
        published = meta.get("published_on")
        notices.append(
            Notice(
                year=year,
                number=meta.get("number", ""),
                published_on=date.fromisoformat(published) if published else None,
                title=meta.get("title", notice_title(year)),
                days=days,
                source_note=meta.get("source_note", "No notice recorded in notices.json."),
                verified=bool(meta.get("verified", False)),
                amendments=tuple(meta.get("amendments", ())),
            )
        )
    return notices


@functools.cache
def builtin_calendar() -> Calendar:
    """The calendar of the seed, without a database (the same days the migration stores)."""
    days: dict[date, DayRule] = {}
    years = []
    for notice in seed_notices():
        days.update(notice.days)
        years.append(notice.year)
    return Calendar(days, years)
