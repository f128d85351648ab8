"""The pure working-day calendar: no database (the DB-seeded calendar is in test_calendar_db.py)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from typing import Any

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lunardate import LunarDate

from yingshang.kernel import calendar as cal
from yingshang.kernel.calendar import (
    MAKEUP_WORKING,
    REST,
    Calendar,
    DateBeforeCalendar,
    DateBeyondCalendar,
    DayRule,
    NoticeFileError,
)
from yingshang.kernel.calendar_data import (
    EXAMPLE_FILE,
    builtin_calendar,
    chinesecalendar_years,
    notice_metadata,
    seed_notices,
)

BUILTIN = builtin_calendar()
SEEDED_DAYS = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31))
ANY_DAYS = st.dates(min_value=date(2004, 1, 1), max_value=date(2045, 12, 31))
FAST = settings(max_examples=150, deadline=None)


def every_day(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# --- the built-in (chinesecalendar-seeded) calendar ------------------------------------------


def test_builtin_calendar_equals_chinesecalendar_on_every_day_2004_2026():
    wrong = [
        d
        for d in every_day(date(2004, 1, 1), date(2026, 12, 31))
        if BUILTIN.is_working_day(d) != chinese_calendar.is_workday(d)
    ]
    assert wrong == []


def test_seeded_years_are_noticed_and_later_years_provisional():
    assert BUILTIN.notice_years == frozenset(chinesecalendar_years())
    assert not BUILTIN.is_provisional(date(2026, 12, 31))
    assert BUILTIN.is_provisional(date(2027, 1, 1))
    assert cal.is_provisional(date(2030, 6, 1), calendar=BUILTIN)


def test_every_chinesecalendar_year_has_its_notice_in_notices_json():
    metadata = notice_metadata()
    for year in chinesecalendar_years():
        assert year in metadata, f"notices.json lacks {year}"
        assert metadata[year]["number"].startswith(("国办发明电〔", "国发明电〔")), year
        assert date.fromisoformat(metadata[year]["published_on"]).year == year - 1
    assert metadata[2026]["number"] == "国办发明电〔2025〕7号"


def test_new_years_breaks_in_december_belong_to_the_next_years_notice():
    by_year = {n.year: n for n in seed_notices()}
    assert date(2018, 12, 31) in by_year[2019].days
    assert date(2018, 12, 29) in by_year[2019].days  # a Saturday worked for New Year 2019
    assert by_year[2019].days[date(2018, 12, 29)] == DayRule(MAKEUP_WORKING, "元旦")
    assert all(d.year in (n.year, n.year - 1) for n in by_year.values() for d in n.days)
    assert all(d.month == 12 for n in by_year.values() for d in n.days if d.year == n.year - 1)


def test_holiday_names_are_chinese():
    names = {rule.holiday for n in seed_notices() for rule in n.days.values()}
    assert {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"} <= names
    assert all(not name.isascii() for name in names)


# --- answers on known days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working", "kind", "holiday"),
    [
        (date(2025, 10, 1), False, REST, "国庆节"),
        (date(2025, 10, 11), True, MAKEUP_WORKING, "国庆节"),  # a Saturday worked
        (date(2025, 10, 10), True, "working", ""),
        (date(2025, 10, 12), False, "weekend", ""),
        (date(2026, 1, 4), True, MAKEUP_WORKING, "元旦"),
        (date(2015, 9, 3), False, REST, "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"),
    ],
)
def test_day(day, working, kind, holiday):
    info = BUILTIN.day(day)
    assert (info.working, info.kind, info.holiday, info.provisional) == (working, kind, holiday, False)
    assert BUILTIN.is_working_day(day) is working
    assert BUILTIN.is_rest_day(day) is not working


def test_add_working_days_examples():
    # 2025-09-30 (Tue): 1-8 October off, Saturday 11 October worked.
    assert BUILTIN.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert BUILTIN.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    assert BUILTIN.add_working_days(date(2025, 9, 30), 4) == date(2025, 10, 13)
    assert BUILTIN.add_working_days(date(2025, 10, 4), 0) == date(2025, 10, 4)  # n == 0: start itself
    # across a year boundary: 1-3 January 2026 off, Sunday 4 January worked
    assert BUILTIN.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert BUILTIN.add_working_days(date(2025, 12, 31), 2) == date(2026, 1, 5)


def test_add_working_days_rejects_negative_and_non_int():
    with pytest.raises(ValueError, match="0 or more"):
        BUILTIN.add_working_days(date(2025, 1, 1), -1)
    with pytest.raises(TypeError):
        BUILTIN.add_working_days(date(2025, 1, 1), 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        BUILTIN.add_working_days(date(2025, 1, 1), True)


def test_a_datetime_is_refused_where_a_day_is_meant():
    with pytest.raises(TypeError, match="Asia/Shanghai"):
        BUILTIN.is_working_day(datetime(2025, 1, 2, 12, 0))


def test_working_days_between_examples():
    assert BUILTIN.working_days_between(date(2025, 9, 30), date(2025, 10, 11)) == 3
    assert BUILTIN.working_days_between(date(2025, 10, 11), date(2025, 9, 30)) == 0
    assert BUILTIN.working_days_between(date(2025, 10, 9), date(2025, 10, 9)) == 0
    # 2025: 261 weekdays - 18 weekdays off (1 Jan, 28 Jan-4 Feb, 4 Apr, 1-5 May, 2 Jun, 1-8 Oct)
    # + 5 weekend days worked (26 Jan, 8 Feb, 27 Apr, 28 Sep, 11 Oct) = 248
    assert BUILTIN.working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 248


def test_next_working_day():
    assert BUILTIN.next_working_day(date(2025, 10, 1)) == date(2025, 10, 9)
    assert BUILTIN.next_working_day(date(2025, 10, 9)) == date(2025, 10, 9)
    assert BUILTIN.next_working_day(date(2026, 12, 31)) == date(2026, 12, 31)
    assert BUILTIN.next_working_day(date(2027, 1, 1)) == date(2027, 1, 4)  # provisional New Year


def test_subtract_working_days():
    assert BUILTIN.subtract_working_days(date(2025, 10, 9), 1) == date(2025, 9, 30)
    assert BUILTIN.subtract_working_days(date(2025, 10, 13), 2) == date(2025, 10, 10)
    assert BUILTIN.subtract_working_days(date(2025, 1, 2), 1) == date(2024, 12, 31)
    with pytest.raises(DateBeforeCalendar):
        BUILTIN.subtract_working_days(date(2004, 1, 5), 10)


def test_dates_before_the_first_year_are_bad_input_with_a_bilingual_message():
    with pytest.raises(DateBeforeCalendar) as caught:
        BUILTIN.is_working_day(date(2003, 12, 31))
    assert isinstance(caught.value, ValueError)
    assert "2003-12-31" in caught.value.text.render("zh-hans")
    assert "早于工作日历的起始年份" in caught.value.text.render("zh-hans")
    assert "before the first year" in caught.value.text.render("en")
    with pytest.raises(DateBeforeCalendar):
        BUILTIN.working_days_between(date(2003, 12, 1), date(2004, 2, 1))
    with pytest.raises(DateBeforeCalendar):
        cal.is_provisional(date(1999, 1, 1), calendar=BUILTIN)


def test_years_after_the_last_notice_are_provisional_not_errors_up_to_2099():
    assert BUILTIN.is_provisional(date(2099, 12, 31))
    assert isinstance(BUILTIN.is_working_day(date(2099, 12, 31)), bool)
    with pytest.raises(DateBeyondCalendar):
        BUILTIN.is_working_day(date(2100, 1, 1))
    with pytest.raises(DateBeyondCalendar):
        BUILTIN.add_working_days(date(2099, 12, 30), 10)


def test_add_working_days_over_hundreds_of_days_is_fast():
    import time

    started = time.perf_counter()
    for offset in range(2000):
        BUILTIN.add_working_days(date(2026, 1, 1) + timedelta(days=offset % 365), 500)
    assert time.perf_counter() - started < 1.0


# --- the provisional rule ----------------------------------------------------------------------


def test_lunar_dates_of_2027():
    assert cal.spring_festival_eve(2027) == date(2027, 2, 5)
    assert LunarDate(2027, 1, 1).to_solar_date() == date(2027, 2, 6)
    assert cal.qingming(2027) == date(2027, 4, 5)
    assert LunarDate(2027, 5, 5).to_solar_date() == date(2027, 6, 9)
    assert LunarDate(2027, 8, 15).to_solar_date() == date(2027, 9, 15)


def test_provisional_2027():
    rules = cal.provisional_rules(2027)
    rest = {d: r.holiday for d, r in rules.items()}
    assert all(r.kind == REST for r in rules.values())  # no make-up working days
    assert rest[date(2027, 1, 1)] == "元旦"
    # Spring Festival: the eve (Friday 5 Feb) to 正月初三 (Monday 8 Feb); Saturday and Sunday are
    # holiday days on a weekend, so Tuesday 9 and Wednesday 10 are off instead.
    for d in (date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)):
        assert rest[d] == "春节"
    assert rest[date(2027, 2, 9)] == rest[date(2027, 2, 10)] == "春节补假"
    assert date(2027, 2, 11) not in rest
    assert rest[date(2027, 4, 5)] == "清明节"
    # Labour Day: Saturday 1 and Sunday 2 May -> Monday 3 and Tuesday 4 May off
    assert rest[date(2027, 5, 3)] == rest[date(2027, 5, 4)] == "劳动节补假"
    assert rest[date(2027, 6, 9)] == "端午节"
    assert rest[date(2027, 9, 15)] == "中秋节"
    # National Day: Friday 1 to Sunday 3 October -> Monday 4 and Tuesday 5 off
    assert rest[date(2027, 10, 4)] == rest[date(2027, 10, 5)] == "国庆节补假"
    assert date(2027, 10, 6) not in rest
    assert len(rest) == 19


def test_provisional_days_in_the_calendar():
    assert BUILTIN.is_rest_day(date(2027, 2, 10))
    assert BUILTIN.is_working_day(date(2027, 2, 11))
    assert BUILTIN.is_rest_day(date(2027, 2, 13))  # a plain Saturday: no make-up working days
    info = BUILTIN.day(date(2027, 10, 4))
    assert (info.provisional, info.kind, info.holiday) == (True, REST, "国庆节补假")
    # 2027-01-29 (Fri) + 5 working days skips 5 to 10 February
    assert BUILTIN.add_working_days(date(2027, 2, 3), 2) == date(2027, 2, 11)


def test_substitute_days_when_two_holidays_coincide():
    # 2028: Mid-Autumn falls on 3 October, a National Day; Sunday 1 October is also owed.
    rules = cal.provisional_rules(2028)
    assert cal._lunar(2028, 8, 15) == date(2028, 10, 3)
    assert "中秋节" in rules[date(2028, 10, 3)].holiday
    assert rules[date(2028, 10, 4)].holiday.endswith("补假")
    assert rules[date(2028, 10, 5)].holiday.endswith("补假")
    assert date(2028, 10, 6) not in rules


def test_new_years_day_on_a_saturday():
    rules = cal.provisional_rules(2028)  # 1 January 2028 is a Saturday
    assert rules[date(2028, 1, 3)] == DayRule(REST, "元旦补假")


@pytest.mark.parametrize("year", range(2027, 2100))
def test_provisional_rule_invariants(year):
    rules = cal.provisional_rules(year)
    substitutes = [d for d, r in rules.items() if r.holiday.endswith("补假")]
    own = cal.statutory_holiday_days(year)
    # one substitute per holiday day on a weekend or on a day another holiday already took
    seen: set[date] = set()
    owed = 0
    for day, _name in own:
        owed += day.weekday() >= 5 or day in seen
        seen.add(day)
    assert len(substitutes) == owed
    assert all(d.weekday() < 5 for d in substitutes)
    assert len(own) == 13  # 2024 revision: 13 statutory days
    assert all(d.year == year for d in rules)


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_days_are_off_in_the_first_notices_under_the_2024_revision(year):
    for day, name in cal.statutory_holiday_days(year):
        assert not chinese_calendar.is_workday(day), (day, name)
        detail = chinese_calendar.get_holiday_detail(day)[1]
        assert detail is not None
        assert cal.HOLIDAY_NAMES.index(name) >= 0


@pytest.mark.parametrize("year", range(2008, 2027))
def test_qingming_matches_the_notices(year):
    # Qingming has been a holiday since 2008; chinesecalendar's tables come from the notices.
    assert chinese_calendar.get_holiday_detail(cal.qingming(year))[1] == "Tomb-sweeping Day"


# An independent astronomical check of Qingming: the sun's apparent longitude reaches 15°
# (VSOP87 abridged as in Meeus, Astronomical Algorithms ch. 25 and app. III, with nutation and
# aberration; ΔT from Espenak & Meeus). Agrees with known equinoxes to about a minute.
_L0 = [(175347046, 0, 0), (3341656, 4.6692568, 6283.07585), (34894, 4.6261, 12566.1517),
       (3497, 2.7441, 5753.3849), (3418, 2.8289, 3.5231), (3136, 3.6277, 77713.7715),
       (2676, 4.4181, 7860.4194), (2343, 6.1352, 3930.2097), (1324, 0.7425, 11506.7698),
       (1273, 2.0371, 529.691), (1199, 1.1096, 1577.3435), (990, 5.233, 5884.927), (902, 2.045, 26.298),
       (857, 3.508, 398.149), (780, 1.179, 5223.694), (753, 2.533, 5507.553), (505, 4.583, 18849.228),
       (492, 4.205, 775.523), (357, 2.92, 0.067), (317, 5.849, 11790.629), (284, 1.899, 796.298),
       (271, 0.315, 10977.079), (243, 0.345, 5486.778), (206, 4.806, 2544.314), (205, 1.869, 5573.143),
       (202, 2.458, 6069.777), (156, 0.833, 213.299), (132, 3.411, 2942.463), (126, 1.083, 20.775),
       (115, 0.645, 0.98), (103, 0.636, 4694.003), (102, 0.976, 15720.839), (102, 4.267, 7.114),
       (99, 6.21, 2146.17), (98, 0.68, 155.42), (86, 5.98, 161000.69), (85, 1.3, 6275.96),
       (85, 3.67, 71430.7), (80, 1.81, 17260.15), (79, 3.04, 12036.46), (75, 1.76, 5088.63),
       (74, 3.5, 3154.69), (74, 4.68, 801.82), (70, 0.83, 9437.76), (62, 3.98, 8827.39), (61, 1.82, 7084.9),
       (57, 2.78, 6286.6), (56, 4.39, 14143.5), (56, 3.47, 6279.55), (52, 0.19, 12139.55),
       (52, 1.33, 1748.02), (51, 0.28, 5856.48), (49, 0.49, 1194.45), (41, 5.37, 8429.24),
       (41, 2.4, 19651.05), (39, 6.17, 10447.39), (37, 6.04, 10213.29), (37, 2.57, 1059.38),
       (36, 1.71, 2352.87), (36, 1.78, 6812.77), (33, 0.59, 17789.85), (30, 0.44, 83996.85),
       (30, 2.74, 1349.87), (25, 3.16, 4690.48)]  # fmt: skip
_L1 = [(628331966747, 0, 0), (206059, 2.678235, 6283.07585), (4303, 2.6351, 12566.1517), (425, 1.59, 3.523),
       (119, 5.796, 26.298), (109, 2.966, 1577.344), (93, 2.59, 18849.23), (72, 1.14, 529.69),
       (68, 1.87, 398.15), (67, 4.41, 5507.55), (59, 2.89, 5223.69), (56, 2.17, 155.42), (45, 0.4, 796.3),
       (36, 0.47, 775.52), (29, 2.65, 7.11), (21, 5.34, 0.98), (19, 1.85, 5486.78), (19, 4.97, 213.3),
       (17, 2.99, 6275.96), (16, 0.03, 2544.31), (16, 1.43, 2146.17), (15, 1.21, 10977.08),
       (12, 2.83, 1748.02), (12, 3.26, 5088.63), (12, 5.27, 1194.45), (12, 2.08, 4694.0),
       (11, 0.77, 553.57), (10, 1.3, 6286.6), (10, 4.24, 1349.87), (9, 2.7, 242.73), (9, 5.64, 951.72),
       (8, 5.3, 2352.87), (6, 2.65, 9437.76), (6, 4.67, 4690.48)]  # fmt: skip
_L2 = [(52919, 0, 0), (8720, 1.0721, 6283.0758), (309, 0.867, 12566.152), (27, 0.05, 3.52), (16, 5.19, 26.3),
       (16, 3.68, 155.42), (10, 0.76, 18849.23), (9, 2.06, 77713.77), (7, 0.83, 775.52), (5, 4.66, 1577.34),
       (4, 1.03, 7.11), (4, 3.44, 5573.14), (3, 5.14, 796.3), (3, 6.05, 5507.55), (3, 1.19, 242.73),
       (3, 6.12, 529.69), (3, 0.31, 398.15), (3, 2.28, 553.57), (2, 4.38, 5223.69), (2, 3.75, 0.98)]  # fmt: skip
_L3 = [(289, 5.844, 6283.076), (35, 0, 0), (17, 5.49, 12566.15), (3, 5.2, 155.42), (1, 4.72, 3.52),
       (1, 5.3, 18849.23), (1, 5.97, 242.73)]  # fmt: skip
_L4 = [(114, 3.142, 0), (8, 4.13, 6283.08), (1, 3.84, 12566.15)]
_L5 = [(1, 3.14, 0)]
_SERIES: list[list[Any]] = [_L0, _L1, _L2, _L3, _L4, _L5]


def _apparent_solar_longitude(jde: float) -> float:
    tau = (jde - 2451545.0) / 365250.0
    heliocentric = 0.0
    for power, series in enumerate(_SERIES):
        heliocentric += sum(a * math.cos(b + c * tau) for a, b, c in series) * tau**power
    t = tau * 10
    omega = math.radians(125.04452 - 1934.136261 * t)
    sun = math.radians(280.4665 + 36000.7698 * t)
    moon = math.radians(218.3165 + 481267.8813 * t)
    nutation = (
        -17.20 * math.sin(omega)
        - 1.32 * math.sin(2 * sun)
        - 0.23 * math.sin(2 * moon)
        + 0.21 * math.sin(2 * omega)
    )
    return (math.degrees(heliocentric / 1e8) + 180 + (nutation - 20.4898 - 0.09033) / 3600) % 360


def _delta_t_seconds(year: float) -> float:
    t = year - 2000
    if year < 2005:
        return (
            63.86
            + 0.3345 * t
            - 0.060374 * t**2
            + 0.0017275 * t**3
            + 0.000651814 * t**4
            + 0.00002373599 * t**5
        )
    if year < 2050:
        return 62.92 + 0.32217 * t + 0.005589 * t**2
    u = (year - 1820) / 100
    return -20 + 32 * u**2 - 0.5628 * (2150 - year)


def _solar_term_beijing(year: int, longitude: float, month: int, day: int) -> tuple[date, float]:
    jde = date(year, month, day).toordinal() + 1721424.5
    for _ in range(20):
        diff = (longitude - _apparent_solar_longitude(jde) + 180) % 360 - 180
        jde += diff * 365.2422 / 360
    beijing = jde - _delta_t_seconds(year + 0.3) / 86400 + 8 / 24 - 1721424.5
    whole = math.floor(beijing)
    return date.fromordinal(whole), (beijing - whole) * 24


def test_astronomy_reproduces_known_equinoxes():
    # 2024-03-20 03:06 UTC and 2025-03-20 09:01 UTC (11:06 and 17:01 Beijing time)
    day, hour = _solar_term_beijing(2024, 0, 3, 20)
    assert day == date(2024, 3, 20)
    assert abs(hour - (11 + 6 / 60)) < 2 / 60
    day, hour = _solar_term_beijing(2025, 0, 3, 20)
    assert day == date(2025, 3, 20)
    assert abs(hour - (17 + 1 / 60)) < 2 / 60


def test_qingming_agrees_with_astronomy_every_year_2004_2099():
    for year in range(2004, 2100):
        day, hour = _solar_term_beijing(year, 15, 4, 4)
        assert cal.qingming(year) == day, year
        # never so close to midnight that the computation's error (about a minute) could change
        # the day: at least 15 minutes away in 2027-2050 (2038: 00:29, 2042: 23:40), at least
        # 5 minutes later on (2071: 00:10)
        margin = 0.25 if year <= 2050 else 5 / 60
        assert margin < hour < 24 - margin, (year, hour)


# --- properties (hypothesis) ------------------------------------------------------------------


def _brute_add(calendar: Calendar, start: date, n: int) -> date:
    day, found = start, 0
    while found < n:
        day += timedelta(days=1)
        found += calendar.is_working_day(day)
    return day


@FAST
@given(start=ANY_DAYS, n=st.integers(min_value=0, max_value=60))
def test_add_working_days_matches_a_day_by_day_count(start, n):
    assert BUILTIN.add_working_days(start, n) == _brute_add(BUILTIN, start, n)


@FAST
@given(start=ANY_DAYS, n=st.integers(min_value=0, max_value=800))
def test_working_days_between_inverts_add_working_days(start, n):
    end = BUILTIN.add_working_days(start, n)
    assert BUILTIN.working_days_between(start, end) == n
    if n:
        assert BUILTIN.is_working_day(end)
        if start >= date(2004, 2, 1):
            # counting back lands on start itself, or on the last working day before it
            expected = start if BUILTIN.is_working_day(start) else BUILTIN.subtract_working_days(start, 1)
            assert BUILTIN.subtract_working_days(end, n) == expected


@FAST
@given(start=ANY_DAYS, n=st.integers(min_value=0, max_value=300), m=st.integers(min_value=0, max_value=300))
def test_add_working_days_is_monotonic_and_additive(start, n, m):
    a, b = BUILTIN.add_working_days(start, n), BUILTIN.add_working_days(start, n + m)
    assert a <= b
    if m:
        assert a < b
    assert BUILTIN.add_working_days(a, m) == b


@FAST
@given(a=ANY_DAYS, b=ANY_DAYS, c=ANY_DAYS)
def test_working_days_between_is_additive_and_counts_days(a, b, c):
    a, b, c = sorted((a, b, c))
    assert BUILTIN.working_days_between(a, b) + BUILTIN.working_days_between(
        b, c
    ) == BUILTIN.working_days_between(a, c)
    assert 0 <= BUILTIN.working_days_between(a, b) <= (b - a).days


@FAST
@given(day=ANY_DAYS)
def test_next_working_day_is_the_first_working_day_from_day(day):
    nxt = BUILTIN.next_working_day(day)
    assert BUILTIN.is_working_day(nxt)
    assert all(BUILTIN.is_rest_day(d) for d in every_day(day, nxt - timedelta(days=1)))
    assert BUILTIN.working_days_between(day, nxt) == (1 if nxt > day else 0)


@FAST
@given(day=SEEDED_DAYS)
def test_builtin_calendar_agrees_with_chinesecalendar(day):
    assert BUILTIN.is_working_day(day) == chinese_calendar.is_workday(day)


# --- construction and the default calendar ----------------------------------------------------


def test_calendar_from_explicit_days():
    custom = Calendar(
        {date(2030, 3, 4): DayRule(REST, "测试"), date(2030, 3, 9): DayRule(MAKEUP_WORKING)}, [2030]
    )
    assert not custom.is_provisional(date(2030, 1, 1))
    assert custom.is_rest_day(date(2030, 3, 4))
    assert custom.is_working_day(date(2030, 3, 9))  # a Saturday worked
    assert custom.is_working_day(date(2030, 2, 4))  # no provisional Spring Festival in a noticed year
    assert custom.is_provisional(date(2031, 1, 1))
    with pytest.raises(ValueError, match="not a Saturday or Sunday"):
        Calendar({date(2030, 3, 4): DayRule(MAKEUP_WORKING)}, [2030])
    with pytest.raises(ValueError):
        DayRule("holiday")  # type: ignore[arg-type]


def test_module_shortcuts_use_the_default_calendar():
    custom = Calendar({}, [2030])
    assert cal.is_provisional(date(2030, 1, 1))  # tests run with the built-in default
    with cal.use_calendar(custom):
        assert cal.get_default_calendar() is custom
        assert not cal.is_provisional(date(2030, 1, 1))
        assert cal.is_working_day(date(2030, 2, 4))
        assert cal.add_working_days(date(2030, 2, 1), 1) == date(2030, 2, 4)
        assert cal.working_days_between(date(2030, 2, 1), date(2030, 2, 4)) == 1
        assert cal.next_working_day(date(2030, 2, 2)) == date(2030, 2, 4)
        assert cal.is_rest_day(date(2030, 2, 2))
        assert cal.subtract_working_days(date(2030, 2, 4), 1) == date(2030, 2, 1)
    assert cal.get_default_calendar() is not custom
    cal.set_default_calendar(custom)
    try:
        assert cal.get_default_calendar() is custom
    finally:
        cal.set_default_calendar(None)
    with pytest.raises(TypeError):
        cal.set_default_calendar("2030")  # type: ignore[arg-type]


def test_exceptions_lists_a_years_dated_days():
    days = BUILTIN.exceptions(2026)
    assert [d.date for d in days] == sorted(d.date for d in days)
    assert any(d.kind == MAKEUP_WORKING and d.date == date(2026, 1, 4) for d in days)
    provisional = BUILTIN.exceptions(2027)
    assert all(d.provisional and d.kind == REST for d in provisional)


# --- the notice file format ----------------------------------------------------------------------


def test_the_example_file_parses_and_is_marked_as_an_example():
    notice = cal.parse_notice_json(EXAMPLE_FILE.read_bytes())
    assert notice.example
    assert notice.year == 2027
    assert notice.days[date(2027, 1, 31)] == DayRule(MAKEUP_WORKING, "春节")
    assert notice.days[date(2027, 2, 12)] == DayRule(REST, "春节")
    assert sum(r.kind == MAKEUP_WORKING for r in notice.days.values()) == 5


VALID = {
    "year": 2027,
    "number": "国办发明电〔2026〕1号",
    "published_on": "2026-11-10",
    "title": "国务院办公厅关于2027年部分节假日安排的通知",
    "holidays": [
        {"name": "元旦", "from": "2026-12-31", "to": "2027-01-03"},
        {"name": "端午节", "date": "2027-06-09"},
    ],
    "makeup_working_days": ["2027-02-20", {"date": "2027-01-31", "name": "春节"}],
}


def _with(**changes):
    data = json.loads(json.dumps(VALID))
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


def test_a_valid_notice():
    notice = cal.parse_notice(VALID)
    assert notice.days[date(2026, 12, 31)] == DayRule(REST, "元旦")  # the December before is allowed
    assert notice.days[date(2027, 2, 20)] == DayRule(MAKEUP_WORKING, "")
    assert len(notice.days) == 7
    assert notice.verified and not notice.example


@pytest.mark.parametrize(
    ("data", "english"),
    [
        ([1, 2], "must contain one JSON object"),
        (_with(number=None), "Missing required field 'number'"),
        (_with(colour="red"), "Unknown field 'colour'"),
        (_with(year=2003), "year must be a whole year from 2004 to 2099"),
        (_with(published_on="10/11/2026"), "is not a date in the form YYYY-MM-DD"),
        (_with(holidays=[{"name": "春节", "from": "2027-02-10", "to": "2027-02-05"}]), "is before the start"),
        (_with(holidays=[{"name": "元旦", "from": "2027-12-31", "to": "2028-01-02"}]), "outside 2027"),
        (_with(holidays=[{"name": "春节", "from": "2027-01-05", "to": "2027-03-02"}]), "longer than 31 days"),
        (_with(holidays=[{"name": "国庆节", "date": "2026-10-01"}]), "outside 2027"),
        (_with(makeup_working_days=["2027-02-22"]), "is not a Saturday or Sunday"),
        (
            _with(
                holidays=[
                    {"name": "春节", "from": "2027-02-05", "to": "2027-02-12"},
                    {"name": "x", "date": "2027-02-08"},
                ]
            ),
            "overlaps",
        ),
        (_with(makeup_working_days=["2027-01-02"]), "overlaps"),
        (_with(holidays=[{"date": "2027-06-09"}]), "the holiday name must be text"),
        (_with(holidays=[{"name": "端午节"}]), "missing dates"),
        (
            _with(
                holidays=[{"name": "端午节", "date": "2027-06-09", "from": "2027-06-09", "to": "2027-06-09"}]
            ),
            "not both",
        ),
        (_with(holidays="2027-06-09"), "holidays must be a list"),
        (_with(verified="yes"), "verified must be true or false"),
        (_with(published_on="2028-01-02"), "is after 2027"),
    ],
)
def test_bad_notices_are_refused_with_every_problem_in_both_languages(data, english):
    with pytest.raises(NoticeFileError) as caught:
        cal.parse_notice(data)
    rendered_en = [e.render("en") for e in caught.value.errors]
    assert any(english in line for line in rendered_en), rendered_en
    assert all(not line.isascii() for line in (e.render("zh-hans") for e in caught.value.errors))


def test_every_problem_is_reported_at_once():
    data = _with(number=None, title=None, makeup_working_days=["2027-02-22", "2027-13-01"])
    with pytest.raises(NoticeFileError) as caught:
        cal.parse_notice(data)
    assert len(caught.value.errors) == 4


def test_malformed_json():
    with pytest.raises(NoticeFileError) as caught:
        cal.parse_notice_json('{"year": 2027,,}')
    assert "line 1" in caught.value.errors[0].render("en")
    assert "第 1 行" in caught.value.errors[0].render("zh-hans")
    with pytest.raises(NoticeFileError, match="UTF-8"):
        cal.parse_notice_json(b"\xff\xfe{")
