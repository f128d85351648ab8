"""The API and pages: who may see, object, answer and award; bad input answered with clear 4xx
problem documents, nothing half-done."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from yingshang.kernel.statutory import SHANGHAI
from yingshang.ledger.models import OutboxEntry
from yingshang.trading.award import services, states, tasks
from yingshang.trading.award.models import Award
from yingshang.trading.award.tests.builders import API, World
from yingshang.trading.projects.tests.factories import START, at

pytestmark = [pytest.mark.django_db(transaction=False)]


def bj(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SHANGHAI)


@pytest.fixture
def world():
    with at(START) as fixed:
        w = World.make(fixed)
        w.fixed.set(bj(2025, 4, 1))
        services.receive_report(w.report(finished_at=bj(2025, 4, 1)))
        yield w


def _post(client: Client, path: str, data: dict[str, Any]) -> Any:
    return client.post(f"{API}{path}", data, content_type="application/json")


def _award(world: World) -> Award:
    return Award.objects.get(tender_id=world.tender.pk, lot_id=world.lot_id)


def _publish(world: World) -> Award:
    world.fixed.set(bj(2025, 4, 7, 9))
    answer = _post(world.client("agency"), f"/tenders/{world.tender.pk}/lots/{world.lot_id}/publicity", {})
    assert answer.status_code == 201, answer.content
    return _award(world)


def test_nothing_is_public_before_the_publicity(world: World) -> None:
    path = f"{API}/tenders/{world.tender.pk}/lots/{world.lot_id}"
    assert Client().get(path).status_code == 404
    assert world.client("bidder").get(path).status_code == 404
    assert world.bidders[0].client().get(path).status_code == 404
    assert world.client("agency").get(path).status_code == 200
    assert world.client("supervisor").get(path).status_code == 200
    assert world.client("other_supervisor").get(path).status_code == 404
    assert Client().get(f"/trading/award/{world.tender.pk}/{world.lot_id}/").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("guest", 401), ("bidder", 403), ("supervisor", 403), ("auditor", 403), ("other_tenderer", 403)],
)
def test_only_managers_publish(world: World, who: str, status: int) -> None:
    world.fixed.set(bj(2025, 4, 7, 9))
    client = Client() if who == "guest" else world.client(who)
    answer = _post(client, f"/tenders/{world.tender.pk}/lots/{world.lot_id}/publicity", {})
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    assert _award(world).status == states.RECEIVED


def test_who_sees_what_during_the_publicity(world: World) -> None:
    award = _publish(world)
    objector = world.bidders[1]
    raised = _post(objector.client(), f"/awards/{award.pk}/objections", {"text": "第二名的技术分有误"})
    assert raised.status_code == 201
    path = f"{API}/tenders/{world.tender.pk}/lots/{world.lot_id}"
    public = Client().get(path).json()
    assert public["status"] == states.SUSPENDED
    assert public["publicity"]["pending_objections"] == 1
    assert public["objections"] == [] and public["clocks"] == []
    assert [c["bidder"] for c in public["candidates"]] == [b.organisation.name for b in world.bidders[:3]]
    assert public["candidates"][0]["score"] == "92.500"
    own = objector.client().get(path).json()
    assert own["role"] == "bidder" and own["objections"][0]["text"] == "第二名的技术分有误"
    other = world.bidders[0].client().get(path).json()
    assert other["objections"] == []
    for who in ("agency", "tenderer", "supervisor", "staff", "auditor"):
        seen = world.client(who).get(path).json()
        assert seen["objections"][0]["text"] == "第二名的技术分有误", who
        assert {c["rule"] for c in seen["clocks"]} == {"T11.start", "T11.reply"}
    # The pages, for a guest.
    page = Client().get(f"/trading/award/{world.tender.pk}/{world.lot_id}/")
    assert page.status_code == 200
    assert world.bidders[0].organisation.name in page.content.decode()
    assert "第二名的技术分有误" not in page.content.decode()
    assert Client().get("/trading/award/").status_code == 200


@pytest.mark.parametrize(
    ("who", "status"), [("guest", 401), ("agency", 403), ("supervisor", 403), ("bidder", 403)]
)
def test_only_the_lots_bidders_object(world: World, who: str, status: int) -> None:
    award = _publish(world)
    client = Client() if who == "guest" else world.client(who)
    answer = _post(client, f"/awards/{award.pk}/objections", {"text": "异议"})
    assert answer.status_code == status
    assert not award.objections.exists()


@pytest.mark.parametrize(
    ("who", "status"), [("bidder0", 403), ("supervisor", 403), ("guest", 401), ("tenderer", 200)]
)
def test_only_managers_answer(world: World, who: str, status: int) -> None:
    award = _publish(world)
    objection = services.raise_objection(
        principal=world.bidders[0].principal, award_id=award.pk, text_="异议"
    )
    client = {"guest": Client(), "bidder0": world.bidders[0].client()}.get(who) or world.client(who)
    answer = _post(client, f"/objections/{objection.pk}/answer", {"text": "答复"})
    assert answer.status_code == status, answer.content


def test_an_award_during_publicity_is_refused_by_the_api(world: World) -> None:
    award = _publish(world)
    before = OutboxEntry.objects.count()
    answer = _post(world.client("agency"), f"/awards/{award.pk}/decision", {"rank": 1})
    assert answer.status_code == 409
    problem = answer.json()
    assert problem["code"] == "award_during_publicity"
    assert "公示" in problem["detail"]
    english = world.client("agency").post(
        f"{API}/awards/{award.pk}/decision",
        {"rank": 1},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "publicity" in english.json()["detail"]
    assert OutboxEntry.objects.count() == before
    assert _award(world).status == states.PUBLICITY


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/decision", {"rank": 0}),
        ("/decision", {"rank": "first"}),
        ("/decision", {"rank": 1, "extra": True}),
        ("/decision", {}),
        ("/passed-over", {"rank": 1, "reason": "gave_up"}),
        ("/contract", {"signed_on": "not a date", "price_fen": 1, "document_id": 1}),
        ("/contract", {"signed_on": "2025-04-20", "price_fen": -5, "document_id": 1}),
        ("/contract", {"signed_on": "2025-04-20", "price_fen": 1.5, "document_id": 1}),
        ("/report", {"text": ""}),
        ("/objections", {"text": ""}),
        ("/retender", {}),
    ],
)
def test_bad_input_is_a_clear_4xx(world: World, path: str, payload: dict[str, Any]) -> None:
    award = _award(world)
    answer = _post(world.client("agency"), f"/awards/{award.pk}{path}", payload)
    assert 400 <= answer.status_code < 500 and answer.status_code not in (401, 404), answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    assert _award(world).status == states.RECEIVED


def test_unknown_things_are_404(world: World) -> None:
    agency = world.client("agency")
    assert _post(agency, "/awards/999999/decision", {"rank": 1}).status_code == 404
    assert _post(agency, "/objections/999999/answer", {"text": "x"}).status_code == 404
    assert agency.get(f"{API}/tenders/{world.tender.pk}/lots/999999").status_code == 404
    assert _post(agency, "/tenders/999999/lots/1/publicity", {}).status_code == 404


def test_the_whole_way_through_the_pages(world: World) -> None:
    agency = world.client("agency")
    world.fixed.set(bj(2025, 4, 7, 9))
    base = f"/trading/award/{world.tender.pk}/{world.lot_id}/"
    assert agency.post(base + "publicity/").status_code == 302
    award = _award(world)
    assert award.status == states.PUBLICITY
    page = agency.get(base)
    assert page.status_code == 200
    response = agency.post(f"/trading/award/awards/{award.pk}/decision/", {"rank": "1"}, follow=True)
    assert "公示期间" in response.content.decode()
    assert (
        world.client("bidder").post(f"/trading/award/awards/{award.pk}/decision/", {"rank": "1"}).status_code
        == 403
    )
    tasks.due(datetime(2025, 4, 10, 16, tzinfo=UTC))
    world.fixed.set(bj(2025, 4, 11))
    assert agency.post(f"/trading/award/awards/{award.pk}/decision/", {"rank": "1"}).status_code == 302
    assert _award(world).status == states.AWARDED
    public = Client().get(base).content.decode()
    assert "EX-AAAAAA" not in public
