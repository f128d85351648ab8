"""The award life cycle through the services: the statutory clocks with the calendar
(hand-computed dates), T11 suspension, T12, refusals, the chronograph, the ledger.

Real database, real tender (projects factories), an EvaluationReport value as the evaluation
context hands it over; the domain clock is moved, never slept."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from yingshang.kernel.errors import Conflict, InvalidInput, NotAuthenticated, PermissionDenied, RuleViolation
from yingshang.kernel.policy import Principal
from yingshang.kernel.statutory import SHANGHAI
from yingshang.ledger.models import OutboxEntry
from yingshang.notifications import facade as notifications
from yingshang.trading.award import evidence, facade, messages, services, states, tasks
from yingshang.trading.award.models import Award, Clock
from yingshang.trading.award.tests.builders import World
from yingshang.trading.projects.tests.factories import START, at

pytestmark = [pytest.mark.django_db(transaction=False)]


def bj(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=SHANGHAI)


@pytest.fixture
def world():
    with at(START) as fixed:
        yield World.make(fixed)


@pytest.fixture
def procurement():
    with at(START) as fixed:
        yield World.make(fixed, resource_kind="government_procurement", name="金城市政务云服务采购")


def _received(world: World, finished: datetime | None = None) -> Award:
    finished = finished or bj(2025, 4, 1)
    world.fixed.set(finished)
    return services.receive_report(world.report(finished_at=finished))


def _published(world: World) -> Award:
    award = _received(world)
    world.fixed.set(bj(2025, 4, 7, 9))
    return services.open_publicity(principal=world.cast.agency, award_id=award.pk)


def _clock(award: Award, rule_id: str) -> Clock:
    return award.clocks.get(rule_id=rule_id, objection__isnull=True)


def _actions(award: Award) -> list[str]:
    return list(
        OutboxEntry.objects.filter(subject_type__in=["award", "contract"], subject_id=str(award.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- receiving and publishing -----------------------------------------------------------------


def test_receive_is_idempotent_and_starts_the_t11_start_clock(world: World) -> None:
    award = _received(world)
    again = services.receive_report(world.report(finished_at=bj(2025, 4, 1)))
    assert again.pk == award.pk
    assert award.status == states.RECEIVED
    # Tue 1 April + 3 = Fri 4 April (Qingming) -> Mon 7 April, 24:00 Beijing.
    start = _clock(award, "T11.start")
    assert start.due_on == date(2025, 4, 7)
    assert start.due_at == datetime(2025, 4, 7, 16, tzinfo=UTC)
    assert [c.rank for c in award.candidates.all()] == [1, 2, 3]


def test_a_bad_report_is_refused_whole(world: World) -> None:
    report = world.report(finished_at=bj(2025, 4, 1), candidates=0)
    with pytest.raises(InvalidInput) as exc:
        services.receive_report(report)
    assert exc.value.code == "bad_report"
    report = world.report(finished_at=bj(2025, 4, 1), members=())
    with pytest.raises(InvalidInput):
        services.receive_report(report)
    assert not Award.objects.exists()


def test_publicity_started_late_is_refused(world: World) -> None:
    award = _received(world)
    world.fixed.set(bj(2025, 4, 8, 0, 1))  # after 24:00 of Mon 7 April
    with pytest.raises(RuleViolation) as exc:
        services.open_publicity(principal=world.cast.agency, award_id=award.pk)
    assert exc.value.code == "rule_T11_start"
    assert Award.objects.get(pk=award.pk).status == states.RECEIVED


def test_publicity_shorter_than_three_days_is_refused(world: World) -> None:
    award = _received(world)
    world.fixed.set(bj(2025, 4, 7, 9))
    with pytest.raises(RuleViolation) as exc:
        services.open_publicity(principal=world.cast.agency, award_id=award.pk, ends_on=date(2025, 4, 9))
    assert exc.value.code == "rule_T11_duration"
    award = services.open_publicity(principal=world.cast.agency, award_id=award.pk)
    # Mon 7 April + 3 = Thu 10 April, ends 24:00 Beijing.
    assert award.publicity_ends_on == date(2025, 4, 10)
    assert award.publicity_ends_at == datetime(2025, 4, 10, 16, tzinfo=UTC)
    assert _clock(award, "T11.start").status == states.MET
    assert evidence.PUBLICITY_STARTED in _actions(award)


def test_the_chronograph_ends_the_publicity_at_its_end(world: World) -> None:
    award = _published(world)
    assert tasks.due(bj(2025, 4, 10, 23, 59)) == 0
    assert tasks.due(datetime(2025, 4, 10, 16, tzinfo=UTC)) == 1
    assert Award.objects.get(pk=award.pk).status == states.PUBLICITY_ENDED
    assert tasks.due(bj(2025, 4, 11)) == 0  # idempotent


# --- the award during the publicity, objections ---------------------------------------------------


def test_an_award_during_publicity_is_refused_with_a_clear_message(world: World) -> None:
    award = _published(world)
    world.fixed.set(bj(2025, 4, 8))
    with pytest.raises(Conflict) as exc:
        services.decide_award(principal=world.cast.agency, award_id=award.pk, rank=1)
    assert exc.value.code == "award_during_publicity"
    assert "公示期间" in exc.value.message.render("zh-hans")
    assert "during the candidate publicity" in exc.value.message.render("en")
    assert Award.objects.get(pk=award.pk).status == states.PUBLICITY


def test_an_award_before_any_publicity_is_refused(world: World) -> None:
    award = _received(world)
    with pytest.raises(Conflict) as exc:
        services.decide_award(principal=world.cast.tenderer, award_id=award.pk, rank=1)
    assert exc.value.code == "publicity_not_held"


def test_an_objection_suspends_and_the_answer_resumes(world: World) -> None:
    award = _published(world)
    bidder = world.bidders[1]
    world.fixed.set(bj(2025, 4, 9))
    objection = services.raise_objection(principal=bidder.principal, award_id=award.pk, text_="评分有误")
    # Wed 9 April + 3 = Sat 12 April -> Mon 14 April.
    assert objection.reply_due_on == date(2025, 4, 14)
    assert Award.objects.get(pk=award.pk).status == states.SUSPENDED
    # The end passes while the objection waits: the chronograph does not end a suspended publicity.
    assert tasks.due(bj(2025, 4, 11)) == 0
    with pytest.raises(Conflict) as exc:
        services.decide_award(principal=world.cast.agency, award_id=award.pk, rank=1)
    assert exc.value.code == "objection_pending"
    assert "异议尚未答复" in exc.value.message.render("zh-hans")
    # Answered after the end: the publicity ends then, and the award may follow.
    world.fixed.set(bj(2025, 4, 11, 15))
    services.answer_objection(
        principal=world.cast.agency, objection_id=objection.pk, text_="经复核，评分无误。"
    )
    award.refresh_from_db()
    assert award.status == states.PUBLICITY_ENDED
    reply = award.clocks.get(rule_id="T11.reply")
    assert reply.status == states.MET and reply.due_on == date(2025, 4, 14)
    assert evidence.OBJECTION_RAISED in _actions(award) and evidence.OBJECTION_ANSWERED in _actions(award)
    with pytest.raises(Conflict) as again:
        services.answer_objection(principal=world.cast.agency, objection_id=objection.pk, text_="再答")
    assert again.value.code == "already_answered"


def test_an_answer_within_the_period_resumes_the_publicity(world: World) -> None:
    award = _published(world)
    world.fixed.set(bj(2025, 4, 8))
    objection = services.raise_objection(
        principal=world.bidders[2].principal, award_id=award.pk, text_="异议"
    )
    world.fixed.set(bj(2025, 4, 9))
    services.answer_objection(principal=world.cast.tenderer, objection_id=objection.pk, text_="答复")
    assert Award.objects.get(pk=award.pk).status == states.PUBLICITY
    assert tasks.due(datetime(2025, 4, 10, 16, tzinfo=UTC)) == 1


def test_a_late_answer_is_recorded_and_the_overdue_clock_marked(world: World) -> None:
    award = _published(world)
    world.fixed.set(bj(2025, 4, 10))
    objection = services.raise_objection(
        principal=world.bidders[0].principal, award_id=award.pk, text_="异议"
    )
    # Thu 10 April + 3 = Sun 13 April -> Mon 14 April; overdue from 24:00 of the 14th.
    assert objection.reply_due_on == date(2025, 4, 14)
    assert tasks.due(bj(2025, 4, 14, 23, 59)) == 0
    assert tasks.due(datetime(2025, 4, 14, 16, tzinfo=UTC)) == 1
    reply = award.clocks.get(rule_id="T11.reply")
    assert reply.status == states.OVERDUE
    assert evidence.CLOCK_OVERDUE in _actions(award)
    world.fixed.set(bj(2025, 4, 15))
    services.answer_objection(principal=world.cast.agency, objection_id=objection.pk, text_="答复")
    reply.refresh_from_db()
    assert reply.status == states.MET_LATE
    assert reply.violation is not None and reply.violation["rule"] == "T11.reply"


def test_objections_only_during_the_publicity_and_only_by_the_lots_bidders(world: World) -> None:
    award = _received(world)
    with pytest.raises(Conflict) as exc:
        services.raise_objection(principal=world.bidders[0].principal, award_id=award.pk, text_="太早")
    assert exc.value.code == "outside_publicity"
    world.fixed.set(bj(2025, 4, 7, 9))
    services.open_publicity(principal=world.cast.agency, award_id=award.pk)
    with pytest.raises(PermissionDenied) as denied:
        services.raise_objection(principal=world.cast.p("bidder"), award_id=award.pk, text_="我没投标")
    assert denied.value.code == "not_a_bidder"
    with pytest.raises(NotAuthenticated):
        services.raise_objection(principal=Principal.guest(), award_id=award.pk, text_="游客")
    with pytest.raises(InvalidInput):
        services.raise_objection(principal=world.bidders[0].principal, award_id=award.pk, text_="  ")
    with pytest.raises(PermissionDenied):
        services.raise_objection(principal=world.cast.agency, award_id=award.pk, text_="代理")
    world.fixed.set(bj(2025, 4, 11))
    with pytest.raises(Conflict) as late:
        services.raise_objection(principal=world.bidders[0].principal, award_id=award.pk, text_="太晚")
    assert late.value.code == "outside_publicity"


# --- T12 ----------------------------------------------------------------------------------------


def _ended(world: World) -> Award:
    award = _published(world)
    tasks.due(datetime(2025, 4, 10, 16, tzinfo=UTC))
    award.refresh_from_db()
    return award


def test_t12_state_controlled_must_award_the_first_ranked(world: World) -> None:
    assert world.tender.project.state_controlled
    award = _ended(world)
    world.fixed.set(bj(2025, 4, 16))
    with pytest.raises(RuleViolation) as exc:
        services.decide_award(principal=world.cast.agency, award_id=award.pk, rank=2)
    assert exc.value.code == "rule_T12"
    assert "T12" in exc.value.message.render("en")
    assert Award.objects.get(pk=award.pk).status == states.PUBLICITY_ENDED
    with pytest.raises(RuleViolation):
        services.request_retender(principal=world.cast.agency, award_id=award.pk, reason="想重新招标")


def test_t12_with_a_recorded_reason_the_next_candidate_is_awarded(world: World) -> None:
    award = _ended(world)
    world.fixed.set(bj(2025, 4, 15))
    with pytest.raises(InvalidInput) as bad:
        services.record_excuse(
            principal=world.cast.agency, award_id=award.pk, rank=1, reason="dislike", evidence_document_id=1
        )
    assert bad.value.code == "bad_reason"
    with pytest.raises(InvalidInput) as missing:
        services.record_excuse(
            principal=world.cast.agency,
            award_id=award.pk,
            rank=1,
            reason=states.GAVE_UP,
            evidence_document_id=999999,
        )
    assert missing.value.code == "no_document"
    wrong = world.document(messages.CONTRACT_PURPOSE.code)
    with pytest.raises(InvalidInput) as purpose:
        services.record_excuse(
            principal=world.cast.agency,
            award_id=award.pk,
            rank=1,
            reason=states.GAVE_UP,
            evidence_document_id=wrong,
        )
    assert purpose.value.code == "wrong_purpose"
    doc = world.document(messages.EVIDENCE_PURPOSE.code)
    services.record_excuse(
        principal=world.cast.agency,
        award_id=award.pk,
        rank=1,
        reason=states.GAVE_UP,
        evidence_document_id=doc,
        note="书面放弃中标函",
    )
    with pytest.raises(Conflict) as excused:
        services.decide_award(principal=world.cast.agency, award_id=award.pk, rank=1)
    assert excused.value.code == "candidate_excused"
    with pytest.raises(RuleViolation):
        services.decide_award(principal=world.cast.agency, award_id=award.pk, rank=3)
    world.fixed.set(bj(2025, 4, 16))
    award = services.decide_award(principal=world.cast.agency, award_id=award.pk, rank=2)
    assert award.status == states.AWARDED and award.winner_rank == 2
    # Award Wed 16 April: T14 +15 = Thu 1 May (holiday) -> Tue 6 May; T13 +30 = Fri 16 May.
    assert _clock(award, "T14").due_on == date(2025, 5, 6)
    assert _clock(award, "T13").due_on == date(2025, 5, 16)
    actions = _actions(award)
    for action in (
        evidence.CANDIDATE_PASSED_OVER,
        evidence.DECIDED,
        evidence.NOTICES_ISSUED,
        evidence.RESULT_ANNOUNCED,
        evidence.SCORES_PUBLISHED,
    ):
        assert action in actions
    status = facade.award_status(world.tender.pk, world.lot_id)
    assert status.winner_organisation_id == world.bidders[1].organisation.pk
    assert status.winner_price_fen == 9_100_000_00


# The re-tender itself runs end to end (a real tender closed for bids): test_end_to_end.py.


def test_not_state_controlled_may_award_any_candidate():
    with at(START) as fixed:
        world = World.make(fixed, state_controlled=False)
        award = _ended(world)
        world.fixed.set(bj(2025, 4, 14))
        award = services.decide_award(
            principal=world.cast.agency, award_id=award.pk, rank=3, reason="综合考虑"
        )
        assert award.winner_rank == 3


# --- notices, announcement, scores, contract, report ---------------------------------------------


def _awarded(world: World) -> Award:
    award = _ended(world)
    world.fixed.set(bj(2025, 4, 14))
    return services.decide_award(principal=world.cast.agency, award_id=award.pk, rank=1)


def test_award_notices_and_coded_scores(world: World) -> None:
    award = _awarded(world)
    winner_inbox = notifications.inbox(world.bidders[0].principal)
    loser_inbox = notifications.inbox(world.bidders[2].principal)
    assert [e.template for e in winner_inbox] == [messages.AWARD_NOTICE]
    assert "2025-05-14" in winner_inbox[0].body  # the T13 due day
    assert [e.template for e in loser_inbox] == [messages.RESULT_NOTICE]
    scores = award.published_scores
    codes = {s["code"] for s in scores}
    assert codes == {"A", "B", "C", "D", "E"}
    assert not any(s.startswith("EX-") for s in str(scores).split("'"))
    assert "EX-AAAAAA" not in str(scores)
    # Award Mon 14 April: T14 +15 = Tue 29 April; T13 +30 = Wed 14 May.
    assert _clock(award, "T14").due_on == date(2025, 4, 29)
    assert _clock(award, "T13").due_on == date(2025, 5, 14)
    with pytest.raises(Conflict):
        services.decide_award(principal=world.cast.agency, award_id=award.pk, rank=1)


def test_contract_in_time_and_report(world: World) -> None:
    award = _awarded(world)
    doc = world.document(messages.CONTRACT_PURPOSE.code)
    world.fixed.set(bj(2025, 5, 14, 17))
    with pytest.raises(InvalidInput) as price:
        services.register_contract(
            principal=world.cast.agency,
            award_id=award.pk,
            signed_on=date(2025, 5, 14),
            price_fen=0,
            document_id=doc,
        )
    assert price.value.code == "bad_price"
    with pytest.raises(InvalidInput) as future:
        services.register_contract(
            principal=world.cast.agency,
            award_id=award.pk,
            signed_on=date(2025, 5, 15),
            price_fen=8_800_000_00,
            document_id=doc,
        )
    assert future.value.code == "bad_signed_on"
    contract = services.register_contract(
        principal=world.cast.agency,
        award_id=award.pk,
        signed_on=date(2025, 5, 14),
        price_fen=8_800_000_00,
        document_id=doc,
    )
    assert contract.violation is None
    assert _clock(award, "T13").status == states.MET
    with pytest.raises(Conflict):
        services.register_contract(
            principal=world.cast.agency,
            award_id=award.pk,
            signed_on=date(2025, 5, 14),
            price_fen=8_800_000_00,
            document_id=doc,
        )
    # The report is late (T14 due Tue 29 April): allowed, recorded.
    report = services.report_to_supervisor(principal=world.cast.agency, award_id=award.pk, text_="书面报告")
    assert report.violation is not None and report.violation["rule"] == "T14"
    award.refresh_from_db()
    assert award.status == states.COMPLETED
    assert _clock(award, "T14").status == states.MET_LATE
    assert evidence.CONTRACT_REGISTERED in list(
        OutboxEntry.objects.filter(subject_type="contract").values_list("action", flat=True)
    )


def test_a_late_contract_warns_and_is_recorded(world: World) -> None:
    award = _awarded(world)
    world.fixed.set(bj(2025, 4, 20))
    services.report_to_supervisor(principal=world.cast.agency, award_id=award.pk, text_="报告")
    assert _clock(award, "T14").status == states.MET
    # T13 due Wed 14 May: overdue from 24:00.
    assert tasks.due(bj(2025, 5, 14, 23)) == 0
    assert tasks.due(datetime(2025, 5, 14, 16, tzinfo=UTC)) == 1
    assert _clock(award, "T13").status == states.OVERDUE
    assert facade.award_status(award.tender_id, award.lot_id).clocks
    world.fixed.set(bj(2025, 5, 20))
    doc = world.document(messages.CONTRACT_PURPOSE.code)
    contract = services.register_contract(
        principal=world.cast.agency,
        award_id=award.pk,
        signed_on=date(2025, 5, 19),
        price_fen=1,
        document_id=doc,
    )
    assert contract.violation is not None and contract.violation["effect"] == "warn"
    assert _clock(award, "T13").status == states.MET_LATE
    award.refresh_from_db()
    assert award.status == states.COMPLETED


# --- procurement --------------------------------------------------------------------------------


def test_procurement_has_no_publicity_and_needs_the_experts_listed(procurement: World) -> None:
    world = procurement
    assert world.tender.regime == "procurement"
    world.fixed.set(bj(2025, 4, 22))
    award = services.receive_report(world.report(finished_at=bj(2025, 4, 22)))
    # Tue 22 April: 5 working days = 23, 24, 25, Sun 27 (make-up), 28 -> Mon 28 April.
    assert _clock(award, "G6.award").due_on == date(2025, 4, 28)
    with pytest.raises(Conflict) as exc:
        services.open_publicity(principal=world.cast.agency, award_id=award.pk)
    assert exc.value.code == "no_publicity"
    world.fixed.set(bj(2025, 4, 25))
    # No committee exists for this synthetic report: the announcement could not list the experts.
    with pytest.raises(RuleViolation) as experts:
        services.decide_award(principal=world.cast.agency, award_id=award.pk, rank=1)
    assert experts.value.code == "rule_G6_experts"
    assert Award.objects.get(pk=award.pk).status == states.RECEIVED


# --- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agency", "tenderer", "staff"])
def test_managers_may_award(world: World, who: str) -> None:
    award = _ended(world)
    world.fixed.set(bj(2025, 4, 14))
    assert (
        services.decide_award(principal=world.cast.p(who), award_id=award.pk, rank=1).status == states.AWARDED
    )


@pytest.mark.parametrize("who", ["supervisor", "auditor", "bidder", "other_tenderer", "other_supervisor"])
def test_others_may_not_award_or_answer(world: World, who: str) -> None:
    award = _ended(world)
    world.fixed.set(bj(2025, 4, 14))
    with pytest.raises(PermissionDenied):
        services.decide_award(principal=world.cast.p(who), award_id=award.pk, rank=1)
    with pytest.raises(PermissionDenied):
        services.request_retender(principal=world.cast.p(who), award_id=award.pk, reason="x")


def test_candidates_may_not_award_themselves(world: World) -> None:
    award = _ended(world)
    with pytest.raises(PermissionDenied):
        services.decide_award(principal=world.bidders[0].principal, award_id=award.pk, rank=1)
    with pytest.raises(NotAuthenticated):
        services.decide_award(principal=Principal.guest(), award_id=award.pk, rank=1)


# --- demo ---------------------------------------------------------------------------------------


def test_ensure_demo_awards_is_idempotent(world: World) -> None:
    other = World.make(world.fixed)
    _received(world, bj(2025, 4, 1))
    services.receive_report(other.report(finished_at=bj(2025, 4, 1)))
    world.fixed.set(bj(2025, 4, 3))

    def demo() -> list[int]:
        return [
            *facade.ensure_demo_awards(
                agency_user_id=other.cast.agency_user.pk, publicity=[(other.tender.pk, other.lot_id)]
            ),
            *facade.ensure_demo_awards(
                agency_user_id=world.cast.agency_user.pk, awarded=[(world.tender.pk, world.lot_id)]
            ),
        ]

    # Too early for the award: the lot waits in publicity.
    first = demo()
    assert facade.award_status(world.tender.pk, world.lot_id).status == states.PUBLICITY
    world.fixed.set(bj(2025, 4, 20))
    ids = demo()
    assert ids == first
    status = facade.award_status(world.tender.pk, world.lot_id)
    assert status.status == states.AWARDED and status.winner_rank == 1
    # Published Tue 1 April 11:00: +3 = Fri 4 April (Qingming) -> Mon 7 April; awarded 8 April 01:00.
    assert status.publicity_ends_at == datetime(2025, 4, 7, 16, tzinfo=UTC)
    assert status.awarded_at == datetime(2025, 4, 7, 17, tzinfo=UTC)
    assert facade.award_status(other.tender.pk, other.lot_id).status == states.PUBLICITY
    count = OutboxEntry.objects.count()
    assert demo() == ids
    assert OutboxEntry.objects.count() == count
