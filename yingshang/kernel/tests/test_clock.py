"""The domain clock: pure clocks, the shared sandbox row, the ``clock`` command. No sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from yingshang.kernel import clock, sandbox
from yingshang.kernel.errors import InvalidInput, PermissionDenied, RuleViolation
from yingshang.kernel.models import ClockSetting

MOMENT = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai


# --- the pure clocks ------------------------------------------------------------------------------
def test_fixed_clock_stands_still_until_advanced() -> None:
    fixed = clock.FixedClock(MOMENT)
    assert fixed.now() == fixed.now() == MOMENT
    assert fixed.advance(timedelta(days=2)) == MOMENT + timedelta(days=2)
    assert fixed.now() == MOMENT + timedelta(days=2)
    fixed.set(MOMENT)
    assert fixed.now() == MOMENT


def test_fixed_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        clock.FixedClock(datetime(2026, 11, 30, 12, 0))


def test_fixed_clock_keeps_utc_whatever_zone_it_was_given() -> None:
    fixed = clock.FixedClock(datetime(2026, 11, 30, 23, 30, tzinfo=clock.SHANGHAI))
    assert fixed.now() == MOMENT
    assert fixed.now().tzinfo is UTC


def test_use_overrides_now_inside_the_block_only() -> None:
    outside = clock.installed()
    fixed = clock.FixedClock(MOMENT)
    with clock.use(fixed):
        assert clock.now() == MOMENT
        fixed.advance(timedelta(hours=1))
        assert clock.now() == MOMENT + timedelta(hours=1)
        with clock.use(clock.FixedClock(MOMENT - timedelta(days=1))):
            assert clock.now() == MOMENT - timedelta(days=1)
        assert clock.now() == MOMENT + timedelta(hours=1)
    assert clock.installed() is outside


def test_install_sets_the_process_clock() -> None:
    previous = clock.installed()
    try:
        clock.install(clock.FixedClock(MOMENT))
        assert clock.now() == MOMENT
    finally:
        clock.install(previous)


def test_install_and_use_refuse_things_without_now() -> None:
    with pytest.raises(TypeError):
        clock.install(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError), clock.use(object()):  # type: ignore[arg-type]
        pass


def test_now_is_aware_utc_even_if_a_clock_answers_in_another_zone() -> None:
    class ShanghaiClock:
        def now(self) -> datetime:
            return datetime(2026, 11, 30, 23, 30, tzinfo=clock.SHANGHAI)

    with clock.use(ShanghaiClock()):
        assert clock.now() == MOMENT
        assert clock.now().tzinfo is UTC


def test_system_clock_and_wall_now_are_real_time() -> None:
    before = datetime.now(UTC)
    assert before <= clock.SystemClock().now() <= datetime.now(UTC)
    assert before <= clock.wall_now() <= datetime.now(UTC)
    assert clock.wall_now().tzinfo is UTC


def test_wall_now_ignores_the_domain_clock() -> None:
    with clock.use(clock.FixedClock(datetime(2030, 1, 1, tzinfo=UTC))):
        assert clock.wall_now() < datetime(2030, 1, 1, tzinfo=UTC)


def test_today_and_to_shanghai() -> None:
    with clock.use(clock.FixedClock(MOMENT)):
        assert clock.today_in_shanghai() == date(2026, 11, 30)
    with clock.use(clock.FixedClock(MOMENT + timedelta(minutes=30))):  # 00:00 in Shanghai
        assert clock.today_in_shanghai() == date(2026, 12, 1)
    shown = clock.to_shanghai(MOMENT)
    assert (shown.hour, shown.minute, shown.utcoffset()) == (23, 30, timedelta(hours=8))
    with pytest.raises(ValueError):
        clock.to_shanghai(datetime(2026, 1, 1))


def test_sandbox_clock_runs_factor_times_as_fast() -> None:
    wall = clock.FixedClock(MOMENT)
    domain_start = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
    sandbox_clock = clock.SandboxClock(MOMENT, domain_start, 60, wall=wall.now)
    assert sandbox_clock.now() == domain_start
    wall.advance(timedelta(minutes=1))
    assert sandbox_clock.now() == domain_start + timedelta(hours=1)
    wall.advance(timedelta(seconds=0.5))
    assert sandbox_clock.now() == domain_start + timedelta(hours=1, seconds=30)


def test_sandbox_clock_with_a_fractional_factor_is_exact() -> None:
    wall = clock.FixedClock(MOMENT)
    sandbox_clock = clock.SandboxClock(MOMENT, MOMENT, Decimal("0.5"), wall=wall.now)
    wall.advance(timedelta(seconds=3))
    assert sandbox_clock.now() == MOMENT + timedelta(seconds=1.5)
    assert sandbox_clock.factor == Fraction(1, 2)


@given(
    st.integers(min_value=0, max_value=10**12),
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100000), places=4),
)
def test_sandbox_clock_matches_exact_arithmetic(elapsed_us: int, factor: Decimal) -> None:
    sandbox_clock = clock.SandboxClock(MOMENT, MOMENT, factor)
    domain = sandbox_clock.domain_at(MOMENT + timedelta(microseconds=elapsed_us))
    expected_us = Fraction(elapsed_us) * Fraction(factor)
    assert abs((domain - MOMENT) / timedelta(microseconds=1) - expected_us) <= Fraction(1, 2)


@pytest.mark.parametrize(
    ("factor", "error"), [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_sandbox_clock_refuses_bad_factors(factor: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        clock.SandboxClock(MOMENT, MOMENT, factor)  # type: ignore[arg-type]


# --- the shared sandbox row -----------------------------------------------------------------------
class Ticker:
    """A stand-in for time.monotonic that moves only when told."""

    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


def stored_anchors() -> tuple[datetime, datetime]:
    """The anchors of the sandbox row (wall, domain), which set_sandbox took from the real clock."""
    row = ClockSetting.objects.get()
    assert row.anchor_wall is not None and row.anchor_domain is not None
    return row.anchor_wall, row.anchor_domain


def database_clock(wall: Callable[[], datetime], ticker: Ticker | None = None) -> sandbox.DatabaseClock:
    return sandbox.DatabaseClock(wall=wall, timer=ticker or Ticker())


@pytest.mark.django_db
def test_without_a_row_the_database_clock_is_the_wall_clock() -> None:
    wall = clock.FixedClock(MOMENT)
    assert database_clock(wall.now).now() == MOMENT
    state = sandbox.sandbox_state()
    assert not state.enabled
    assert state.domain == state.wall


@pytest.mark.django_db
def test_two_processes_agree_on_the_domain_time_after_a_set() -> None:
    start = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
    state = sandbox.set_sandbox(factor=60, domain_now=start, reason="rehearse tender 42", updated_by="kid")
    row = ClockSetting.objects.get()
    assert (row.enabled, row.factor, row.anchor_domain, row.reason) == (
        True,
        Decimal(60),
        start,
        "rehearse tender 42",
    )
    anchor_wall, _domain = stored_anchors()
    assert state.anchor_wall == anchor_wall

    # Two processes, each with its own DatabaseClock, read the row at the same real instant.
    wall = clock.FixedClock(anchor_wall + timedelta(seconds=10))
    web, worker = database_clock(wall.now), database_clock(wall.now)
    assert web.now() == worker.now() == start + timedelta(minutes=10)
    wall.advance(timedelta(minutes=1))
    assert web.now() == worker.now() == start + timedelta(minutes=70)


@pytest.mark.django_db
def test_a_process_sees_a_change_once_its_cache_interval_has_passed() -> None:
    wall = clock.FixedClock(MOMENT)
    ticker = Ticker()
    chronograph = database_clock(wall.now, ticker)
    assert chronograph.now() == MOMENT  # real time, and now cached

    sandbox.set_sandbox(factor=2, domain_now=datetime(2027, 1, 4, tzinfo=UTC), reason="rehearsal")
    wall.set(stored_anchors()[0] + timedelta(seconds=30))
    ticker.value += sandbox.CACHE_SECONDS / 2
    assert chronograph.now() == wall.now()  # still the cached real time
    ticker.value += sandbox.CACHE_SECONDS / 2
    assert chronograph.now() == datetime(2027, 1, 4, 0, 1, tzinfo=UTC)  # re-read: 30 s x 2


@pytest.mark.django_db
def test_invalidate_rereads_at_once() -> None:
    wall = clock.FixedClock(MOMENT)
    web = database_clock(wall.now)
    assert web.now() == MOMENT
    sandbox.set_sandbox(factor=1, domain_now=datetime(2027, 1, 4, tzinfo=UTC), reason="jump")
    wall.set(stored_anchors()[0])
    web.invalidate()
    assert web.now() == datetime(2027, 1, 4, tzinfo=UTC)


@pytest.mark.django_db
def test_without_domain_now_the_sandbox_continues_from_the_current_domain_time() -> None:
    sandbox.set_sandbox(factor=60, domain_now=datetime(2027, 1, 4, tzinfo=UTC), reason="first")
    first_wall, first_domain = stored_anchors()
    sandbox.set_sandbox(factor=1, reason="slow down")
    second_wall, second_domain = stored_anchors()
    assert ClockSetting.objects.get().factor == 1
    assert second_domain == first_domain + (second_wall - first_wall) * 60


@pytest.mark.django_db
def test_the_domain_clock_never_moves_backwards() -> None:
    sandbox.set_sandbox(factor=1, domain_now=datetime(2027, 1, 4, tzinfo=UTC), reason="first")
    before = ClockSetting.objects.values().get()
    with pytest.raises(RuleViolation) as info:
        sandbox.set_sandbox(factor=1, domain_now=datetime(2027, 1, 3, tzinfo=UTC), reason="back")
    assert info.value.code == "clock_backwards"
    assert ClockSetting.objects.values().get() == before


@pytest.mark.django_db
def test_reset_returns_to_real_time() -> None:
    sandbox.set_sandbox(factor=100, domain_now=datetime(2027, 1, 4, tzinfo=UTC), reason="rehearsal")
    state = sandbox.reset_sandbox(reason="over", updated_by="kid")
    assert not state.enabled
    row = ClockSetting.objects.get()
    assert (row.enabled, row.factor, row.anchor_wall, row.reason, row.updated_by) == (
        False,
        Decimal(1),
        None,
        "over",
        "kid",
    )
    wall = clock.FixedClock(MOMENT)
    assert database_clock(wall.now).now() == MOMENT


@pytest.mark.django_db
@pytest.mark.parametrize("factor", [0, -1, "abc", "100001", "1.00001", Decimal("NaN")])
def test_set_refuses_bad_factors_and_changes_nothing(factor: object) -> None:
    with pytest.raises(InvalidInput) as info:
        sandbox.set_sandbox(factor=factor, reason="x")  # type: ignore[arg-type]
    assert info.value.code == "invalid_factor"
    assert not ClockSetting.objects.exists()


@pytest.mark.django_db
def test_sandbox_messages_are_translated() -> None:
    with pytest.raises(InvalidInput) as info:
        sandbox.set_sandbox(factor=2, reason="")
    with translation.override("zh-hans"):
        assert str(info.value) == "请填写修改业务时钟的原因。"
    with translation.override("en"):
        assert str(info.value) == "Give a reason for changing the domain clock."


@pytest.mark.django_db
def test_set_refuses_a_float_factor() -> None:
    with pytest.raises(TypeError):
        sandbox.set_sandbox(factor=1.5, reason="x")  # type: ignore[arg-type]


@pytest.mark.django_db
def test_set_needs_a_reason_and_an_aware_time() -> None:
    with pytest.raises(InvalidInput) as info:
        sandbox.set_sandbox(factor=2, reason="  ")
    assert info.value.code == "reason_required"
    with pytest.raises(InvalidInput) as info:
        sandbox.set_sandbox(factor=2, domain_now=datetime(2027, 1, 4), reason="x")
    assert info.value.code == "naive_datetime"
    assert not ClockSetting.objects.exists()


@pytest.mark.django_db
@override_settings(PRODUCTION=True, YINGSHANG_ALLOW_SANDBOX=False)
def test_production_refuses_the_sandbox() -> None:
    with pytest.raises(PermissionDenied) as info:
        sandbox.set_sandbox(factor=60, reason="rehearsal")
    assert info.value.code == "sandbox_not_allowed"
    assert not ClockSetting.objects.exists()


@pytest.mark.django_db
def test_production_ignores_a_sandbox_row_it_does_not_allow() -> None:
    sandbox.set_sandbox(factor=60, domain_now=datetime(2030, 1, 1, tzinfo=UTC), reason="left over")
    # A minute of wall time after the row was set (its anchor comes from the real clock).
    anchor_wall, _ = stored_anchors()
    wall = clock.FixedClock(anchor_wall + timedelta(minutes=1))
    with override_settings(PRODUCTION=True, YINGSHANG_ALLOW_SANDBOX=False):
        assert database_clock(wall.now).now() == anchor_wall + timedelta(minutes=1)
    with override_settings(PRODUCTION=True, YINGSHANG_ALLOW_SANDBOX=True):
        assert database_clock(wall.now).now() == datetime(2030, 1, 1, 1, 0, tzinfo=UTC)


@pytest.mark.django_db
@override_settings(PRODUCTION=True, YINGSHANG_ALLOW_SANDBOX=True)
def test_production_may_allow_the_sandbox_explicitly() -> None:
    assert sandbox.set_sandbox(factor=60, reason="staging rehearsal").enabled


@pytest.mark.django_db(transaction=True)
def test_the_installed_database_clock_sees_its_own_change_after_commit() -> None:
    process_clock = sandbox.DatabaseClock()  # real wall clock and timer
    previous = clock.installed()
    clock.install(process_clock)
    try:
        assert abs(clock.now() - clock.wall_now()) < timedelta(seconds=5)
        sandbox.set_sandbox(factor=1, domain_now=datetime(2099, 1, 1, tzinfo=UTC), reason="far future")
        # Committed: this process's cache was dropped, so no waiting for the interval.
        assert clock.now() >= datetime(2099, 1, 1, tzinfo=UTC)
    finally:
        clock.install(previous)


@pytest.mark.django_db(transaction=True)
def test_the_database_clock_works_inside_an_event_loop() -> None:
    sandbox.set_sandbox(factor=1, domain_now=datetime(2099, 1, 1, tzinfo=UTC), reason="async")
    process_clock = sandbox.DatabaseClock()

    async def read() -> datetime:
        return process_clock.now()  # an async view calling clock.now()

    assert asyncio.run(read()) >= datetime(2099, 1, 1, tzinfo=UTC)
    assert process_clock._executor is not None  # it read the row in its helper thread


@pytest.mark.django_db(transaction=True)
def test_in_an_event_loop_a_stale_clock_is_refreshed_without_waiting_for_the_database() -> None:
    """An event loop never waits on the database for the time once a clock is cached: it goes on
    with the previous one while a helper thread reads the row (a surge that holds every pooled
    connection cannot freeze the server's loop or deadlock threads on the clock)."""
    ticker = Ticker()
    process_clock = database_clock(clock.wall_now, ticker)
    first = process_clock.now()
    assert abs(first - clock.wall_now()) < timedelta(seconds=5)  # no sandbox yet: the wall clock
    sandbox.set_sandbox(factor=1, domain_now=datetime(2099, 1, 1, tzinfo=UTC), reason="refresh test")
    ticker.value += sandbox.CACHE_SECONDS + 1  # the cached row is now too old

    async def read() -> datetime:
        return process_clock.now()

    assert asyncio.run(read()) < datetime(2099, 1, 1, tzinfo=UTC)  # the stale clock, at once
    assert process_clock._executor is not None
    process_clock._executor.submit(lambda: None).result()  # the queued refresh has run
    assert asyncio.run(read()) >= datetime(2099, 1, 1, tzinfo=UTC)


def test_default_clock_is_the_database_clock_outside_tests() -> None:
    with override_settings(TESTING=False):
        assert isinstance(sandbox.default_clock(), sandbox.DatabaseClock)
    with override_settings(TESTING=True):
        assert isinstance(sandbox.default_clock(), clock.SystemClock)


def test_database_clock_construction_touches_no_database() -> None:
    # No django_db mark: any query here would fail the test.
    sandbox.DatabaseClock()


# --- the command ------------------------------------------------------------------------------------
def run(*args: str) -> str:
    out = StringIO()
    call_command("clock", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_command_show_set_reset() -> None:
    assert "real time (domain time = wall time)" in run("show")
    shown = run("set", "--factor", "60", "--at", "2027-01-04T09:00", "--reason", "rehearse")
    assert "sandbox, 60 times real time" in shown
    row = ClockSetting.objects.get()
    assert row.anchor_domain == datetime(2027, 1, 4, 9, 0, tzinfo=clock.SHANGHAI)  # naive --at is Shanghai
    assert row.updated_by.startswith("command line")
    assert "Anchor:       domain 2027-01-04 09:00:00" in run("show")
    assert "real time" in run("reset")
    assert not ClockSetting.objects.get().enabled


@pytest.mark.django_db
def test_command_accepts_an_offset_and_reports_errors() -> None:
    run("set", "--factor", "2", "--at", "2027-01-04T01:00:00+00:00")
    assert ClockSetting.objects.get().anchor_domain == datetime(2027, 1, 4, 1, 0, tzinfo=timezone.utc)  # noqa: UP017
    with translation.override("en"), pytest.raises(CommandError, match="cannot move backwards"):
        run("set", "--factor", "2", "--at", "2027-01-01T00:00")
    with translation.override("zh-hans"), pytest.raises(CommandError, match="业务时钟不能倒退"):
        run("set", "--factor", "2", "--at", "2027-01-01T00:00")
    with pytest.raises(CommandError, match="not an ISO 8601"):
        run("set", "--factor", "2", "--at", "next tuesday")
    with translation.override("en"), pytest.raises(CommandError, match="factor must be a number"):
        run("set", "--factor", "fast")
