"""Builders for other contexts' tests: a seated committee through the real services and the real
draws context (the beacon is forced with one pass of the ledger sequencer). Nothing is mocked."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from django.test import override_settings

from yingshang.identity import facade as identity
from yingshang.identity.testing import make_user, new_uscc
from yingshang.kernel import clock
from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.trading.experts import services, states
from yingshang.trading.experts.contracts import Committee
from yingshang.trading.experts.models import Expert, Seat

if TYPE_CHECKING:
    from yingshang.identity.facade import User

__all__ = ["make_expert", "seat_committee"]

_serial = itertools.count(1)


def make_expert(
    *,
    user: User | None = None,
    name: str | None = None,
    region: str = "620100",
    specialties: Sequence[str] = ("A0101",),
    employer_uscc: str | None = None,
    approved: bool = True,
) -> Expert:
    """An expert (approved by default) straight into the pool through the services."""
    staff = make_user(roles=["centre_staff"])
    principal = identity.principal_for_user(staff)
    expert = services.register_expert(
        principal=principal,
        data=services.ExpertInput(
            name=name or f"测试专家{next(_serial)}",
            region=region,
            specialties=tuple(specialties),
            employer_uscc=employer_uscc if employer_uscc is not None else new_uscc(),
            employer_name="测试单位",
            titles=("高级工程师",),
        ),
        user_id=user.pk if user is not None else None,
    )
    if approved:
        expert = services.review_expert(principal=principal, code=expert.code, approve=True)
    return expert


def seat_committee(
    *, tender_id: int, lot_id: int, experts: int = 5, users: Sequence[User] | None = None
) -> Committee:
    """A complete committee of ``experts`` confirmed experts for the lot (each linked to one of
    ``users``, or to new expert accounts), drawn with the real draws context."""
    if users is not None and len(users) != experts:
        raise ValueError("give one user per expert")
    accounts = list(users) if users is not None else [make_user(roles=["expert"]) for _ in range(experts)]
    # a region of its own, so that only these experts are eligible and all of them are drawn
    region = f"99{next(_serial) % 1000:03d}1"
    for user in accounts:
        existing = Expert.objects.filter(user=user).first()
        if existing is None:
            make_expert(user=user, region=region, specialties=("A0101",))
        else:
            Expert.objects.filter(pk=existing.pk).update(region=region, status=states.APPROVED)
    staff = make_user(roles=["centre_staff"])
    principal = identity.principal_for_user(staff)
    # the same users may sit on several lots of one tenderer in a test: no repeat window here
    with override_settings(EXPERT_REPEAT_WINDOW_DAYS=0):
        _draw(principal, tender_id=tender_id, lot_id=lot_id, experts=experts, region=region)
    from yingshang.trading.experts import facade  # the facade sits above this module's helpers

    return facade.committee(tender_id, lot_id)


def _draw(principal: Principal, *, tender_id: int, lot_id: int, experts: int, region: str) -> None:
    services.state_need(
        principal=principal,
        tender_id=tender_id,
        lot_id=lot_id,
        rows=[services.RowInput(specialty="A01", count=experts, regions=(region,))],
        representatives=0,
        evaluation_at=clock.now() + timedelta(days=1),
    )
    services.start_draw(principal=principal, tender_id=tender_id, lot_id=lot_id)
    ledger.sequence_once()  # the beacon: the first signed checkpoint after the commitment
    services.complete_due(now=clock.now())
    for seat in Seat.objects.filter(need__tender_id=tender_id, need__lot_id=lot_id, status=states.INVITED):
        user = identity.get_user(int(seat.user_id))  # type: ignore[arg-type]
        services.accept(principal=identity.principal_for_user(user), seat_id=seat.pk, no_conflict=True)
