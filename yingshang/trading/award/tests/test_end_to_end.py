"""End to end: a real opening (certificates, sealed bids, the opening API), a real committee
and evaluation (``evaluation.testing.finished_evaluation``), then the award through its API:
publicity, an objection and its answer, the chronograph, the award, the result announcement with
the experts' names, the coded scores, the contract and the report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from yingshang.kernel.statutory import SHANGHAI
from yingshang.pki import Vendor
from yingshang.trading.award import facade, messages, states, tasks
from yingshang.trading.award.tests.builders import API, pdf
from yingshang.trading.bids.tests.builders import PKI_NOW, trust
from yingshang.trading.evaluation.testing import finished_evaluation
from yingshang.trading.evaluation.tests.builders import finished_opening
from yingshang.trading.experts import facade as experts
from yingshang.trading.opening.tests.builders import Hall
from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender

pytestmark = [pytest.mark.django_db(transaction=False)]


def bj(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SHANGHAI)


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


def _upload(client: Client, purpose: str) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = client.post(
        "/api/v1/files",
        {"file": SimpleUploadedFile("合同.pdf", pdf(), "application/pdf"), "purpose": purpose},
    )
    assert answer.status_code in (200, 201), answer.content
    return int(answer.json()["id"])


def test_from_the_opening_to_the_report(hall: Hall) -> None:
    finished_opening(hall)
    report = finished_evaluation(tender_id=hall.tender.pk, lot_id=hall.lot_id)
    assert report.candidates
    t, lot = hall.tender.pk, hall.lot_id
    agency = hall.signed_client("agency")
    guest = Client()
    # Before the publicity nothing is public.
    assert guest.get(f"{API}/tenders/{t}/lots/{lot}").status_code == 404

    # The report finished at the bid deadline day (Tue 25 March 2025); publish next morning.
    hall.fixed.set(bj(2025, 3, 26, 9))
    assert (
        agency.post(
            f"{API}/tenders/{t}/lots/{lot}/publicity", {}, content_type="application/json"
        ).status_code
        == 201
    )
    view = guest.get(f"{API}/tenders/{t}/lots/{lot}").json()
    assert view["status"] == states.PUBLICITY
    # Wed 26 March + 3 = Sat 29 March -> Mon 31 March.
    assert view["publicity"]["ends_on"] == "2025-03-31"
    assert [c["rank"] for c in view["candidates"]] == list(range(1, len(report.candidates) + 1))
    assert view["candidates"][0]["price_fen"] == report.candidates[0].price_fen
    assert view["clocks"] == [] and view["objections"] == []
    award_id = view["id"]

    # A bidder objects; the award is refused while it waits.
    objector = next(e for e in hall.entrants if e.organisation_id == report.candidates[-1].organisation_id)
    raised = objector.client().post(
        f"{API}/awards/{award_id}/objections", {"text": "价格分计算有误"}, content_type="application/json"
    )
    assert raised.status_code == 201, raised.content
    refused = agency.post(f"{API}/awards/{award_id}/decision", {"rank": 1}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "objection_pending"
    hall.fixed.set(bj(2025, 3, 27))
    answered = agency.post(
        f"{API}/objections/{raised.json()['id']}/answer",
        {"text": "经复核无误"},
        content_type="application/json",
    )
    assert answered.status_code == 200
    refused = agency.post(f"{API}/awards/{award_id}/decision", {"rank": 1}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "award_during_publicity"

    # The chronograph ends the publicity at 24:00 of Mon 31 March.
    assert tasks.due(datetime(2025, 3, 31, 16, tzinfo=UTC)) == 1
    with pytest.raises(Exception):  # noqa: B017 - the experts' names are still secret
        experts.named_committee(t, lot)
    hall.fixed.set(bj(2025, 4, 1))
    decided = agency.post(f"{API}/awards/{award_id}/decision", {"rank": 1}, content_type="application/json")
    assert decided.status_code == 200, decided.content
    public = guest.get(f"{API}/tenders/{t}/lots/{lot}").json()
    result = public["result"]
    assert result["winner_rank"] == 1 and result["experts_listed"]
    named = experts.named_committee(t, lot)
    assert {e["name"] for e in result["experts"]} == {m.name for m in named}
    codes = {m.code for m in named}
    assert result["scores"] and not any(s["code"] in codes for s in result["scores"])
    assert not any(code in str(result["scores"]) for code in report.members)
    # Items by name, as the evaluation's method named them.
    assert {s["item_zh"] for s in result["scores"] if s["item"] == "total"} == {"总分"}
    assert all(s["item_zh"] and s["item_en"] for s in result["scores"])

    # The contract and the report.
    hall.fixed.set(bj(2025, 4, 10, 15))
    document = _upload(agency, messages.CONTRACT_PURPOSE.code)
    contract = agency.post(
        f"{API}/awards/{award_id}/contract",
        {"signed_on": "2025-04-10", "price_fen": report.candidates[0].price_fen, "document_id": document},
        content_type="application/json",
    )
    assert contract.status_code == 201, contract.content
    filed = agency.post(
        f"{API}/awards/{award_id}/report", {"text": "招标投标情况书面报告"}, content_type="application/json"
    )
    assert filed.status_code == 201, filed.content
    status = facade.award_status(t, lot)
    assert status.status == states.COMPLETED
    assert {c.rule_id: c.status for c in status.clocks} == {
        "T11.start": states.MET,
        "T11.reply": states.MET,
        "T14": states.MET,
        "T13": states.MET,
    }


def test_retender_once_the_first_ranked_was_passed_over(hall: Hall) -> None:
    """T12: the first-ranked candidate gives no performance bond (recorded with its evidence); the
    tenderer re-tenders instead of awarding the next: the tender fails and a new draft follows."""
    from yingshang.trading.award import services
    from yingshang.trading.projects import states as tender_states
    from yingshang.trading.projects.models import Tender

    finished_opening(hall)
    finished_evaluation(tender_id=hall.tender.pk, lot_id=hall.lot_id)
    t, lot = hall.tender.pk, hall.lot_id
    agency = hall.signed_client("agency")
    hall.fixed.set(bj(2025, 3, 26, 9))
    assert (
        agency.post(
            f"{API}/tenders/{t}/lots/{lot}/publicity", {}, content_type="application/json"
        ).status_code
        == 201
    )
    tasks.due(datetime(2025, 3, 31, 16, tzinfo=UTC))
    award_id = facade.award_status(t, lot).award_id
    hall.fixed.set(bj(2025, 4, 2))
    evidence_id = _upload(agency, messages.EVIDENCE_PURPOSE.code)
    excused = agency.post(
        f"{API}/awards/{award_id}/passed-over",
        {"rank": 1, "reason": states.NO_PERFORMANCE_BOND, "evidence_document_id": evidence_id},
        content_type="application/json",
    )
    assert excused.status_code in (200, 201), excused.content
    retendered = agency.post(
        f"{API}/awards/{award_id}/retender",
        {"reason": "第一中标候选人未提交履约保证金，重新招标"},
        content_type="application/json",
    )
    assert retendered.status_code == 200, retendered.content
    award = services.Award.objects.get(pk=award_id)
    assert award.status == states.RETENDER and award.retender_tender_id is not None
    old, new = Tender.objects.get(pk=t), Tender.objects.get(pk=award.retender_tender_id)
    assert old.status == tender_states.FAILED
    assert new.previous_id == t and new.status == tender_states.DRAFT
    assert set(new.lots.values_list("pk", flat=True)) == {lot}
