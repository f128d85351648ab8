"""The evaluation from start to the signed report: real opening, real committee, real services."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from yingshang import envelope
from yingshang.identity.facade import principal_for_user
from yingshang.identity.testing import make_user
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yingshang.ledger.models import OutboxEntry
from yingshang.notifications import facade as notifications
from yingshang.pki import Vendor
from yingshang.trading.bids.tests.builders import PKI_NOW, trust
from yingshang.trading.evaluation import facade, services, states
from yingshang.trading.evaluation.demo import DEMO_SPEC, run_evaluation
from yingshang.trading.evaluation.models import Bid, Evaluation, Finding, Member, Score
from yingshang.trading.evaluation.services import VerdictInput
from yingshang.trading.evaluation.testing import finished_evaluation
from yingshang.trading.evaluation.tests.builders import PRICES, Room, boq, finished_opening, seated
from yingshang.trading.opening.tests.builders import Hall
from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender

pytestmark = [pytest.mark.django_db(transaction=False)]

API = "/api/v1/trading/evaluation"

SPEC: dict[str, Any] = {
    "method": "comprehensive",
    "criteria": [{"code": "qual", "zh": "资格", "en": "Qualification"}],
    "items": [
        {"code": "tech", "zh": "技术", "en": "Technical", "max": "40", "kind": "subjective"},
        {"code": "price", "zh": "价格", "en": "Price", "max": "50", "kind": "price"},
        {"code": "credit", "zh": "信用", "en": "Credit", "max": "10", "kind": "credit"},
    ],
    "price": {"benchmark": "lowest", "deduct_above": "1", "deduct_below": "0.5"},
}


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


@pytest.fixture
def room(hall, settings, tmp_path) -> Room:
    bills = [boq(PRICES[0]), boq(PRICES[1], arithmetic_error=True), boq(PRICES[2] + 100)]
    finished_opening(hall, bills=bills)
    credit = tmp_path / "credit.json"
    credit.write_text(json.dumps({e.bidder.organisation.uscc: "90" for e in hall.entrants[:2]}))
    settings.YINGSHANG = {**settings.YINGSHANG, "CREDIT_SCORES_FILE": str(credit)}
    return seated(hall)


def _bids(evaluation: Evaluation) -> list[int]:
    return list(
        Bid.objects.filter(evaluation=evaluation).order_by("position").values_list("bid_id", flat=True)
    )


def _score_all(room: Room, evaluation: Evaluation, tech: list[list[str]]) -> None:
    bids = _bids(evaluation)
    for i in range(5):
        services.save_scores(
            principal=room.p(i),
            evaluation_id=evaluation.pk,
            scores={(b, "tech"): tech[i][j] for j, b in enumerate(bids)},
            verdicts=[VerdictInput(b, "qual", True) for b in bids],
        )


def _member(evaluation: Evaluation, room: Room, i: int) -> Member:
    return Member.objects.get(evaluation=evaluation, user=room.experts[i])


def test_the_whole_evaluation(room):
    hall = room.hall
    # Refusals before anything is written.
    with pytest.raises(PermissionDenied):
        services.start_evaluation(
            principal=room.p(0), tender_id=room.tender_id, lot_id=room.lot_id, spec=SPEC
        )
    with pytest.raises(InvalidInput) as bad:
        services.start_evaluation(
            principal=room.organiser,
            tender_id=room.tender_id,
            lot_id=room.lot_id,
            spec={**SPEC, "items": SPEC["items"][:2]},
        )
    assert "100" in str(bad.value.message)
    with pytest.raises(InvalidInput):
        services.start_evaluation(
            principal=room.organiser,
            tender_id=room.tender_id,
            lot_id=room.lot_id,
            spec=SPEC,
            chair_code="NOBODY",
        )
    assert not Evaluation.objects.exists()

    evaluation = services.start_evaluation(
        principal=room.organiser, tender_id=room.tender_id, lot_id=room.lot_id, spec=SPEC
    )
    with pytest.raises(Conflict):
        services.start_evaluation(
            principal=room.organiser, tender_id=room.tender_id, lot_id=room.lot_id, spec=SPEC
        )
    bids = _bids(evaluation)
    assert len(bids) == 3
    # Credit from the file source; clearing found the arithmetic error and the total mismatch.
    credit = dict(Bid.objects.filter(evaluation=evaluation).values_list("bid_id", "credit_score"))
    assert credit[bids[0]] == Decimal("90.00") and credit[bids[2]] is None
    kinds = set(Finding.objects.filter(evaluation=evaluation).values_list("bid_id", "kind"))
    assert (bids[1], "arithmetic") in kinds and (bids[2], "price_mismatch") in kinds
    assert not any(b == bids[0] for b, _ in kinds)

    # No bids before the declaration.
    with pytest.raises(PermissionDenied) as undeclared:
        services.open_bids(principal=room.p(0), evaluation_id=evaluation.pk)
    assert undeclared.value.code == "not_declared"
    with pytest.raises(InvalidInput):
        services.declare(principal=room.p(0), evaluation_id=evaluation.pk, confirm=False)
    for i in range(5):
        services.declare(principal=room.p(i), evaluation_id=evaluation.pk, confirm=True)
    hall.fixed.advance(timedelta(minutes=5))
    services.open_bids(principal=room.p(0), evaluation_id=evaluation.pk)
    stranger = principal_for_user(make_user(roles=["expert"]))
    with pytest.raises(PermissionDenied):
        services.declare(principal=stranger, evaluation_id=evaluation.pk, confirm=True)

    # A score outside the item's range refuses the whole batch.
    with pytest.raises(InvalidInput) as out_of_range:
        services.save_scores(
            principal=room.p(0),
            evaluation_id=evaluation.pk,
            scores={(bids[0], "tech"): "30", (bids[1], "tech"): "41"},
        )
    assert out_of_range.value.code == "score_out_of_range"
    assert "40" in out_of_range.value.message.render("en")
    assert not Score.objects.filter(member__evaluation=evaluation).exists()
    with pytest.raises(InvalidInput) as no_reason:
        services.save_scores(
            principal=room.p(0), evaluation_id=evaluation.pk, verdicts=[VerdictInput(bids[0], "qual", False)]
        )
    assert no_reason.value.code == "reason_needed"

    # Member 4 is far above the others on bid 3 -> an anomaly.
    tech = [
        ["30", "32", "20"],
        ["31", "33", "21"],
        ["30", "32", "20"],
        ["29", "31", "19"],
        ["30", "32", "36"],
    ]
    services.save_scores(
        principal=room.p(0),
        evaluation_id=evaluation.pk,
        scores={(b, "tech"): tech[0][j] for j, b in enumerate(bids)},
        verdicts=[VerdictInput(b, "qual", True) for b in bids],
    )
    with pytest.raises(Conflict) as waiting:
        services.submit(principal=room.p(0), evaluation_id=evaluation.pk)
    assert waiting.value.code == "waiting_for_members"
    _score_all(room, evaluation, tech)
    hall.fixed.advance(timedelta(minutes=42))  # member 0 opened the bids 42 minutes ago
    services.submit(principal=room.p(0), evaluation_id=evaluation.pk)
    with pytest.raises(Conflict):
        services.save_scores(
            principal=room.p(0), evaluation_id=evaluation.pk, scores={(bids[0], "tech"): "1"}
        )
    with pytest.raises(Conflict) as needs:
        services.submit(principal=room.p(4), evaluation_id=evaluation.pk)
    assert needs.value.code == "explanation_needed"
    with pytest.raises(Conflict):
        services.explain(
            principal=room.p(4), evaluation_id=evaluation.pk, bid_id=bids[0], item="tech", text_="x"
        )
    for item in ("tech", "total"):
        services.explain(
            principal=room.p(4),
            evaluation_id=evaluation.pk,
            bid_id=bids[2],
            item=item,
            text_="施工组织设计有创新。",
        )
    chair = Member.objects.get(evaluation=evaluation, chair=True)
    assert chair.user is not None
    chair_principal = principal_for_user(chair.user)

    def told(principal):
        return [e for e in notifications.inbox(principal, limit=500) if "畸高畸低" in e.subject]

    assert not told(chair_principal)
    services.submit(principal=room.p(4), evaluation_id=evaluation.pk)
    assert len(told(chair_principal)) == 1
    assert len(told(hall.cast.supervisor)) == 1

    chair_index = room.experts.index(chair.user)
    with pytest.raises(PermissionDenied):
        services.finish_report(principal=room.p((chair_index + 1) % 5), evaluation_id=evaluation.pk)
    with pytest.raises(Conflict) as not_all:
        services.finish_report(principal=room.p(chair_index), evaluation_id=evaluation.pk)
    assert not_all.value.code == "not_all_submitted"
    for i in (1, 2, 3):
        services.submit(principal=room.p(i), evaluation_id=evaluation.pk)
    finished = services.finish_report(principal=room.p(chair_index), evaluation_id=evaluation.pk)
    assert finished.status == states.SIGNING
    report = finished.report
    # The time each member spent (first opening of the bids -> submission) is in the report.
    first_member = Member.objects.get(evaluation=evaluation, user=room.experts[0])
    spent = {m["code"]: m["seconds_spent"] for m in report["members"]}
    assert spent[first_member.code] == 42 * 60
    # Hand-computed: benchmark = lowest price 9,000,000.00 (bid 2).
    # bid 1: +5.5556 % -> 44.44; tech mean (30+31+30+29+30)/5 = 30.00; credit 9.00 -> 83.44
    # bid 2: 50.00; tech 32.00; credit 9.00 -> 91.00
    # bid 3: +13.3333 % -> 36.67; tech (20+21+20+19+36)/5 = 23.20; credit 0 -> 59.87
    assert [(c["bid_id"], c["score"]) for c in report["candidates"]] == [
        (bids[1], "91.00"),
        (bids[0], "83.44"),
        (bids[2], "59.87"),
    ]
    with pytest.raises(Conflict) as unfinished:
        facade.evaluation_report(room.tender_id, room.lot_id)
    assert unfinished.value.code == "report_not_finished"
    with pytest.raises(Conflict) as changed:
        services.sign_report(principal=room.p(0), evaluation_id=evaluation.pk, report_sha256="0" * 64)
    assert changed.value.code == "report_changed"
    for i in range(4):
        services.sign_report(
            principal=room.p(i), evaluation_id=evaluation.pk, report_sha256=finished.report_sha256
        )
    with pytest.raises(Conflict):
        facade.evaluation_report(room.tender_id, room.lot_id)  # one signature is missing
    services.sign_report(
        principal=room.p(4), evaluation_id=evaluation.pk, report_sha256=finished.report_sha256
    )
    result = facade.evaluation_report(room.tender_id, room.lot_id)
    assert result.report_sha256 == finished.report_sha256
    assert [c.rank for c in result.candidates] == [1, 2, 3]
    assert result.candidates[0].score == Decimal("91.00")
    codes = set(Member.objects.filter(evaluation=evaluation).values_list("code", flat=True))
    assert set(result.members) == codes
    assert {s.member_code for s in result.scores} == codes
    # Identities never in the ledger's data: codes only.
    usernames = {u.username for u in room.experts}
    for entry in OutboxEntry.objects.filter(action__startswith="trading.evaluation."):
        payload = (
            json.dumps(entry.entry, ensure_ascii=False) if hasattr(entry, "entry") else str(entry.__dict__)
        )
        assert not any(name in payload for name in usernames)
    assert OutboxEntry.objects.filter(action="trading.evaluation.finished").count() == 1
    expert_ids = {u.pk for u in room.experts}
    assert not OutboxEntry.objects.filter(
        action__startswith="trading.evaluation.", actor_user_id__in=expert_ids
    ).exists()
    with pytest.raises(NotFound):
        facade.evaluation_report(room.tender_id, 999_999)


def test_clarification_with_a_signed_reply(room):
    evaluation = services.start_evaluation(
        principal=room.organiser, tender_id=room.tender_id, lot_id=room.lot_id, spec=SPEC
    )
    services.declare(principal=room.p(0), evaluation_id=evaluation.pk, confirm=True)
    entrant = room.hall.entrants[0]
    asked = services.request_clarification(
        principal=room.p(0), evaluation_id=evaluation.pk, bid_id=entrant.bid_id, question="请澄清工期安排。"
    )
    reply = "工期安排见第3章，总工期180天。"
    payload = services.reply_payload(asked.pk, reply)
    signing = entrant.bidder.signing
    signature = envelope.sign(signing.private_key, payload)
    chain = [base64.b64encode(c).decode() for c in signing.chain]
    other = room.hall.entrants[1]
    with pytest.raises(PermissionDenied):
        services.reply_clarification(
            principal=other.principal,
            clarification_id=asked.pk,
            reply=reply,
            signature_b64=base64.b64encode(signature.value).decode(),
            algorithm=signature.algorithm,
            chain_b64=chain,
        )
    with pytest.raises(InvalidInput) as bad:
        services.reply_clarification(
            principal=entrant.principal,
            clarification_id=asked.pk,
            reply=reply + "（改）",
            signature_b64=base64.b64encode(signature.value).decode(),
            algorithm=signature.algorithm,
            chain_b64=chain,
        )
    assert bad.value.code == "bad_signature"
    answered = services.reply_clarification(
        principal=entrant.principal,
        clarification_id=asked.pk,
        reply=reply,
        signature_b64=base64.b64encode(signature.value).decode(),
        algorithm=signature.algorithm,
        chain_b64=chain,
    )
    assert answered.replied_at is not None and len(answered.reply_sha256) == 64
    with pytest.raises(Conflict):
        services.reply_clarification(
            principal=entrant.principal,
            clarification_id=asked.pk,
            reply=reply,
            signature_b64=base64.b64encode(signature.value).decode(),
            algorithm=signature.algorithm,
            chain_b64=chain,
        )


def test_lowest_evaluated_price_run_and_the_builder(room):
    spec = {
        "method": "lowest_evaluated_price",
        "adjustments": [
            {"code": "dev", "zh": "偏差调整", "en": "Deviation", "min_fen": 0, "max_fen": 1_000_000_00}
        ],
    }
    report = finished_evaluation(tender_id=room.tender_id, lot_id=room.lot_id, spec=spec)
    assert report.method == "lowest_evaluated_price"
    # Adjustments are 0 in the builder: ranked by price.
    assert [c.price_fen for c in report.candidates] == sorted(PRICES)
    assert [c.evaluated_price_fen for c in report.candidates] == sorted(PRICES)


def test_permission_matrix_over_the_api(room):
    evaluation = run_evaluation(
        tender_id=room.tender_id,
        lot_id=room.lot_id,
        organiser_user_id=room.hall.cast.agency_user.pk,
        spec=DEMO_SPEC,
        until=states.SCORING,
    )
    member = room.client(0)
    listing = member.get(f"{API}/mine")
    assert listing.status_code == 200 and [e["evaluation_id"] for e in listing.json()] == [evaluation.pk]
    room_view = member.get(f"{API}/evaluations/{evaluation.pk}").json()
    assert room_view["you"]["code"] and "username" not in json.dumps(room_view)
    assert all(set(m) <= {"code", "chair", "declared", "submitted", "signed"} for m in room_view["members"])
    outsider = Client()
    from yingshang.identity.testing import sign_in

    sign_in(outsider, make_user(roles=["expert"]))
    assert outsider.get(f"{API}/mine").json() == []
    assert outsider.get(f"{API}/evaluations/{evaluation.pk}").status_code == 404
    bidder = room.hall.entrants[0].client()
    assert bidder.get(f"{API}/evaluations/{evaluation.pk}").status_code == 404
    supervisor = room.hall.signed_client("supervisor")
    seen = supervisor.get(f"{API}/evaluations/{evaluation.pk}")
    assert seen.status_code == 200 and seen.json()["role"] == "supervisor"
    assert "bids" not in seen.json() or all("scores" not in b for b in seen.json()["bids"])
    assert Client().get(f"{API}/evaluations/{evaluation.pk}").status_code in (401, 404)
    refused = member.post(
        f"{API}/evaluations/{evaluation.pk}/scores",
        {"scores": [{"bid_id": _bids(evaluation)[0], "item": "technical", "value": "31"}]},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "score_out_of_range"


def test_demo_evaluations_are_idempotent(room):
    lots = {(room.tender_id, room.lot_id): states.FINISHED}
    organiser = room.hall.cast.agency_user.pk
    assert facade.ensure_demo_evaluations(lots=lots, organiser_user_id=organiser) == 1
    assert facade.ensure_demo_evaluations(lots=lots, organiser_user_id=organiser) == 0
    assert facade.evaluation_status(room.tender_id, room.lot_id) == states.FINISHED
    report = facade.evaluation_report(room.tender_id, room.lot_id)
    assert len(report.candidates) == 3 and len(report.members) == 5
