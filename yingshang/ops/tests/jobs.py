"""Chronograph jobs and a task used by the ops tests (real functions, not mocks)."""

from __future__ import annotations

from datetime import datetime

from django_tasks import task

SEEN: list[datetime] = []


def record_now(*, now: datetime) -> int:
    SEEN.append(now)
    return 1


def broken(*, now: datetime) -> int:
    raise RuntimeError("this job always fails")


@task()
def add(a: int, b: int) -> int:
    return a + b
