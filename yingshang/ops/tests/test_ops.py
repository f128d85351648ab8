from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django_tasks_db.models import DBTaskResult

from yingshang.kernel import clock
from yingshang.kernel import keys as platform_keys
from yingshang.ops import chronograph, services
from yingshang.ops.contracts import STALE_AFTER
from yingshang.ops.selectors import health
from yingshang.ops.tests import jobs

JOBS = ["yingshang.ops.tests.jobs.record_now", "yingshang.ops.tests.jobs.broken"]


@pytest.mark.django_db
def test_healthz_reports_database_and_absent_processes(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["worker"]["status"] == "absent"
    assert body["chronograph"]["status"] == "absent"
    assert body["sequencer"] == {"status": "absent", "last_seen": None}


@pytest.mark.django_db
def test_worker_heartbeat_turns_stale_after_thirty_seconds() -> None:
    beat_at = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    services.beat(kind="worker", started_at=beat_at, now=beat_at)
    report = health()
    # Health reads the wall clock: a beat two hours old (relative to the real now) is stale.
    assert report.worker.status == "stale"
    services.beat(kind="worker", started_at=beat_at)
    assert health().worker.status == "ok"


@pytest.mark.django_db
def test_api_health_has_the_same_document(client: Client) -> None:
    services.beat(kind="chronograph", started_at=datetime.now(UTC))
    services.beat(kind="sequencer", started_at=datetime.now(UTC))
    body = client.get("/api/v1/system/health").json()
    assert body["chronograph"]["status"] == "ok"
    assert body["sequencer"]["status"] == "ok"
    assert body["worker"]["status"] == "absent"


@override_settings(CHRONOGRAPH_JOBS=JOBS)
def test_chronograph_tick_runs_every_job_with_the_domain_time_and_isolates_failures() -> None:
    moment = datetime(2027, 2, 5, 16, 0, tzinfo=UTC)
    jobs.SEEN.clear()
    with clock.use(clock.FixedClock(moment)):
        result = chronograph.tick(clock.now())
    assert jobs.SEEN == [moment]
    assert result.moved == {JOBS[0]: 1}
    assert "this job always fails" in result.failed[JOBS[1]]


@pytest.mark.django_db
@override_settings(CHRONOGRAPH_JOBS=JOBS[:1])
def test_chronograph_command_once_beats_and_ticks() -> None:
    jobs.SEEN.clear()
    out = StringIO()
    call_command("chronograph", once=True, stdout=out)
    assert len(jobs.SEEN) == 1
    assert health().chronograph.status == "ok"


@pytest.mark.django_db(transaction=True)
def test_worker_runs_queued_tasks_and_beats() -> None:
    result = jobs.add.enqueue(2, 3)
    assert DBTaskResult.objects.ready().count() == 1
    call_command("worker", batch=True, startup_delay=False, interval=0, verbosity=0)
    assert jobs.add.get_result(result.id).return_value == 5
    assert health().worker.status == "ok"
    assert health().queued_tasks == 0


def test_signing_key_is_created_owner_only_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_path = tmp_path / "keys" / "signing.pem"
    monkeypatch.setenv("YINGSHANG_SIGNING_KEY_PATH", str(key_path))
    platform_keys.platform_signing_key.cache_clear()
    try:
        first = platform_keys.ensure_signing_key()
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        assert key_path.with_suffix(".pub.pem").read_text() == first.public_pem
        second = platform_keys.ensure_signing_key()
        assert second.key_id == first.key_id
        signature = platform_keys.platform_signing_key().sign(b"checkpoint")
        platform_keys.platform_signing_key().public_key().verify(signature, b"checkpoint")
    finally:
        platform_keys.platform_signing_key.cache_clear()


def test_signing_key_readable_by_others_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_path = tmp_path / "signing.pem"
    monkeypatch.setenv("YINGSHANG_SIGNING_KEY_PATH", str(key_path))
    platform_keys.platform_signing_key.cache_clear()
    try:
        platform_keys.ensure_signing_key()
        os.chmod(key_path, 0o644)
        platform_keys.platform_signing_key.cache_clear()
        with pytest.raises(PermissionError, match="readable by others"):
            platform_keys.platform_signing_key()
    finally:
        platform_keys.platform_signing_key.cache_clear()


def test_stale_threshold_is_thirty_seconds() -> None:
    assert STALE_AFTER == timedelta(seconds=30)
