"""Quiet hours and retry back-off. Pure: no Django.

Quiet hours are a daily window of local time (``"22:00-07:00"``, Asia/Shanghai by default)
that may span midnight. A non-urgent message created inside it waits until the window ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Delivery attempts before a message is given up as failed.
MAX_ATTEMPTS = 6
#: The first retry waits this long; each next one twice as long, up to :data:`MAX_RETRY_DELAY`.
FIRST_RETRY_DELAY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo = SHANGHAI

    def until(self, moment: datetime) -> datetime | None:
        """The end of the quiet window ``moment`` falls in (aware, UTC), or ``None`` outside it."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        local = moment.astimezone(self.zone)
        clock_time = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside = self.start <= clock_time < self.end
            end_day = local.date()
        else:  # the window spans midnight
            inside = clock_time >= self.start or clock_time < self.end
            end_day = local.date() if clock_time < self.end else local.date() + timedelta(days=1)
        if not inside:
            return None
        return datetime.combine(end_day, self.end, tzinfo=self.zone).astimezone(moment.tzinfo)


def _parse_time(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def parse_quiet_hours(spec: str | None, zone: ZoneInfo = SHANGHAI) -> QuietHours | None:
    """``"22:00-07:00"`` -> :class:`QuietHours`; ``""``, ``"off"`` or equal ends -> ``None``.

    Raises ``ValueError`` for anything else, naming the expected form.
    """
    if spec is None or spec.strip().lower() in {"", "off", "none"}:
        return None
    try:
        start_text, end_text = spec.split("-")
        start, end = _parse_time(start_text), _parse_time(end_text)
    except ValueError as exc:
        raise ValueError(f"quiet hours must look like 22:00-07:00, not {spec!r}") from exc
    if start == end:
        return None
    return QuietHours(start=start, end=end, zone=zone)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1, 2, 4 ... minutes, at most 1 h)."""
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    return min(FIRST_RETRY_DELAY * 2 ** (attempts - 1), MAX_RETRY_DELAY)
