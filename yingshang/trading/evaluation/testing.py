"""Builders for other contexts' tests (award): a finished evaluation with real services.

    from yingshang.trading.evaluation.testing import finished_evaluation
    report = finished_evaluation(tender_id=tender.pk, lot_id=lot_id)

The lot's opening must have finished (opening tests' builders, or
``opening.facade.ensure_demo_opening``). A committee of five is seated with the experts'
``testing.seat_committee`` when the lot has none; the organiser is a user of the tender's agency
(or a new centre-staff user). Scores are deterministic (``demo.run_evaluation``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yingshang.identity import facade as identity
from yingshang.kernel.errors import NotFound
from yingshang.trading.evaluation import facade
from yingshang.trading.evaluation.contracts import EvaluationReport
from yingshang.trading.evaluation.demo import run_evaluation
from yingshang.trading.experts import facade as experts
from yingshang.trading.projects import facade as projects


def organiser_for(tender_id: int) -> int:
    tender = projects.tender_summary(tender_id)
    if tender.agency_org_id is not None:
        org = identity.get_organisation(tender.agency_org_id)
        user = identity.users_with_role("agency", organisation=org).first() if org else None
        if user is not None:
            return int(user.pk)
    from yingshang.identity.testing import make_user

    return int(make_user(roles=["centre_staff"]).pk)


def finished_evaluation(
    *, tender_id: int, lot_id: int, spec: Mapping[str, Any] | None = None, experts_count: int = 5
) -> EvaluationReport:
    try:
        experts.committee(tender_id, lot_id)
    except NotFound:
        from yingshang.trading.experts.testing import seat_committee

        seat_committee(tender_id=tender_id, lot_id=lot_id, experts=experts_count)
    run_evaluation(tender_id=tender_id, lot_id=lot_id, organiser_user_id=organiser_for(tender_id), spec=spec)
    return facade.evaluation_report(tender_id, lot_id)
