"""The need, exclusions, the draw through the draws context, answers and replacements."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.test import override_settings

from yingshang.draws import facade as draws
from yingshang.identity import facade as identity
from yingshang.identity.testing import make_user
from yingshang.kernel import clock
from yingshang.kernel.draws import verify
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor
from yingshang.notifications import facade as notifications
from yingshang.trading.experts import facade, services, states
from yingshang.trading.experts.models import DrawRound, Seat
from yingshang.trading.experts.testing import make_expert

REGION = "620102"


def pool(setting, n: int = 7, **kw):
    return [make_expert(user=make_user(roles=["expert"]), region=REGION, **kw) for _ in range(n)]


def need(setting, count: int = 5, representatives: int = 0, specialty: str = "A01"):
    return services.state_need(
        principal=setting.cast.agency,
        tender_id=setting.tender.pk,
        lot_id=setting.lot_id,
        rows=[services.RowInput(specialty=specialty, count=count, regions=(REGION,))],
        representatives=representatives,
        evaluation_at=clock.now() + timedelta(days=2),
    )


def perform(setting) -> list[Seat]:
    ledger.sequence_once()
    services.complete_due(now=clock.now())
    return list(Seat.objects.filter(need__tender_id=setting.tender.pk, status=states.INVITED))


def principal_of(seat: Seat):
    return identity.principal_for_user(identity.get_user(int(seat.user_id or 0)))


def test_t9_need_refused_with_a_clear_message(setting) -> None:
    with pytest.raises(InvalidInput) as caught:
        need(setting, count=4)  # even and below five
    assert caught.value.code == "committee_rule"
    assert "T9" in str(caught.value.message.zh) and "T9" in caught.value.message.en
    with pytest.raises(InvalidInput):
        need(setting, count=3, representatives=2)  # experts below two thirds
    with pytest.raises(NotFound) as nf:
        facade.committee(setting.tender.pk, setting.lot_id)
    assert nf.value.code == "no_committee"
    # up to one third representatives is fine
    stated = need(setting, count=5, representatives=2)
    assert stated.size == 7


def test_only_organisers_state_the_need(setting) -> None:
    with pytest.raises(PermissionDenied):
        services.state_need(
            principal=setting.cast.p("bidder"),
            tender_id=setting.tender.pk,
            lot_id=setting.lot_id,
            rows=[services.RowInput(specialty="A01", count=5)],
            representatives=0,
            evaluation_at=clock.now() + timedelta(days=1),
        )


def test_too_few_eligible_says_how_many_are_missing_and_why(setting) -> None:
    experts = pool(setting, 6)
    tenderer_uscc = setting.cast.tenderer_org.uscc
    make_expert(region=REGION, employer_uscc=tenderer_uscc)
    staff = setting.cast.staff
    services.suspend_expert(principal=staff, code=experts[0].code, until=date(2030, 1, 1), reason="违规")
    services.blacklist_expert(principal=staff, code=experts[1].code, reason="串通")
    services.add_unavailability(
        principal=principal_of_user(experts[2]),
        code=experts[2].code,
        starts_at=clock.now(),
        ends_at=clock.now() + timedelta(days=10),
        reason="出差",
    )
    make_expert(region="110101")  # another region
    make_expert(region=REGION, specialties=("C01",))
    need(setting)
    with pytest.raises(InvalidInput) as caught:
        services.start_draw(principal=setting.cast.agency, tender_id=setting.tender.pk, lot_id=setting.lot_id)
    error = caught.value
    assert error.code == "too_few_experts"
    assert "还差 2 人" in error.message.zh and "2 missing" in error.message.en
    detail = error.details[0]
    assert detail["eligible"] == 3 and detail["missing"] == 2
    assert detail["excluded"] == {
        "blacklisted": 1,
        "suspended": 1,
        "specialty": 1,
        "region": 1,
        "unavailable": 1,
        "employed_by_tenderer": 1,
    }
    assert not DrawRound.objects.exists()  # nothing half-done


def principal_of_user(expert):
    return identity.principal_for_user(expert.user)


def test_draw_invites_notifies_and_verifies(setting) -> None:
    pool(setting, 8)
    need(setting)
    rounds = services.start_draw(
        principal=setting.cast.agency, tender_id=setting.tender.pk, lot_id=setting.lot_id
    )
    supervisor = setting.cast.supervisor
    assert (
        services.contribute(
            principal=supervisor, tender_id=setting.tender.pk, lot_id=setting.lot_id, value="7f3a"
        )
        == 1
    )
    seats = perform(setting)
    assert len(seats) == 5
    record = json.loads(json.dumps(draws.public_record(rounds[0].draw_id).as_json()))
    checked = verify(record)
    assert list(checked.result) == [s.code for s in seats]
    assert record["parameters"]["specialty"] == "A01" and len(record["contributions"]) == 1
    for seat in seats:
        assert [e.template for e in notifications.inbox(principal_of(seat))] == ["experts.invited"]
    # names never reach the public record
    assert all(
        s.expert is not None and s.expert.name not in json.dumps(record, ensure_ascii=False) for s in seats
    )
    committee = facade.committee(setting.tender.pk, setting.lot_id)
    assert committee.status == "drawing" and committee.members == ()
    for seat in seats:
        services.accept(principal=principal_of(seat), seat_id=seat.pk, no_conflict=True)
    assert facade.committee(setting.tender.pk, setting.lot_id).complete


def test_decline_and_silence_draw_replacements(setting) -> None:
    pool(setting, 8)
    need(setting)
    services.start_draw(principal=setting.cast.agency, tender_id=setting.tender.pk, lot_id=setting.lot_id)
    seats = perform(setting)
    first, second = seats[0], seats[1]
    with pytest.raises(InvalidInput):
        services.decline(principal=principal_of(first), seat_id=first.pk, reason=" ")
    with pytest.raises(InvalidInput):
        services.accept(principal=principal_of(first), seat_id=first.pk, no_conflict=False)
    with pytest.raises(PermissionDenied):
        services.accept(principal=principal_of(second), seat_id=first.pk, no_conflict=True)
    services.decline(principal=principal_of(first), seat_id=first.pk, reason="与投标人有亲属关系")
    with pytest.raises(Conflict):
        services.accept(principal=principal_of(first), seat_id=first.pk, no_conflict=True)
    for seat in seats[2:]:
        services.accept(principal=principal_of(seat), seat_id=seat.pk, no_conflict=True)
    # the second says nothing: after EXPERT_RESPONSE_MINUTES the seat expires
    setting.fixed.advance(timedelta(minutes=31))
    services.complete_due(now=clock.now())  # expires, prepares one replacement draw of 2
    replacement = DrawRound.objects.get(number=2)
    assert replacement.k == 2 and replacement.eligible_count == 3  # 8 minus the 5 already drawn
    new = perform(setting)
    assert len(new) == 2 and {s.code for s in new}.isdisjoint({s.code for s in seats})
    for seat in new:
        services.accept(principal=principal_of(seat), seat_id=seat.pk, no_conflict=True)
    committee = facade.committee(setting.tender.pk, setting.lot_id)
    assert committee.complete and len(committee.members) == 5
    assert first.code not in {m.code for m in committee.members}


def test_shortage_on_replacement_is_recorded_not_raised(setting) -> None:
    pool(setting, 5)
    need(setting)
    services.start_draw(principal=setting.cast.agency, tender_id=setting.tender.pk, lot_id=setting.lot_id)
    seats = perform(setting)
    services.decline(principal=principal_of(seats[0]), seat_id=seats[0].pk, reason="生病")
    services.complete_due(now=clock.now())
    row = DrawRound.objects.get().row
    row.refresh_from_db()
    assert row.shortage == {"missing": 1, "excluded": {"already_drawn": 5}}
    pool(setting, 1)
    services.complete_due(now=clock.now())
    perform(setting)
    assert Seat.objects.filter(round__number=2).count() == 1


@override_settings(EXPERT_REPEAT_WINDOW_DAYS=90)
def test_recently_drawn_for_the_same_tenderer_is_excluded(setting) -> None:
    from yingshang.trading.experts import testing

    committee = testing.seat_committee(tender_id=setting.tender.pk, lot_id=setting.lot_id)
    codes = {m.code for m in committee.members}
    from yingshang.trading.experts.models import NeedRow

    row = NeedRow.objects.get()
    found = services.eligibility_for(row, bidders=frozenset(), tenderers=frozenset())
    assert set(found.excluded) >= codes and {found.excluded[c] for c in codes} == {"already_drawn"}
    # another lot or tender of the same tenderer: recent_draw
    from yingshang.trading.experts.models import Need

    other = Need.objects.get()
    other.pk = None
    other.lot_id = 999_999
    other.save()
    new_row = NeedRow.objects.create(need=other, position=1, specialty="A01", count=5, regions=row.regions)
    found = services.eligibility_for(new_row, bidders=frozenset(), tenderers=frozenset())
    assert {found.excluded[c] for c in codes} == {"recent_draw"}


def test_identities_secret_until_published(setting) -> None:
    from yingshang.trading.experts import testing

    testing.seat_committee(tender_id=setting.tender.pk, lot_id=setting.lot_id)
    with pytest.raises(Conflict) as caught:
        facade.named_committee(setting.tender.pk, setting.lot_id)
    assert caught.value.code == "identities_secret"
    named = facade.publish_identities(
        actor=Actor.system("award"), tender_id=setting.tender.pk, lot_id=setting.lot_id
    )
    assert len(named) == 5 and all(m.name.startswith("测试专家") for m in named)
    assert (
        facade.publish_identities(
            actor=Actor.system("award"), tender_id=setting.tender.pk, lot_id=setting.lot_id
        )
        == named
    )
    assert facade.named_committee(setting.tender.pk, setting.lot_id) == named


def test_representatives(setting) -> None:
    from yingshang.trading.experts import testing

    pool(setting, 0)
    services.state_need(
        principal=setting.cast.agency,
        tender_id=setting.tender.pk,
        lot_id=setting.lot_id,
        rows=[services.RowInput(specialty="A01", count=5, regions=("990001",))],
        representatives=2,
        evaluation_at=clock.now() + timedelta(days=1),
    )
    seat = services.appoint_representative(
        principal=setting.cast.agency,
        tender_id=setting.tender.pk,
        lot_id=setting.lot_id,
        user_id=setting.cast.tenderer_user.pk,
    )
    assert seat.code == "REP-1"
    assert facade.member_code(setting.cast.tenderer_user.pk, setting.tender.pk, setting.lot_id) == "REP-1"
    _ = testing


def test_anyone_recomputes_the_expert_draw_with_the_command(setting, tmp_path) -> None:
    import io

    from django.core.management import call_command
    from django.test import Client

    pool(setting, 6)
    need(setting)
    rounds = services.start_draw(
        principal=setting.cast.agency, tender_id=setting.tender.pk, lot_id=setting.lot_id
    )
    seats = perform(setting)
    record = Client().get(f"/api/v1/draws/{rounds[0].draw_id}")  # a guest downloads it
    assert record.status_code == 200
    path = tmp_path / "draw.json"
    path.write_bytes(record.content)
    out = io.StringIO()
    call_command(
        "draw", "verify", str(path), "--key", ledger.verifier_key(), stdout=out, stderr=io.StringIO()
    )
    for seat in seats:
        assert seat.code in out.getvalue()


def test_an_experts_own_answers_are_read_by_oversight_only(setting) -> None:
    """Accepting and declining are recorded with the expert's account as the actor: the tenderer
    and agency (who follow codes and counts) cannot read those entries; a supervisor can."""
    from yingshang.ledger.models import OutboxEntry
    from yingshang.ledger.permissions import Readable, may_read

    pool(setting, 6)
    need(setting)
    services.start_draw(principal=setting.cast.agency, tender_id=setting.tender.pk, lot_id=setting.lot_id)
    seats = perform(setting)
    services.decline(principal=principal_of(seats[0]), seat_id=seats[0].pk, reason="出差")
    services.accept(principal=principal_of(seats[1]), seat_id=seats[1].pk, no_conflict=True)
    experts = {seat.expert.user_id for seat in seats[:2] if seat.expert is not None}
    answers = OutboxEntry.objects.filter(actor_user_id__in=experts)
    assert {e.action for e in answers} >= {"trading.expert_draw.declined", "trading.expert_draw.accepted"}
    for entry in answers:
        readable = Readable(visibility=entry.visibility)
        assert not may_read(setting.cast.tenderer, readable)
        assert not may_read(setting.cast.agency, readable)
        assert not may_read(setting.cast.staff, readable)
        assert may_read(setting.cast.supervisor, readable)


def test_a_procurement_negotiation_group_of_three_meets_g10(setting) -> None:
    """Government procurement by competitive negotiation: a group of three experts is lawful
    (G10.group), where an open tender needs five (T9, above); two are refused under G10.group."""
    from yingshang.trading.projects.tests.factories import draft_tender

    tender = draft_tender(
        setting.cast,
        method="negotiation",
        name="金城市政务云服务采购",
        resource_kind="government_procurement",
    )
    lot_id = tender.lots.get().pk

    def state(count: int):
        return services.state_need(
            principal=setting.cast.agency,
            tender_id=tender.pk,
            lot_id=lot_id,
            rows=[services.RowInput(specialty="D01", count=count, regions=(REGION,))],
            representatives=0,
            evaluation_at=clock.now() + timedelta(days=2),
        )

    with pytest.raises(InvalidInput) as caught:
        state(2)
    assert caught.value.code == "committee_rule" and "G10.group" in caught.value.message.en
    assert state(3).rows.get().count == 3
