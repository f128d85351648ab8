"""The experts context's rows of the platform permission matrix (``tests/permission_matrix.py``).

``expectations()`` returns the ``Expect`` entries for every page and API operation of this
context; the lead adds them to ``EXPECTATIONS`` there (``*experts_expectations()``).
``test_matrix.py`` runs them now through the same harness.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def _world(world: Any) -> None:
    """The projects world's tender with a stated need and a performed draw: the world's expert
    user holds an invited seat (``seat_id``) with code ``code``."""
    from tests import permission_matrix as pm
    from yingshang.identity.facade import principal_for_user
    from yingshang.identity.roles import Role
    from yingshang.kernel import clock
    from yingshang.ledger import facade as ledger
    from yingshang.trading.experts import services
    from yingshang.trading.experts.models import Seat
    from yingshang.trading.experts.testing import make_expert

    pm._projects_world(world)
    tender = world.extra["tender"]
    lot_id = tender.lots.first().pk
    region = "990771"
    mine = make_expert(user=world.user(Role.EXPERT.value), region=region)
    for _ in range(4):
        make_expert(region=region)
    staff = principal_for_user(world.user(Role.CENTRE_STAFF.value))
    services.state_need(
        principal=staff,
        tender_id=tender.pk,
        lot_id=lot_id,
        rows=[services.RowInput(specialty="A01", count=5, regions=(region,))],
        representatives=0,
        evaluation_at=clock.now() + timedelta(days=3),
    )
    services.start_draw(principal=staff, tender_id=tender.pk, lot_id=lot_id)
    ledger.sequence_once()
    services.complete_due(now=clock.now())
    world.extra["experts_lot"] = lot_id
    world.extra["expert_code"] = mine.code
    world.extra["seat_id"] = Seat.objects.get(expert=mine).pk


def expectations() -> tuple[Any, ...]:
    from tests import permission_matrix as pm

    allow, deny, hidden, outcomes = pm.Allow, pm.DENY, pm.HIDDEN, pm.outcomes
    found = allow((302,))
    a = "/api/v1/trading/experts"

    def path(template: str) -> Any:
        return lambda w, p: template.format(
            tender=w.extra["tender"].pk,
            lot=w.extra["experts_lot"],
            code=w.extra["expert_code"],
            seat=w.extra["seat_id"],
        )

    def staff(outcome: Any) -> dict[str, Any]:
        return outcomes(guest=deny, default=deny, centre_staff=outcome)

    def oversight(outcome: Any) -> dict[str, Any]:
        return outcomes(guest=deny, default=deny, centre_staff=outcome, supervisor=outcome, auditor=outcome)

    def organisers(outcome: Any) -> dict[str, Any]:
        return outcomes(guest=deny, default=deny, tenderer=outcome, agency=outcome, centre_staff=outcome)

    def viewers(outcome: Any, *, others: Any = deny) -> dict[str, Any]:
        return outcomes(
            guest=deny,
            default=others,
            tenderer=outcome,
            agency=outcome,
            centre_staff=outcome,
            supervisor=outcome,
            auditor=outcome,
        )

    def self_or_staff(outcome: Any) -> dict[str, Any]:
        return outcomes(guest=deny, default=deny, expert=outcome, centre_staff=outcome)

    def member(outcome: Any) -> dict[str, Any]:
        return outcomes(guest=deny, default=deny, expert=outcome)

    lot = "/tenders/{tender}/lots/{lot}"
    w = _world
    expect = pm.expect
    period = {
        "starts_at": "2031-01-01T00:00:00+00:00",
        "ends_at": "2031-01-05T00:00:00+00:00",
        "reason": "矩阵",
    }
    uscc = "91620100MA00000001"
    return (
        # pages
        expect("GET", "/trading/experts/", oversight(allow((200,))), setup=w),
        expect("POST", "/trading/experts/import/", staff(found), setup=w),
        expect(
            "POST",
            "/trading/experts/<str:code>/review/",
            staff(found),
            path=path("/trading/experts/{code}/review/"),
            setup=w,
        ),
        expect(
            "POST",
            "/trading/experts/<str:code>/suspension/",
            staff(found),
            path=path("/trading/experts/{code}/suspension/"),
            setup=w,
        ),
        expect("GET", "/trading/experts/invitations/", pm.signed_in(), setup=w),
        # Applying: any signed-in person (an empty form is refused with a message, nothing
        # written); auditors only read.
        expect("GET", "/trading/experts/apply/", pm.signed_in(), setup=w),
        expect(
            "POST",
            "/trading/experts/apply/",
            pm.outcomes(guest=pm.DENY, default=pm.OK, auditor=pm.DENY),
            setup=w,
        ),
        expect(
            "POST",
            "/trading/experts/invitations/<int:seat_id>/answer/",
            member(found),
            path=path("/trading/experts/invitations/{seat}/answer/"),
            setup=w,
        ),
        expect(
            "GET",
            "/trading/experts/tenders/<int:tender_id>/lots/<int:lot_id>/",
            viewers(allow((200,)), others=hidden),
            path=path("/trading/experts" + lot + "/"),
            setup=w,
        ),
        expect(
            "POST",
            "/trading/experts/tenders/<int:tender_id>/lots/<int:lot_id>/",
            viewers(found, others=hidden) | {"supervisor": deny, "auditor": deny},
            path=path("/trading/experts" + lot + "/"),
            setup=w,
        ),
        expect(
            "POST",
            "/trading/experts/tenders/<int:tender_id>/lots/<int:lot_id>/draw/",
            organisers(found),
            path=path("/trading/experts" + lot + "/draw/"),
            setup=w,
        ),
        expect(
            "POST",
            "/trading/experts/tenders/<int:tender_id>/lots/<int:lot_id>/contribution/",
            outcomes(guest=deny, default=deny, supervisor=found),
            path=path("/trading/experts" + lot + "/contribution/"),
            setup=w,
        ),
        # API
        expect("GET", f"{a}/pool", oversight(allow((200,))), setup=w),
        expect(
            "POST",
            f"{a}/pool",
            outcomes(guest=deny, default=allow((201,)), expert=allow((409,)), auditor=deny),
            data=lambda w, p: {"name": "矩阵专家", "region": "620102", "specialties": ["A0101"]},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/pool/import",
            staff(allow((200,))),
            data=lambda w, p: {"source": "矩阵", "experts": []},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/pool/{{code}}/review",
            staff(allow((200,))),
            path=path(a + "/pool/{code}/review"),
            data=lambda w, p: {"approve": True},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/pool/{{code}}/suspension",
            staff(allow((200,))),
            path=path(a + "/pool/{code}/suspension"),
            data=lambda w, p: {"until": None, "reason": ""},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/pool/{{code}}/blacklist",
            staff(allow((200,))),
            path=path(a + "/pool/{code}/blacklist"),
            data=lambda w, p: {"blacklisted": False, "reason": ""},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/pool/{{code}}/unavailability",
            self_or_staff(allow((201,))),
            path=path(a + "/pool/{code}/unavailability"),
            data=lambda w, p: period,
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/pool/{{code}}/relationships",
            self_or_staff(allow((201,))),
            path=path(a + "/pool/{code}/relationships"),
            data=lambda w, p: {"organisation_uscc": uscc, "kind": "former_employee", "until": None},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/pool/{{code}}/conflicts",
            self_or_staff(allow((201,))),
            path=path(a + "/pool/{code}/conflicts"),
            data=lambda w, p: {"organisation_uscc": uscc, "reason": "矩阵"},
            setup=w,
        ),
        expect(
            "PUT",
            f"{a}/tenders/{{tender_id}}/lots/{{lot_id}}/need",
            organisers(allow((409,))),  # the world's draw has started
            path=path(a + lot + "/need"),
            data=lambda w, p: {
                "rows": [{"specialty": "A01", "count": 5}],
                "evaluation_at": "2031-01-01T01:00:00+00:00",
            },
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/tenders/{{tender_id}}/lots/{{lot_id}}/draw",
            organisers(allow((409,))),
            path=path(a + lot + "/draw"),
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/tenders/{{tender_id}}/lots/{{lot_id}}/contribution",
            outcomes(guest=deny, default=deny, supervisor=allow((409,))),  # already performed
            path=path(a + lot + "/contribution"),
            data=lambda w, p: {"value": "矩阵"},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/tenders/{{tender_id}}/lots/{{lot_id}}/representatives",
            organisers(allow((409,))),  # the need has no representative seat
            path=path(a + lot + "/representatives"),
            data=lambda w, p: {"user_id": w.user("tenderer").pk},
            setup=w,
        ),
        expect(
            "GET",
            f"{a}/tenders/{{tender_id}}/lots/{{lot_id}}/committee",
            viewers(allow((200,))),
            path=path(a + lot + "/committee"),
            setup=w,
        ),
        expect("GET", f"{a}/invitations", pm.signed_in(), setup=w),
        expect(
            "POST",
            f"{a}/invitations/{{seat_id}}/accept",
            member(allow((200,))),
            path=path(a + "/invitations/{seat}/accept"),
            data=lambda w, p: {"no_conflict": True},
            setup=w,
        ),
        expect(
            "POST",
            f"{a}/invitations/{{seat_id}}/decline",
            member(allow((200,))),
            path=path(a + "/invitations/{seat}/decline"),
            data=lambda w, p: {"reason": "矩阵"},
            setup=w,
        ),
    )
