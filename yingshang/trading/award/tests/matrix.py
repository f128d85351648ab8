"""The award context's rows of the platform permission matrix (``tests/permission_matrix.py``).

``expectations()`` returns the ``Expect`` entries for every page and API operation of this
context; ``tests/permission_matrix.py`` adds them to ``EXPECTATIONS`` (``*award_expectations()``).

The world: the projects world's tender (of the world's agency, tenderer and supervisor), an
award received from an ``EvaluationReport`` value (as the evaluation context hands it over; the
award tests' builders do the same) whose first-ranked candidate is the world's bidder, its
candidate publicity opened now by the agency, and one objection of the bidder.
"""

from __future__ import annotations

from typing import Any


def _world(world: Any) -> None:
    from decimal import Decimal

    from tests import permission_matrix as pm
    from yingshang.identity.facade import principal_for_user
    from yingshang.identity.roles import Role
    from yingshang.kernel import clock
    from yingshang.trading.award import services
    from yingshang.trading.evaluation.contracts import Candidate, EvaluationReport, MemberScore

    pm._projects_world(world)
    tender = world.extra["tender"]
    lot_id = tender.lots.first().pk
    bidder_org = world.organisation(Role.BIDDER.value)
    report = EvaluationReport(
        evaluation_id=1,
        tender_id=tender.pk,
        lot_id=lot_id,
        regime=tender.regime,
        method="comprehensive",
        finished_at=clock.now(),
        report_sha256="ab" * 32,
        candidates=(
            Candidate(1, 1, bidder_org.pk, bidder_org.uscc, bidder_org.name, 100_000_00, Decimal("90"), None),
        ),
        members=("EX-MATRIX",),
        scores=(MemberScore("EX-MATRIX", 1, "total", Decimal("90")),),
    )
    award = services.receive_report(report)
    award = services.open_publicity(
        principal=principal_for_user(world.user(Role.AGENCY.value)), award_id=award.pk
    )
    objection = services.raise_objection(
        principal=principal_for_user(world.user(Role.BIDDER.value)), award_id=award.pk, text_="矩阵异议"
    )
    world.extra.update(award_id=award.pk, award_lot_id=lot_id, award_objection_id=objection.pk)


def expectations() -> tuple[Any, ...]:
    from django.utils import timezone

    from tests import permission_matrix as pm

    allow, deny, ok, outcomes, everyone = pm.Allow, pm.DENY, pm.OK, pm.outcomes, pm.everyone
    a = "/api/v1/trading/award"
    found = allow((302,))

    def path(template: str) -> Any:
        return lambda w, _p: template.format(
            tender=w.extra["tender"].pk,
            lot=w.extra["award_lot_id"],
            award=w.extra["award_id"],
            objection=w.extra["award_objection_id"],
        )

    def managers(outcome: Any) -> dict[str, Any]:
        """The tender's managers (tenderer, agency, centre staff); everyone else is refused."""
        return outcomes(guest=deny, default=deny, tenderer=outcome, agency=outcome, centre_staff=outcome)

    def bidder(outcome: Any) -> dict[str, Any]:
        return outcomes(guest=deny, default=deny, bidder=outcome)

    def aw(method: str, route: str, table: Any, template: str, data: Any = None) -> Any:
        return pm.expect(method, route, table, path=path(template), data=data, setup=_world)

    lot = "/tenders/{tender}/lots/{lot}"
    award = "/awards/{award}"
    return (
        aw("GET", f"{a}/awards", everyone(), f"{a}/awards"),
        aw("GET", f"{a}/tenders/{{tender_id}}/lots/{{lot_id}}", everyone(), a + lot),
        # already in publicity: the managers are told so (409)
        aw(
            "POST",
            f"{a}/tenders/{{tender_id}}/lots/{{lot_id}}/publicity",
            managers(allow((409,))),
            a + lot + "/publicity",
            lambda w, _p: {},
        ),
        # the report was received already: its award answered
        aw(
            "POST",
            f"{a}/tenders/{{tender_id}}/lots/{{lot_id}}/report-received",
            managers(ok),
            a + lot + "/report-received",
        ),
        aw(
            "POST",
            f"{a}/awards/{{award_id}}/objections",
            bidder(allow((201,))),
            a + award + "/objections",
            lambda w, _p: {"text": "矩阵"},
        ),
        aw(
            "POST",
            f"{a}/objections/{{objection_id}}/answer",
            managers(ok),
            a + "/objections/{objection}/answer",
            lambda w, _p: {"text": "答复"},
        ),
        aw(
            "POST",
            f"{a}/awards/{{award_id}}/passed-over",
            managers(allow((400,))),  # the evidence document does not exist
            a + award + "/passed-over",
            lambda w, _p: {"rank": 1, "reason": "gave_up", "evidence_document_id": 999999},
        ),
        aw(
            "POST",
            f"{a}/awards/{{award_id}}/decision",
            managers(allow((409,))),  # during the publicity (an objection waits)
            a + award + "/decision",
            lambda w, _p: {"rank": 1},
        ),
        aw(
            "POST",
            f"{a}/awards/{{award_id}}/retender",
            managers(allow((409,))),
            a + award + "/retender",
            lambda w, _p: {"reason": "矩阵"},
        ),
        aw(
            "POST",
            f"{a}/awards/{{award_id}}/contract",
            managers(allow((409,))),  # not awarded yet
            a + award + "/contract",
            lambda w, _p: {"signed_on": str(timezone.localdate()), "price_fen": 100, "document_id": 1},
        ),
        aw(
            "POST",
            f"{a}/awards/{{award_id}}/report",
            managers(allow((409,))),
            a + award + "/report",
            lambda w, _p: {"text": "报告"},
        ),
        # pages: a manager's form, done or refused, redirects back (302); others get 403
        pm.expect("GET", "/trading/award/", everyone()),
        aw(
            "GET",
            "/trading/award/<int:tender_id>/<int:lot_id>/",
            everyone(),
            "/trading/award/{tender}/{lot}/",
        ),
        *(
            aw(
                "POST",
                f"/trading/award/<int:tender_id>/<int:lot_id>/{command}/",
                managers(found),
                f"/trading/award/{{tender}}/{{lot}}/{command}/",
            )
            for command in ("publicity", "receive")
        ),
        aw(
            "POST",
            "/trading/award/awards/<int:award_id>/objections/",
            bidder(found),
            "/trading/award/awards/{award}/objections/",
            lambda w, _p: {"text": "矩阵"},
        ),
        aw(
            "POST",
            "/trading/award/awards/<int:award_id>/objections/<int:objection_id>/answer/",
            managers(found),
            "/trading/award/awards/{award}/objections/{objection}/answer/",
            lambda w, _p: {"text": "答复"},
        ),
        *(
            aw(
                "POST",
                f"/trading/award/awards/<int:award_id>/{command}/",
                managers(found),
                f"/trading/award/awards/{{award}}/{command}/",
            )
            for command in ("passed-over", "decision", "retender", "contract", "report")
        ),
    )
