"""The sandbox: a whole tender timeline rehearsed in minutes on the accelerated domain clock.

The domain clock is the platform's own (``kernel.sandbox.DatabaseClock``, the row every process
shares), running 10,000 times as fast as the wall clock; the wall clock it reads is injected and
advanced by hand, so the test never sleeps. The chronograph's tick applies what falls due, as it
does in ``make run``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from yingshang.kernel import clock, sandbox
from yingshang.kernel.statutory import SHANGHAI
from yingshang.ops import chronograph
from yingshang.trading.projects import services, states
from yingshang.trading.projects.models import Tender
from yingshang.trading.projects.tests.factories import Cast, draft_tender, good_timeline, with_timeline

pytestmark = pytest.mark.django_db

#: A Monday 09:00 in a year ahead (the sandbox only moves domain time forwards).
REHEARSAL = datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)
FACTOR = 10_000
TICK = timedelta(seconds=10)  # of wall time: 100,000 s (about 28 hours) of domain time


def test_a_whole_timeline_is_rehearsed_in_minutes_on_the_sandbox_clock() -> None:
    sandbox.set_sandbox(factor=FACTOR, domain_now=REHEARSAL, reason="培训演练 / training rehearsal")
    wall = clock.FixedClock(clock.wall_now())
    domain = sandbox.DatabaseClock(cache_seconds=0, wall=wall.now)
    with clock.use(domain):
        cast = Cast.make()
        timeline = good_timeline(REHEARSAL)
        draft = with_timeline(cast, draft_tender(cast), timeline)
        tender = services.publish_tender(
            principal=cast.agency,
            tender_id=draft.pk,
            expected_version=draft.version,
            title="金城市滨河路综合改造工程施工招标公告（演练）",
            body="本公告用于交易中心业务培训演练。",
        )
        assert tender.status == states.PUBLISHED
        assert tender.bid_deadline == timeline["bid_deadline"]
        closed_at = deadline_at = None
        ticks = 0
        while ticks < 30 and deadline_at is None:
            wall.advance(TICK)
            ticks += 1
            now = clock.now()
            result = chronograph.tick(now)
            assert not result.failed, result.failed
            tender = Tender.objects.get(pk=tender.pk)
            if tender.documents_closed and closed_at is None:
                closed_at = now
            # At the deadline the projects job closes the tender for bids; in the same tick the
            # opening hall's job finds no bid and fails it for re-tender (T7).
            if tender.status in (states.BID_DEADLINE_PASSED, states.FAILED):
                deadline_at = now
    # 22 domain days went by in a few minutes of (injected) wall time
    assert ticks * TICK < timedelta(minutes=4)
    assert tender.status == states.FAILED and Tender.objects.filter(previous=tender).exists()
    assert closed_at is not None and deadline_at is not None
    documents_until, bid_deadline = timeline["documents_until"], timeline["bid_deadline"]
    assert documents_until is not None and bid_deadline is not None
    step = TICK * FACTOR
    # each transition happened at the first tick on or after its moment, not before
    assert documents_until <= closed_at < documents_until + step
    assert bid_deadline <= deadline_at < bid_deadline + step
