"""The demo hook: documents, receipts and a Q&A along a tender's timeline; idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yingshang.kernel import clock
from yingshang.trading.documents import facade
from yingshang.trading.documents.models import DocumentVersion, DownloadReceipt, Question
from yingshang.trading.documents.tests.helpers import World

pytestmark = pytest.mark.django_db


def test_the_demo_follows_the_timeline_and_runs_once(world: World, fixed: clock.FixedClock) -> None:
    until = clock.now() + timedelta(days=10)
    assert facade.ensure_demo_documents(world.tender_id, until=until) is True
    assert [v.kind for v in DocumentVersion.objects.order_by("number")] == ["original", "clarification"]
    assert DownloadReceipt.objects.filter(tender_id=world.tender_id).exists()
    assert Question.objects.get().status == Question.Status.ANSWERED
    assert facade.ensure_demo_documents(world.tender_id, until=until) is False
    assert DocumentVersion.objects.count() == 2


def test_steps_in_the_future_are_left_out(world: World, fixed: clock.FixedClock) -> None:
    assert facade.ensure_demo_documents(world.tender_id) is True  # until = now: before the period
    assert DocumentVersion.objects.count() == 1 and not DownloadReceipt.objects.exists()
    assert facade.load_documents_demo() == 0
