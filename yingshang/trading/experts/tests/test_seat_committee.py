from __future__ import annotations

from yingshang.identity.testing import make_user
from yingshang.trading.experts import facade, testing


def test_seat_committee_seats_the_given_users(setting) -> None:
    users = [make_user(roles=["expert"]) for _ in range(5)]
    committee = testing.seat_committee(tender_id=setting.tender.pk, lot_id=setting.lot_id, users=users)
    assert committee.complete and committee.size == 5 and len(committee.members) == 5
    assert {m.user_id for m in committee.members} == {u.pk for u in users}
    assert all(m.code.startswith("EX-") and m.kind == "expert" for m in committee.members)
    code = facade.member_code(users[0].pk, setting.tender.pk, setting.lot_id)
    assert code in {m.code for m in committee.members}
    assert facade.assignments_of(users[0].pk) == ((setting.tender.pk, setting.lot_id, code),)
    assert facade.member_code(make_user().pk, setting.tender.pk, setting.lot_id) is None


def test_seat_committee_without_users(setting) -> None:
    committee = testing.seat_committee(tender_id=setting.tender.pk, lot_id=setting.lot_id, experts=7)
    assert committee.complete and len(committee.members) == 7


def test_the_same_users_on_two_tenders_of_one_tenderer(setting) -> None:
    from yingshang.trading.projects import facade as projects
    from yingshang.trading.projects.tests.factories import published_tender

    users = [make_user(roles=["expert"]) for _ in range(5)]
    testing.seat_committee(tender_id=setting.tender.pk, lot_id=setting.lot_id, users=users)
    other = published_tender(setting.cast)
    lot = projects.tender_summary(other.pk).lot_ids[0]
    committee = testing.seat_committee(tender_id=other.pk, lot_id=lot, users=users)
    assert committee.complete
    assert len(facade.assignments_of(users[0].pk)) == 2
