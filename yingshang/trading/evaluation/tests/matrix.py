"""The evaluation context's rows of the platform permission matrix (``tests/permission_matrix.py``).

``expectations()`` returns the ``Expect`` entries for every page and API operation of this
context; ``tests/permission_matrix.py`` adds them to ``EXPECTATIONS`` (``*evaluation_expectations()``).

Who is who in the world: the tender's tenderer and agency and centre staff organise the
evaluation; the competent supervisor, centre staff and auditors follow it; the world's expert
holds a seat on the committee (the chair, declared); everyone else (the bidder among them) is an
outsider: an evaluation they may not see answers 404, a member-only command through the API 403.
"""

from __future__ import annotations

from typing import Any


def _world(world: Any) -> None:
    """The matrix's finished opening (``_finished_opening_world``: the bidder's row decrypted at
    a price, with a stored decrypted package), a committee of five seated with the real draw
    (the world's expert among them), the evaluation started by the world's agency with every
    member declared (``scoring``), the world's expert designated chair, and one clarification
    the expert asked of the bidder."""
    from tests import permission_matrix as pm
    from yingshang.identity.facade import principal_for_user
    from yingshang.identity.roles import Role
    from yingshang.identity.testing import make_user
    from yingshang.trading.evaluation import services, states
    from yingshang.trading.evaluation.demo import run_evaluation
    from yingshang.trading.experts import facade as experts
    from yingshang.trading.experts.testing import seat_committee

    pm._finished_opening_world(world)
    tender = world.extra["tender"]
    lot_id = world.extra["bid_lot_id"]
    expert = world.user(Role.EXPERT.value)
    seat_committee(
        tender_id=tender.pk,
        lot_id=lot_id,
        users=[expert, *(make_user(roles=["expert"]) for _ in range(4))],
    )
    agency = world.user(Role.AGENCY.value)
    evaluation = run_evaluation(
        tender_id=tender.pk, lot_id=lot_id, organiser_user_id=agency.pk, until=states.SCORING
    )
    code = experts.member_code(expert.pk, tender.pk, lot_id)
    assert code is not None
    services.designate_chair(principal=principal_for_user(agency), evaluation_id=evaluation.pk, code=code)
    asked = services.request_clarification(
        principal=principal_for_user(expert),
        evaluation_id=evaluation.pk,
        bid_id=world.extra["bid_id"],
        question="矩阵澄清",
    )
    world.extra.update(evaluation_id=evaluation.pk, member_code=code, clarification_id=asked.pk)


def expectations() -> tuple[Any, ...]:
    from tests import permission_matrix as pm
    from yingshang.trading.evaluation.demo import DEMO_SPEC

    allow, deny, hidden, ok, outcomes = pm.Allow, pm.DENY, pm.HIDDEN, pm.OK, pm.outcomes
    found = allow((302,))
    a = "/api/v1/trading/evaluation"
    p = "/trading/evaluation"
    w = _world
    expect = pm.expect

    def path(template: str) -> Any:
        return lambda w, _p: template.format(
            tender=w.extra["tender"].pk,
            lot=w.extra["bid_lot_id"],
            evaluation=w.extra["evaluation_id"],
            bid=w.extra["bid_id"],
            clarification=w.extra["clarification_id"],
        )

    def organisers(outcome: Any) -> dict[str, Any]:
        return outcomes(guest=deny, default=deny, tenderer=outcome, agency=outcome, centre_staff=outcome)

    def member(outcome: Any) -> dict[str, Any]:
        """A member-only command through the API: everyone else is refused (403), the
        organisers and supervisors too."""
        return outcomes(guest=deny, default=deny, expert=outcome)

    def room(outcome: Any, *, followers: Any) -> dict[str, Any]:
        """Seen by the member (``outcome``) and the organisers and supervisors (``followers``);
        hidden from everyone else."""
        return outcomes(
            guest=deny,
            default=hidden,
            expert=outcome,
            tenderer=followers,
            agency=followers,
            centre_staff=followers,
            supervisor=followers,
            auditor=followers,
        )

    def member_page(command: str, data: Any = None) -> Any:
        # The room's forms: the member's command done or refused by the state (302 back to
        # the room, the message shown there); organisers and supervisors see the room but the
        # command is not theirs (403); outsiders do not see the room (404).
        return expect(
            "POST",
            f"{p}/<int:evaluation_id>/{command}/",
            room(found, followers=deny),
            path=path(p + "/{evaluation}/" + command + "/"),
            data=data,
            setup=w,
        )

    ev = "/evaluations/{evaluation}"
    return (
        # pages
        expect("GET", f"{p}/", pm.signed_in(), setup=w),
        expect(
            "GET",
            f"{p}/<int:evaluation_id>/",
            room(ok, followers=ok),
            path=path(p + "/{evaluation}/"),
            setup=w,
        ),
        member_page("declaration", lambda w, _p: {"confirm": "on"}),
        member_page("scores"),
        member_page("submit"),  # the member's scores are incomplete: refused, shown in the room
        member_page(
            "explanations", lambda w, _p: {"bid_id": w.extra["bid_id"], "item": "technical", "text": "矩阵"}
        ),
        member_page("clarifications", lambda w, _p: {"bid_id": w.extra["bid_id"], "question": "矩阵澄清"}),
        member_page("report"),  # not every member has submitted: refused, shown in the room
        member_page("signatures", lambda w, _p: {"report_sha256": "0" * 64}),
        # The decrypted package: for a declared member only (followers see no packages).
        expect(
            "GET",
            f"{p}/<int:evaluation_id>/bids/<int:bid_id>/package",
            room(ok, followers=hidden),
            path=path(p + "/{evaluation}/bids/{bid}/package"),
            setup=w,
        ),
        # API
        expect("GET", f"{a}/mine", pm.signed_in(), setup=w),
        expect(
            "POST",
            f"{a}/tenders/{{tender_id}}/lots/{{lot_id}}/start",
            organisers(allow((409,))),  # the world's evaluation has started
            path=path(a + "/tenders/{tender}/lots/{lot}/start"),
            data=lambda w, _p: {"spec": DEMO_SPEC},
            setup=w,
        ),
        expect(
            "GET",
            f"{a}/evaluations/{{evaluation_id}}",
            room(ok, followers=ok),
            path=path(a + ev),
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/evaluations/{{evaluation_id}}/chair",
            organisers(ok),
            path=path(a + ev + "/chair"),
            data=lambda w, _p: {"code": w.extra["member_code"]},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/evaluations/{{evaluation_id}}/declaration",
            member(ok),  # already declared: idempotent
            path=path(a + ev + "/declaration"),
            data=lambda w, _p: {"confirm": True},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/evaluations/{{evaluation_id}}/scores",
            member(ok),
            path=path(a + ev + "/scores"),
            data=lambda w, _p: {
                "scores": [{"bid_id": w.extra["bid_id"], "item": "technical", "value": "25"}],
                "verdicts": [],
            },
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/evaluations/{{evaluation_id}}/explanations",
            member(allow((409,))),  # no abnormal score to explain
            path=path(a + ev + "/explanations"),
            data=lambda w, _p: {"bid_id": w.extra["bid_id"], "item": "technical", "text": "矩阵"},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/evaluations/{{evaluation_id}}/submit",
            member(allow((400,))),  # the member's scores are incomplete
            path=path(a + ev + "/submit"),
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/evaluations/{{evaluation_id}}/clarifications",
            member(ok),
            path=path(a + ev + "/clarifications"),
            data=lambda w, _p: {"bid_id": w.extra["bid_id"], "question": "矩阵澄清"},
            setup=w,
        ),
        expect("GET", f"{a}/clarifications", pm.signed_in(), setup=w),
        # Only the asked bidder replies; its signature is garbage here (400).
        expect(
            "POST",
            f"{a}/clarifications/{{clarification_id}}/reply",
            outcomes(guest=deny, default=deny, bidder=allow((400,))),
            path=path(a + "/clarifications/{clarification}/reply"),
            data=lambda w, _p: {
                "reply": "矩阵答复",
                "signature": "AAAA",
                "algorithm": "ECDSA-P256-SHA256",
                "chain": ["AAAA"],
            },
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/evaluations/{{evaluation_id}}/report",
            member(allow((409,))),  # the chair: not every member has submitted
            path=path(a + ev + "/report"),
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/evaluations/{{evaluation_id}}/signatures",
            member(allow((409,))),  # still scoring: nothing to sign
            path=path(a + ev + "/signatures"),
            data=lambda w, _p: {"report_sha256": "0" * 64},
            setup=w,
        ),
        expect(
            "GET",
            f"{a}/evaluations/{{evaluation_id}}/bids/{{bid_id}}/package",
            room(ok, followers=hidden),
            path=path(a + ev + "/bids/{bid}/package"),
            setup=w,
        ),
    )
