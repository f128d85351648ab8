"""The chronograph: one loop that applies what has fallen due.

Every tick it calls each job named in ``settings.CHRONOGRAPH_JOBS`` (dotted paths to
functions ``job(*, now: datetime) -> int``, returning how many things they moved) with the
domain time, each job isolated from the others' failures. Contexts add their jobs there:
deadlines reached, publicity over, SLA overdue, notifications released after quiet hours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

Job = Callable[..., int]


@dataclass(frozen=True)
class TickResult:
    now: datetime
    moved: dict[str, int]
    failed: dict[str, str]


def jobs() -> list[tuple[str, Job]]:
    return [(path, import_string(path)) for path in settings.CHRONOGRAPH_JOBS]


def tick(now: datetime) -> TickResult:
    moved: dict[str, int] = {}
    failed: dict[str, str] = {}
    for path, job in jobs():
        try:
            moved[path] = int(job(now=now) or 0)
        except Exception as exc:
            logger.exception("chronograph job %s failed", path)
            failed[path] = f"{type(exc).__name__}: {exc}"
    return TickResult(now=now, moved=moved, failed=failed)
