"""Fixtures: a fixed clock at the projects factories' start and a published tender."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yingshang.identity.testing import make_user
from yingshang.kernel import clock
from yingshang.trading.documents.tests.helpers import World
from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender


@pytest.fixture
def fixed() -> Iterator[clock.FixedClock]:
    with at(START) as fixed_clock:
        yield fixed_clock


@pytest.fixture
def world(fixed: clock.FixedClock) -> World:
    cast = Cast.make()
    tender = published_tender(cast)
    return World(
        cast=cast, tender_id=tender.pk, bidder=cast.bidder_user, other_bidder=make_user(roles=["bidder"])
    )
