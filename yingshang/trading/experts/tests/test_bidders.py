"""Experts employed by (or tied to) a lot's bidders are excluded: the bidders come from the real
bids context after the deadline (real certificates, real sealed bids, nothing mocked)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from yingshang.kernel import clock
from yingshang.pki import Vendor
from yingshang.trading.bids.tests.builders import PKI_NOW, trust
from yingshang.trading.experts import services
from yingshang.trading.experts.testing import make_expert
from yingshang.trading.opening.tests.builders import Hall
from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(settings, tmp_path):
    settings.YINGSHANG = {**settings.YINGSHANG, "BID_CHUNK_BYTES": 64 * 1024}
    settings.KEYS_DIR = tmp_path / "keys"
    vendor = Vendor.create("金城CA", now=PKI_NOW, region="金城市")
    with at(START) as fixed:
        trust(vendor)
        cast = Cast.make()
        tender = published_tender(cast)
        yield Hall(cast, tender, tender.lots.get().pk, vendor, fixed, tmp_path)


def test_bidders_employees_and_relations_are_excluded(hall) -> None:
    entrants = [hall.add_bidder() for _ in range(3)]
    hall.to_deadline()
    employed = make_expert(region="620102", employer_uscc=entrants[0].bidder.organisation.uscc)
    related = make_expert(region="620102")
    services.add_relationship(
        principal=hall.cast.staff,
        code=related.code,
        organisation_uscc=entrants[1].bidder.organisation.uscc,
        kind="shareholder",
        until=date(2030, 1, 1),
    )
    conflicted = make_expert(region="620102")
    services.declare_conflict(
        principal=hall.cast.staff,
        code=conflicted.code,
        organisation_uscc=entrants[2].bidder.organisation.uscc,
        reason="亲属任职",
    )
    free = [make_expert(region="620102") for _ in range(5)]
    need = services.state_need(
        principal=hall.cast.agency,
        tender_id=hall.tender.pk,
        lot_id=hall.lot_id,
        rows=[services.RowInput(specialty="A01", count=5, regions=("620102",))],
        representatives=0,
        evaluation_at=clock.now() + timedelta(days=1),
    )
    bidders, tenderers = services._parties(need)
    assert bidders == {e.bidder.organisation.uscc for e in entrants}
    assert hall.cast.tenderer_org.uscc in tenderers
    found = services.eligibility_for(need.rows.get(), bidders=bidders, tenderers=tenderers)
    assert found.excluded == {
        employed.code: "employed_by_bidder",
        related.code: "relationship",
        conflicted.code: "declared_conflict",
    }
    assert set(found.eligible) == {e.code for e in free}
