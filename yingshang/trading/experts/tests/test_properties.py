"""Property: whatever the pool, the draw is reproducible from its revealed record and never
contains an excluded expert."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yingshang.draws import facade as draws
from yingshang.kernel import clock
from yingshang.kernel.draws import verify
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject, Visibility
from yingshang.trading.experts import rules

AT = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
BIDDER = "91620100MA00000001"
TENDERER = "91620100MA00000002"
OTHER = "91620100MA00000003"

candidates = st.builds(
    rules.Candidate,
    code=st.integers(0, 10**6).map(lambda i: f"EX-{i:06d}"),
    approved=st.booleans(),
    blacklisted=st.booleans(),
    suspended_until=st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2026, 12, 31))),
    specialties=st.lists(
        st.sampled_from(["A0101", "A0201", "B01", "C01", "D01"]), min_size=1, max_size=2
    ).map(tuple),
    region=st.sampled_from(["620102", "620103", "110101"]),
    employer_uscc=st.sampled_from([BIDDER, TENDERER, OTHER, ""]),
    relationships=st.lists(
        st.tuples(
            st.sampled_from([BIDDER, OTHER]),
            st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2026, 12, 31))),
        ),
        max_size=1,
    ).map(tuple),
    conflicts=st.lists(st.sampled_from([BIDDER, TENDERER, OTHER]), max_size=1).map(tuple),
    unavailable=st.lists(
        st.integers(-10, 10).map(lambda d: (AT + timedelta(days=d), AT + timedelta(days=d + 2))), max_size=1
    ).map(tuple),
    last_drawn_for_tenderer=st.one_of(st.none(), st.integers(1, 200).map(lambda d: AT - timedelta(days=d))),
)


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pool=st.lists(candidates, min_size=1, max_size=40, unique_by=lambda c: c.code),
    specialty=st.sampled_from(["A", "A01", "B", "C01"]),
    k=st.integers(1, 5),
)
def test_draw_is_reproducible_and_excludes_the_excluded(pool, specialty, k) -> None:
    need = rules.Need(
        specialty=specialty,
        regions=("620100",),
        evaluation_at=AT,
        bidder_usccs=frozenset({BIDDER}),
        tenderer_usccs=frozenset({TENDERER}),
        repeat_window_days=90,
    )
    found = rules.eligibility(pool, need)
    assert set(found.eligible) | set(found.excluded) == {c.code for c in pool}
    assert sum(found.counts().values()) == len(found.excluded)
    assert list(found.eligible) == sorted(found.eligible)
    if len(found.eligible) < k:
        return
    with clock.use(clock.FixedClock(AT - timedelta(days=2))):
        summary = draws.prepare_draw(
            actor=Actor.system("test"),
            purpose="expert_draw",
            subject=Subject("trading", "expert_need", "1:1"),
            eligible=list(found.eligible),
            k=k,
            parameters={"specialty": specialty, "excluded": found.counts()},
            visibility=Visibility.public(),
        )
        ledger.sequence_once()
        performed = draws.perform_draw(draw_id=summary.public_id)
    assert performed is not None and performed.result is not None
    record = json.loads(json.dumps(draws.public_record(summary.public_id).as_json()))
    assert verify(record).result == performed.result
    assert not set(performed.result) & set(found.excluded)
    assert len(set(performed.result)) == k


def test_specialty_tree_and_regions() -> None:
    base = rules.Candidate(
        code="EX-1",
        approved=True,
        blacklisted=False,
        suspended_until=None,
        specialties=("A0101",),
        region="620102",
        employer_uscc="",
    )
    for needed, ok in (("A", True), ("A01", True), ("A0101", True), ("A02", False), ("A010", True)):
        need = rules.Need(
            specialty=needed,
            regions=(),
            evaluation_at=AT,
            bidder_usccs=frozenset(),
            tenderer_usccs=frozenset(),
            repeat_window_days=90,
        )
        assert (rules.exclusion_reason(base, need) is None) is ok
    for regions, ok in (
        (("620000",), True),
        (("620100",), True),
        (("620102",), True),
        (("620103",), False),
        (("110000",), False),
    ):
        need = rules.Need(
            specialty="A",
            regions=regions,
            evaluation_at=AT,
            bidder_usccs=frozenset(),
            tenderer_usccs=frozenset(),
            repeat_window_days=90,
        )
        assert (rules.exclusion_reason(base, need) is None) is ok


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"approved": False}, "not_approved"),
        ({"blacklisted": True}, "blacklisted"),
        ({"suspended_until": date(2026, 6, 1)}, "suspended"),
        ({"specialties": ("C01",)}, "specialty"),
        ({"region": "110101"}, "region"),
        ({"unavailable": ((AT - timedelta(hours=1), AT + timedelta(hours=1)),)}, "unavailable"),
        ({"employer_uscc": BIDDER}, "employed_by_bidder"),
        ({"employer_uscc": TENDERER}, "employed_by_tenderer"),
        ({"relationships": ((BIDDER, date(2026, 7, 1)),)}, "relationship"),
        ({"conflicts": (BIDDER,)}, "declared_conflict"),
        ({"last_drawn_for_tenderer": AT - timedelta(days=30)}, "recent_draw"),
        ({"code": "EX-DRAWN"}, "already_drawn"),
        ({"relationships": ((BIDDER, date(2026, 5, 1)),)}, None),  # ended before the evaluation
        ({"last_drawn_for_tenderer": AT - timedelta(days=91)}, None),
        ({"suspended_until": date(2026, 5, 31)}, None),
    ],
)
def test_each_exclusion_reason(change, reason) -> None:
    values: dict[str, Any] = {
        "code": "EX-1",
        "approved": True,
        "blacklisted": False,
        "suspended_until": None,
        "specialties": ("A0101",),
        "region": "620102",
        "employer_uscc": OTHER,
    }
    values.update(change)
    need = rules.Need(
        specialty="A01",
        regions=("620100",),
        evaluation_at=AT,
        bidder_usccs=frozenset({BIDDER}),
        tenderer_usccs=frozenset({TENDERER}),
        repeat_window_days=90,
        already_drawn=frozenset({"EX-DRAWN"}),
    )
    assert rules.exclusion_reason(rules.Candidate(**values), need) == reason
