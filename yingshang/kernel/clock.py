"""The domain clock: one injectable ``now()`` for deadlines, periods and SLAs. Pure: no Django.

Two clocks, never mixed:

- the **domain clock**, :func:`now`, for everything the law or a service level counts: bid
  deadlines, publicity periods, statutory periods, SLA timers, ``next_check``. A sandbox can run
  it faster than real time so a whole tender can be rehearsed in minutes;
- the **wall clock**, :func:`wall_now`, for security: TOTP windows, certificate validity, token
  expiry, sessions, lockouts, rate limits, TLS. Security code never reads the domain clock, so an
  accelerated sandbox can never make a token or a certificate outlive its real life.

:func:`now` delegates to the installed :class:`Clock`: :class:`SystemClock` until the kernel
app installs the database-backed sandbox clock (``yingshang.kernel.sandbox``); tests pick a
:class:`FixedClock` with :func:`use`. Every returned datetime is aware and in UTC; show it with
:func:`to_shanghai`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

__all__ = [
    "SHANGHAI",
    "Clock",
    "FixedClock",
    "SandboxClock",
    "SystemClock",
    "install",
    "installed",
    "now",
    "to_shanghai",
    "today_in_shanghai",
    "use",
    "wall_now",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def wall_now() -> datetime:
    """The real time (aware, UTC). For security code only; business time is :func:`now`."""
    return datetime.now(UTC)


def _aware_utc(value: datetime, what: str = "time") -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything with ``now() -> datetime`` (aware)."""

    def now(self) -> datetime: ...


class SystemClock:
    """Domain time equals wall time."""

    def now(self) -> datetime:
        return wall_now()

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until told to move. For tests: no sleeping, ever."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware_utc(at, "FixedClock time")

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> datetime:
        """Move forward (or back, with a negative delta) and return the new time."""
        self._at += delta
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware_utc(at, "FixedClock time")

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"


Factor = Decimal | Fraction | int


class SandboxClock:
    """Accelerated domain time: ``anchor_domain + (wall - anchor_wall) * factor``.

    At the wall time ``anchor_wall`` the domain time was ``anchor_domain``; from then on it runs
    ``factor`` times as fast as the wall clock (factor 60: one real minute is one domain hour).
    The arithmetic is exact to the microsecond (no floats). ``wall`` is the wall clock to read;
    tests pass a :class:`FixedClock`'s ``now``.
    """

    def __init__(
        self,
        anchor_wall: datetime,
        anchor_domain: datetime,
        factor: Factor,
        *,
        wall: Callable[[], datetime] = wall_now,
    ) -> None:
        if isinstance(factor, bool) or not isinstance(factor, Decimal | Fraction | int):
            raise TypeError(f"factor must be a Decimal, Fraction or int, not {type(factor).__name__}")
        if not Fraction(factor) > 0:
            raise ValueError("factor must be positive")
        self.anchor_wall = _aware_utc(anchor_wall, "anchor_wall")
        self.anchor_domain = _aware_utc(anchor_domain, "anchor_domain")
        self.factor = Fraction(factor)
        self._wall = wall

    def domain_at(self, wall: datetime) -> datetime:
        """The domain time at a given wall time."""
        elapsed_us = (_aware_utc(wall, "wall time") - self.anchor_wall) // timedelta(microseconds=1)
        scaled_us = round(elapsed_us * self.factor)
        return self.anchor_domain + timedelta(microseconds=scaled_us)

    def now(self) -> datetime:
        return self.domain_at(self._wall())

    def __repr__(self) -> str:
        return (
            f"SandboxClock(anchor_wall={self.anchor_wall.isoformat()}, "
            f"anchor_domain={self.anchor_domain.isoformat()}, factor={self.factor})"
        )


_installed: Clock = SystemClock()
_override: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("yingshang_clock", default=None)


def install(clock: Clock) -> None:
    """Make ``clock`` the process-wide domain clock (the kernel app does this at start-up)."""
    global _installed  # noqa: PLW0603 -- the one process-wide setting of this module
    if not isinstance(clock, Clock):
        raise TypeError(f"{clock!r} has no now() method")
    _installed = clock


def installed() -> Clock:
    """The clock :func:`now` reads in this context (a :func:`use` override wins)."""
    return _override.get() or _installed


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Use ``clock`` for :func:`now` inside the ``with`` block (this thread/task only)."""
    if not isinstance(clock, Clock):
        raise TypeError(f"{clock!r} has no now() method")
    token = _override.set(clock)
    try:
        yield clock
    finally:
        _override.reset(token)


def now() -> datetime:
    """The domain time: aware, in UTC. Use it for deadlines, periods and SLAs."""
    return _aware_utc(installed().now(), "clock time")


def to_shanghai(value: datetime) -> datetime:
    """The same instant shown in Asia/Shanghai. Naive datetimes are refused (``ValueError``)."""
    return _aware_utc(value).astimezone(SHANGHAI)


def today_in_shanghai() -> date:
    """The domain date in Shanghai (the day periods are counted from)."""
    return to_shanghai(now()).date()
