"""The Django side of the domain clock: the sandbox settings every process shares.

The sandbox runs domain time faster than the wall clock so a whole tender can be rehearsed in
minutes. Its anchor and factor live in one database row (:class:`~yingshang.kernel.models.
ClockSetting`), so the web server, the task workers and the chronograph agree on the domain
time. :class:`DatabaseClock` reads that row lazily and keeps it for a short wall-clock interval
(2 s by default): a change reaches every process within that interval.

Changes go through :func:`set_sandbox` and :func:`reset_sandbox`, one transaction each. Under
``settings.PRODUCTION`` the sandbox is refused unless ``settings.YINGSHANG_ALLOW_SANDBOX`` (env
``YINGSHANG_ALLOW_SANDBOX=1``) says otherwise; a sandbox row found in production without that
permission is ignored.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import SynchronousOnlyOperation
from django.db import close_old_connections, connection, transaction
from django.utils.translation import gettext_lazy as _

from yingshang.kernel import clock
from yingshang.kernel.errors import InvalidInput, PermissionDenied, RuleViolation
from yingshang.kernel.models import ClockSetting

logger = logging.getLogger(__name__)

__all__ = [
    "CACHE_SECONDS",
    "MAX_FACTOR",
    "DatabaseClock",
    "SandboxState",
    "default_clock",
    "reset_sandbox",
    "sandbox_allowed",
    "sandbox_state",
    "set_sandbox",
]

#: How long (wall-clock seconds) a process keeps the sandbox row before reading it again.
CACHE_SECONDS = 2.0
#: The fastest the sandbox may run: one real second is at most this many domain seconds.
MAX_FACTOR = Decimal(100_000)


def sandbox_allowed() -> bool:
    """Whether this deployment may run an accelerated clock (never in production by default)."""
    return not getattr(settings, "PRODUCTION", False) or bool(
        getattr(settings, "YINGSHANG_ALLOW_SANDBOX", False)
    )


@dataclass(frozen=True)
class SandboxState:
    """What the sandbox row says, and the domain time it gives at ``wall``."""

    enabled: bool
    factor: Decimal
    anchor_wall: datetime | None
    anchor_domain: datetime | None
    updated_at: datetime | None
    updated_by: str
    reason: str
    wall: datetime
    domain: datetime


def _clock_for(row: ClockSetting | None, *, wall: Callable[[], datetime]) -> clock.Clock:
    if row is None or not row.enabled or row.anchor_wall is None or row.anchor_domain is None:
        return _WallClock(wall)
    if not sandbox_allowed():
        logger.error("The clock sandbox is enabled in the database but not allowed here; ignoring it.")
        return _WallClock(wall)
    return clock.SandboxClock(row.anchor_wall, row.anchor_domain, row.factor, wall=wall)


class _WallClock:
    def __init__(self, wall: Callable[[], datetime]) -> None:
        self._wall = wall

    def now(self) -> datetime:
        return self._wall()


def _read_row() -> ClockSetting | None:
    return ClockSetting.objects.filter(pk=ClockSetting.SINGLETON_ID).first()


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class DatabaseClock:
    """The domain clock of a running platform: the sandbox row, cached for ``cache_seconds``.

    Construction touches no database (it is installed in ``AppConfig.ready()``); the row is read
    on the first :meth:`now` and again once ``cache_seconds`` of real time have passed (measured
    by ``timer``, :func:`time.monotonic` by default). Before the kernel's tables exist (during the
    first ``migrate``) it is the wall clock. ``wall`` and ``timer`` are injectable for tests.
    """

    def __init__(
        self,
        *,
        cache_seconds: float = CACHE_SECONDS,
        wall: Callable[[], datetime] = clock.wall_now,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache_seconds = cache_seconds
        self._wall = wall
        self._timer = timer
        self._lock = threading.Lock()
        self._cached: clock.Clock | None = None
        self._read_at = 0.0
        self._table_ready = False
        self._executor: ThreadPoolExecutor | None = None
        self._loading = False

    def now(self) -> datetime:
        return self.current().now()

    def current(self) -> clock.Clock:
        """The clock the row describes, read again when the cached one is too old.

        Never holds its lock while it waits for the database: one caller reads the row while the
        others go on with the clock read before (a few seconds old at most). In an event loop (an
        async view, the bid chunk endpoint) a stale clock is refreshed in a helper thread without
        waiting; only the very first read, with nothing cached, waits. So a surge that has taken
        every pooled connection cannot leave threads waiting on the clock while the clock waits
        for a connection."""
        moment = self._timer()
        with self._lock:
            cached = self._cached
            if cached is not None and (moment - self._read_at < self.cache_seconds or self._loading):
                return cached
            self._loading = True
        if cached is not None and _in_event_loop():
            self._refresh_in_background(moment)
            return cached
        try:
            loaded = self._load()
        except BaseException:
            with self._lock:
                self._loading = False
            raise
        with self._lock:
            self._cached, self._read_at, self._loading = loaded, moment, False
        return loaded

    def invalidate(self) -> None:
        """Forget the cached row: the next :meth:`now` reads the database."""
        with self._lock:
            self._cached = None

    def _helper(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yingshang-clock")
            return self._executor

    def _refresh_in_background(self, moment: float) -> None:
        def refresh() -> None:
            try:
                loaded: clock.Clock | None = self._read_in_helper()
            except Exception:
                loaded = None  # the stale clock stays; the next call tries again
            with self._lock:
                if loaded is not None:
                    self._cached, self._read_at = loaded, moment
                self._loading = False

        self._helper().submit(refresh)

    def _read_in_helper(self) -> clock.Clock:
        try:
            return self._load_here()
        finally:
            close_old_connections()  # give a pooled connection back at once

    def _load(self) -> clock.Clock:
        try:
            return self._load_here()
        except SynchronousOnlyOperation:
            # Called from an event loop (an async view): read in a helper thread instead.
            return self._helper().submit(self._read_in_helper).result()

    def _load_here(self) -> clock.Clock:
        if not self._table_ready:
            self._table_ready = ClockSetting._meta.db_table in connection.introspection.table_names()
            if not self._table_ready:
                return _WallClock(self._wall)
        return _clock_for(_read_row(), wall=self._wall)

    def __repr__(self) -> str:
        return f"DatabaseClock(cache_seconds={self.cache_seconds})"


def default_clock() -> clock.Clock:
    """The clock the kernel app installs: the database-backed one, or the system clock in tests.

    Tests choose their clock explicitly (``clock.use(FixedClock(...))``, or a
    :class:`DatabaseClock` of their own); a process-wide cached row would leak between tests
    whose transactions roll back, and its occasional read would make query counts flaky.
    """
    if getattr(settings, "TESTING", False):
        return clock.SystemClock()
    return DatabaseClock()


def _invalidate_installed() -> None:
    installed = clock.installed()
    if isinstance(installed, DatabaseClock):
        installed.invalidate()


def sandbox_state() -> SandboxState:
    """The sandbox row (or its defaults when there is none) and the domain time it gives now."""
    return _state(_read_row(), wall=clock.wall_now())


def _state(row: ClockSetting | None, *, wall: datetime) -> SandboxState:
    domain = _clock_for(row, wall=lambda: wall).now()
    if row is None:
        return SandboxState(False, Decimal(1), None, None, None, "", "", wall, domain)
    return SandboxState(
        enabled=row.enabled,
        factor=row.factor,
        anchor_wall=row.anchor_wall,
        anchor_domain=row.anchor_domain,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        reason=row.reason,
        wall=wall,
        domain=domain,
    )


def _locked_row() -> ClockSetting:
    row, _created = ClockSetting.objects.select_for_update().get_or_create(
        pk=ClockSetting.SINGLETON_ID, defaults={"updated_at": clock.wall_now()}
    )
    return row


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for changing the domain clock."), code="reason_required")
    return reason[:500]


def _parse_factor(factor: Decimal | int | str) -> Decimal:
    if isinstance(factor, bool | float):
        raise TypeError("give the factor as a Decimal, int or str, not a float")
    try:
        value = Decimal(factor)
    except (InvalidOperation, TypeError, ValueError):
        value = Decimal("NaN")
    if (
        not value.is_finite()
        or value <= 0
        or value > MAX_FACTOR
        or value != value.quantize(Decimal("0.0001"))
    ):
        raise InvalidInput(
            _("The factor must be a number above 0 and at most %(max)s, with at most four decimal places."),
            code="invalid_factor",
            max=MAX_FACTOR,
        )
    return value


def set_sandbox(
    *,
    factor: Decimal | int | str,
    domain_now: datetime | None = None,
    reason: str,
    updated_by: str = "",
) -> SandboxState:
    """Run the domain clock ``factor`` times as fast as the wall clock from now on.

    The domain time continues from where it is, or jumps to ``domain_now`` (aware) when given;
    it never moves backwards (:class:`RuleViolation`: reset the sandbox first). Refused in
    production unless allowed (:class:`PermissionDenied`). Every process sees the change within
    :data:`CACHE_SECONDS`; this one as soon as the transaction commits.
    """
    if not sandbox_allowed():
        raise PermissionDenied(
            _("The clock sandbox is switched off in production (set YINGSHANG_ALLOW_SANDBOX=1 to allow it)."),
            code="sandbox_not_allowed",
        )
    value = _parse_factor(factor)
    why = _require_reason(reason)
    if domain_now is not None and (domain_now.tzinfo is None or domain_now.utcoffset() is None):
        raise InvalidInput(_("Give the domain time with its time zone."), code="naive_datetime")
    with transaction.atomic():
        row = _locked_row()
        wall = clock.wall_now()
        current = _clock_for(row, wall=lambda: wall).now()
        target = current if domain_now is None else domain_now
        if target < current:
            raise RuleViolation(
                _(
                    "The domain clock cannot move backwards (it is already %(current)s); reset the "
                    "sandbox first."
                ),
                code="clock_backwards",
                current=clock.to_shanghai(current).isoformat(timespec="seconds"),
            )
        logger.warning(
            "Clock sandbox set by %s: factor %s, domain time %s at wall time %s (%s)",
            updated_by or "?",
            value,
            target.isoformat(),
            wall.isoformat(),
            why,
        )
        return _save(row, wall=wall, factor=value, anchor_domain=target, updated_by=updated_by, reason=why)


def reset_sandbox(*, reason: str, updated_by: str = "") -> SandboxState:
    """Return to real time: the domain clock equals the wall clock again (it may jump back)."""
    why = _require_reason(reason)
    with transaction.atomic():
        row = _locked_row()
        wall = clock.wall_now()
        logger.warning("Clock sandbox reset by %s (%s)", updated_by or "?", why)
        return _save(row, wall=wall, factor=None, anchor_domain=None, updated_by=updated_by, reason=why)


def _save(
    row: ClockSetting,
    *,
    wall: datetime,
    factor: Decimal | None,
    anchor_domain: datetime | None,
    updated_by: str,
    reason: str,
) -> SandboxState:
    """Write the row: enabled with ``factor`` from ``anchor_domain`` at ``wall``, or (None) disabled."""
    row.enabled = factor is not None
    row.factor = factor if factor is not None else Decimal(1)
    row.anchor_wall = wall if factor is not None else None
    row.anchor_domain = anchor_domain
    row.updated_at = wall
    row.updated_by = updated_by[:150]
    row.reason = reason
    row.save()
    # This process re-reads at once after the commit; the others within CACHE_SECONDS.
    transaction.on_commit(_invalidate_installed)
    return _state(row, wall=wall)
