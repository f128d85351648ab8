"""Demo awards (idempotent): lots in publicity and lots awarded, through the real services.

Steps of an awarded lot happen at the times the law allows, each under a fixed domain clock:
publicity from one hour after the report was received, the award one hour after the shortest
publicity has ended. A step whose time is still in the future is not taken (the lot stays in
publicity): the demo's evaluation must have finished about a week before for an awarded lot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from yingshang.identity import facade as identity
from yingshang.kernel import clock
from yingshang.ledger.contracts import Actor
from yingshang.trading.award import rules, services, states
from yingshang.trading.award.models import Award

DEMO_ACTOR = Actor.system("demo")


def ensure_demo_awards(
    *,
    agency_user_id: int,
    publicity: Sequence[tuple[int, int]] = (),
    awarded: Sequence[tuple[int, int]] = (),
) -> list[int]:
    """Award ids of the given (tender_id, lot_id) lots: ``publicity`` ones published now (if not
    yet), ``awarded`` ones published and awarded to the first-ranked candidate at lawful past
    times. The agency user acts for the tenderer. Running it again changes nothing."""
    principal = identity.principal_for_user(identity.get_user(agency_user_id))
    ids = []
    for tender_id, lot_id in publicity:
        award = services.ensure_award(tender_id, lot_id)
        if award.status == states.RECEIVED and rules.has_publicity(award.regime):
            award = services.open_publicity(principal=principal, award_id=award.pk)
        ids.append(award.pk)
    for tender_id, lot_id in awarded:
        award = services.ensure_award(tender_id, lot_id)
        ids.append(_award(principal, award).pk)
    return ids


def _award(principal: identity.Principal, award: Award) -> Award:
    now = clock.now()
    if award.status == states.RECEIVED and rules.has_publicity(award.regime):
        at = award.received_at + timedelta(hours=1)
        if at > now:
            return award
        with clock.use(clock.FixedClock(at)):
            award = services.open_publicity(principal=principal, award_id=award.pk)
    if award.status == states.PUBLICITY:
        assert award.publicity_ends_at is not None
        if award.publicity_ends_at > now:
            return award
        services.end_due_publicity(award.publicity_ends_at, award_id=award.pk)
        award.refresh_from_db()
    if award.status in (states.PUBLICITY_ENDED, states.RECEIVED):
        at = (award.publicity_ends_at or award.received_at) + timedelta(hours=1)
        if at > now:
            return award
        with clock.use(clock.FixedClock(at)):
            award = services.decide_award(principal=principal, award_id=award.pk, rank=1)
    return award
