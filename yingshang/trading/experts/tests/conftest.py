from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from yingshang.kernel import clock
from yingshang.trading.projects import facade as projects
from yingshang.trading.projects.models import Tender
from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender


@dataclass
class Setting:
    cast: Cast
    tender: Tender
    lot_id: int
    fixed: clock.FixedClock


@pytest.fixture
def setting(db: None) -> Iterator[Setting]:
    with at(START) as fixed:
        cast = Cast.make()
        tender = published_tender(cast)
        lot_id = projects.tender_summary(tender.pk).lot_ids[0]
        yield Setting(cast=cast, tender=tender, lot_id=lot_id, fixed=fixed)
