"""Test-wide settings: the suite runs against whatever DATABASE_URL names (SQLite by default).

Two markers split tests between the two passes of CI instead of skipping them:
``postgresql`` tests exercise PostgreSQL's own features (roles, commit order, advisory locks)
and run in the PostgreSQL pass; ``sqlite`` tests bring their own SQLite database (process
tests) and run in the SQLite pass only, so the PostgreSQL pass does not repeat them. The other
pass deselects them (pytest reports them as deselected, not skipped).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("YINGSHANG_TESTING", "1")


def on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs only when DATABASE_URL is PostgreSQL")
    config.addinivalue_line("markers", "sqlite: runs only in the SQLite pass")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unwanted = "sqlite" if on_postgresql() else "postgresql"
    deselected = [item for item in items if item.get_closest_marker(unwanted)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker(unwanted)]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the documents this test process stored (settings put them in a folder of its own)."""
    import shutil

    from django.conf import settings

    shutil.rmtree(settings.VAR_DIR / f"test-media-{os.getpid()}", ignore_errors=True)
    shutil.rmtree(settings.VAR_DIR / f"test-staging-{os.getpid()}", ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_language_carried_over():
    """A request in English leaves English active in the thread (Django's LocaleMiddleware does
    not reset it); each test starts from the default language instead of the previous test's."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def platform_clock():
    """The domain clock of the whole process (a live server's threads included), fixed at the
    projects test factories' ``START`` and restored after: for tests against a live server."""
    from yingshang.kernel import clock
    from yingshang.trading.projects.tests.factories import START

    fixed = clock.FixedClock(START)
    previous = clock.installed()
    clock.install(fixed)
    try:
        yield fixed
    finally:
        clock.install(previous)
