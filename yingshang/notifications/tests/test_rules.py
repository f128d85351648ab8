"""Quiet hours and back-off, pure."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingshang.notifications import states
from yingshang.notifications.rules import QuietHours, parse_quiet_hours, retry_delay

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours(time(22), time(7))


def at(hour: int, minute: int = 0, day: int = 30) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def test_the_setting_is_parsed():
    assert parse_quiet_hours("22:00-07:00") == NIGHT
    assert parse_quiet_hours(" 22:00 - 7:00 ") == NIGHT


def test_late_evening_waits_until_seven_the_next_morning():
    assert NIGHT.until(at(23, 30)) == at(7, 0, day=30) + timedelta(days=1)


def test_small_hours_wait_until_seven_the_same_morning():
    assert NIGHT.until(at(3, 15)) == at(7, 0)


def test_daytime_does_not_wait_and_the_ends_are_exact():
    assert NIGHT.until(at(12, 0)) is None
    assert NIGHT.until(at(7, 0)) is None  # the window ends at 07:00
    assert NIGHT.until(at(21, 59)) is None
    assert NIGHT.until(at(22, 0)) == at(7, 0, day=30) + timedelta(days=1)


def test_the_answer_keeps_the_time_zone_of_the_question():
    moment = at(23, 30).astimezone(UTC)
    end = NIGHT.until(moment)
    assert end is not None and end.tzinfo == UTC
    assert end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def test_a_window_within_one_day():
    lunch = QuietHours(time(12), time(13, 30))
    assert parse_quiet_hours("12:00-13:30") == lunch
    assert lunch.until(at(12, 45)) == at(13, 30)
    assert lunch.until(at(13, 30)) is None


@pytest.mark.parametrize("spec", ["", "off", None, "08:00-08:00"])
def test_no_quiet_hours(spec):
    assert parse_quiet_hours(spec) is None


@pytest.mark.parametrize("spec", ["22-07-01", "late", "25:00-07:00", "22:00"])
def test_malformed_quiet_hours_are_refused(spec):
    with pytest.raises(ValueError):
        parse_quiet_hours(spec)


def test_naive_moments_are_refused():
    with pytest.raises(ValueError):
        NIGHT.until(datetime(2026, 11, 30, 23, 0))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_the_wait_ends_at_seven_within_a_day_and_only_inside_the_window(moment):
    end = NIGHT.until(moment)
    local = moment.astimezone(SHANGHAI).time()
    inside = local >= time(22) or local < time(7)
    assert (end is not None) == inside
    if end is not None:
        assert moment < end <= moment + timedelta(hours=9)
        assert end.astimezone(SHANGHAI).time() == time(7)
        assert NIGHT.until(end) is None


def test_back_off_doubles_up_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3, 7, 20)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(hours=1),
        timedelta(hours=1),
    ]
    with pytest.raises(ValueError):
        retry_delay(0)


def test_only_sending_can_deliver():
    sources = [s for s in states.STATUSES if states.may_move(s, states.DELIVERED)]
    assert sources == [states.SENDING]
    assert all(not states.TRANSITIONS[s] for s in states.FINAL)
