"""The Django side of the working-day calendar: load it from the database, replace a year.

- :class:`DatabaseCalendar` is the provider the kernel app installs into
  :mod:`yingshang.kernel.calendar` (``set_default_provider``): it builds the
  :class:`~yingshang.kernel.calendar.Calendar` from the HolidayNotice and CalendarDay tables on
  first use and keeps it; every ``recheck_seconds`` of real time (30 s by default) it compares a
  cheap fingerprint of the notices (count and latest ``loaded_at``) and reloads when they changed,
  so a notice loaded by another process reaches this one within that interval. A load in this
  process invalidates it at once.
- :func:`load_notice` replaces one year's notice and days in one transaction.
- :func:`on_calendar_changed` registers a callback that receives the affected years after the
  transaction that changed the calendar commits: the interface later contexts use to recompute
  deadlines (see docs/calendar.md).

Under ``settings.TESTING`` the kernel app installs no provider: the default is the built-in
calendar (the same days the seed migration stores), because a process-wide cache of rows would
leak between tests whose transactions roll back. Tests that need the database calendar install
a :class:`DatabaseCalendar` themselves (:func:`installed_database_calendar`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import SynchronousOnlyOperation
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _

from yingshang.kernel import calendar as cal
from yingshang.kernel import clock, events
from yingshang.kernel.errors import InvalidInput
from yingshang.kernel.models import CalendarDay, HolidayNotice

logger = logging.getLogger(__name__)

__all__ = [
    "RECHECK_SECONDS",
    "CalendarChangeListener",
    "CalendarChanged",
    "DatabaseCalendar",
    "LoadResult",
    "install",
    "installed_database_calendar",
    "load_calendar",
    "load_notice",
    "on_calendar_changed",
    "remove_calendar_listener",
]

#: How long (real seconds) a process trusts its calendar before comparing the fingerprint again.
RECHECK_SECONDS = 30.0

CalendarChangeListener = Callable[[frozenset[int]], None]


# --------------------------------------------------------------------------------------------
# Reading


def load_calendar() -> cal.Calendar:
    """Build a :class:`Calendar` from the database (noticed years and their dated exceptions)."""
    years = list(HolidayNotice.objects.values_list("year", flat=True))
    days = {
        day: cal.DayRule(cal.REST if kind == cal.REST else cal.MAKEUP_WORKING, holiday)
        for day, kind, holiday in CalendarDay.objects.values_list("date", "kind", "holiday")
    }
    return cal.Calendar(days, years)


def _fingerprint() -> tuple[int, Any]:
    row = HolidayNotice.objects.aggregate(n=Count("id"), last=Max("loaded_at"))
    return row["n"], row["last"]


class DatabaseCalendar:
    """The default-calendar provider backed by the database; see the module docstring.

    Construction touches no database. Before the kernel's tables exist (the first ``migrate``)
    it answers with the built-in calendar and keeps asking. Called from an event loop, it reads
    in a helper thread (the ORM is synchronous-only).
    """

    def __init__(
        self, *, recheck_seconds: float = RECHECK_SECONDS, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.recheck_seconds = recheck_seconds
        self._timer = timer
        self._lock = threading.RLock()
        self._calendar: cal.Calendar | None = None
        self._fingerprint: tuple[int, Any] | None = None
        self._checked_at = 0.0
        self._executor: ThreadPoolExecutor | None = None

    def __call__(self) -> cal.Calendar:
        return self.current()

    def current(self) -> cal.Calendar:
        with self._lock:
            moment = self._timer()
            if self._calendar is not None and moment - self._checked_at < self.recheck_seconds:
                return self._calendar
            try:
                result = self._run(self._refresh)
            except DatabaseError:
                logger.warning("The calendar tables cannot be read; using the built-in calendar.")
                from yingshang.kernel.calendar_data import builtin_calendar

                return builtin_calendar()
            self._checked_at = moment
            return result

    def invalidate(self) -> None:
        """Forget the loaded calendar: the next use reads the database."""
        with self._lock:
            self._calendar = None
            self._fingerprint = None

    def _run(self, func: Callable[[], cal.Calendar]) -> cal.Calendar:
        try:
            return func()
        except SynchronousOnlyOperation:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yingshang-calendar")
            return self._executor.submit(func).result()

    def _refresh(self) -> cal.Calendar:
        if HolidayNotice._meta.db_table not in connection.introspection.table_names():
            raise DatabaseError("the calendar tables do not exist yet")
        fingerprint = _fingerprint()
        if self._calendar is None or fingerprint != self._fingerprint:
            self._calendar = load_calendar()
            self._fingerprint = fingerprint
        return self._calendar

    def __repr__(self) -> str:
        return f"DatabaseCalendar(recheck_seconds={self.recheck_seconds})"


class _Installed:
    provider: DatabaseCalendar | None = None


_installed = _Installed()


def _set_provider(provider: DatabaseCalendar | None) -> None:
    _installed.provider = provider
    cal.set_default_provider(provider)


def install(provider: DatabaseCalendar | None = None) -> DatabaseCalendar | None:
    """Install ``provider`` (a new :class:`DatabaseCalendar` by default) as the default calendar's
    provider; under ``settings.TESTING`` without an explicit provider, install nothing."""
    if provider is None and getattr(settings, "TESTING", False):
        _set_provider(None)
        return None
    _set_provider(provider or DatabaseCalendar())
    return _installed.provider


@contextmanager
def installed_database_calendar(recheck_seconds: float = RECHECK_SECONDS) -> Iterator[DatabaseCalendar]:
    """Within the block the default calendar is read from the database (for tests)."""
    saved = _installed.provider
    provider = DatabaseCalendar(recheck_seconds=recheck_seconds)
    _set_provider(provider)
    try:
        yield provider
    finally:
        _set_provider(saved)


def _invalidate_installed() -> None:
    if _installed.provider is not None:
        _installed.provider.invalidate()


# --------------------------------------------------------------------------------------------
# "Calendar changed" notifications


@dataclass(frozen=True)
class CalendarChanged(events.DomainEvent):
    """Published on commit after a notice was loaded: deadlines in ``years`` may have moved."""

    name: ClassVar[str] = "kernel.calendar.changed"
    years: tuple[int, ...]


_listeners: list[CalendarChangeListener] = []


def on_calendar_changed(callback: CalendarChangeListener) -> CalendarChangeListener:
    """Register ``callback(years: frozenset[int])``, called after a transaction that changed the
    calendar commits, with the years whose working days may have changed. Usable as a decorator;
    registering the same callback twice has no effect. A callback that raises is logged and does
    not stop the others."""
    if callback not in _listeners:
        _listeners.append(callback)
    return callback


def remove_calendar_listener(callback: CalendarChangeListener) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


def _announce(years: frozenset[int]) -> None:
    transaction.on_commit(_invalidate_installed)
    for listener in list(_listeners):
        transaction.on_commit(lambda listener=listener: listener(years), robust=True)  # type: ignore[misc]
    events.publish(CalendarChanged(years=tuple(sorted(years))))


# --------------------------------------------------------------------------------------------
# Writing


@dataclass(frozen=True)
class LoadResult:
    year: int
    replaced: bool
    rest_days: int
    makeup_working_days: int
    affected_years: frozenset[int]


def load_notice(*, notice: cal.Notice, allow_example: bool = False) -> LoadResult:
    """Replace ``notice.year``'s notice and days in one transaction; announce the change on commit.

    Refuses (``InvalidInput``, nothing changed) an example file unless ``allow_example``, and a
    date already set by another year's notice.
    """
    if notice.example and not allow_example:
        raise InvalidInput(
            _(
                "This file is marked as an example, not a real State Council notice; "
                "it is not loaded (use --allow-example to load it anyway, for a test or a demo)."
            ),
            code="calendar_example_file",
        )
    with transaction.atomic():
        clashes = list(
            CalendarDay.objects.filter(date__in=list(notice.days))
            .exclude(notice_id=notice.year)
            .order_by("date")
            .values_list("date", "notice_id")[:5]
        )
        if clashes:
            day, other = clashes[0]
            raise InvalidInput(
                _("The date %(date)s is already set by the notice for %(other)s."),
                code="calendar_overlap",
                date=day.isoformat(),
                other=other,
            )
        previous = HolidayNotice.objects.filter(year=notice.year).first()
        previous_days = set(CalendarDay.objects.filter(notice_id=notice.year).values_list("date", flat=True))
        note = notice.source_note
        if notice.example:
            note = ("EXAMPLE, NOT A REAL NOTICE. " + note).strip()
        HolidayNotice.objects.update_or_create(
            year=notice.year,
            defaults={
                "number": notice.number,
                "published_on": notice.published_on,
                "title": notice.title,
                "source_note": note,
                "verified": notice.verified and not notice.example,
                "origin": HolidayNotice.ORIGIN_FILE,
                "loaded_at": clock.now(),
            },
        )
        CalendarDay.objects.filter(notice_id=notice.year).delete()
        CalendarDay.objects.bulk_create(
            CalendarDay(date=day, kind=rule.kind, holiday=rule.holiday, notice_id=notice.year)
            for day, rule in sorted(notice.days.items())
        )
        affected = frozenset({notice.year} | {d.year for d in notice.days} | {d.year for d in previous_days})
        _invalidate_installed()
        _announce(affected)
    rest = sum(1 for r in notice.days.values() if r.kind == cal.REST)
    return LoadResult(
        year=notice.year,
        replaced=previous is not None,
        rest_days=rest,
        makeup_working_days=len(notice.days) - rest,
        affected_years=affected,
    )


def notice_for(year: int) -> HolidayNotice | None:
    return HolidayNotice.objects.filter(year=year).first()


def year_exceptions(year: int, *, calendar: cal.Calendar | None = None) -> list[cal.Day]:
    """The year's dated exceptions as the default calendar sees them (for ``calendar show``)."""
    return (calendar or cal.get_default_calendar()).exceptions(year)
