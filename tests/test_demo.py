"""The demo city loads, holds every role, and a second load changes nothing."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from yingshang.demo.city import DEMO_PASSWORD, ORGANISATIONS, PEOPLE
from yingshang.demo.loader import uscc_of
from yingshang.identity.facade import Role, principal_for_user
from yingshang.kernel.identifiers import check_uscc


def snapshot() -> dict[str, list[tuple]]:
    tables = {}
    for label in ("identity", "ledger"):
        for model in apps.get_app_config(label).get_models():
            tables[model._meta.label] = sorted(
                tuple(str(v) for v in row) for row in model._default_manager.values_list()
            )
    return tables


@pytest.mark.django_db
def test_demo_loads_every_role_with_valid_credit_codes() -> None:
    call_command("demo", verbosity=0)
    from yingshang.identity.facade import Organisation, User

    # the city's organisations, and the employers of the experts drawn for the demo committees
    from yingshang.trading.experts.demo import EMPLOYERS

    usccs = set(Organisation.objects.values_list("uscc", flat=True))
    assert {uscc_of(org.key) for org in ORGANISATIONS} <= usccs
    assert usccs - {uscc_of(org.key) for org in ORGANISATIONS} <= {uscc for _, uscc in EMPLOYERS.values()}
    for organisation in Organisation.objects.all():
        assert check_uscc(organisation.uscc) == organisation.uscc
    held = set()
    for person in PEOPLE:
        principal = principal_for_user(User.objects.get(username=person.username))
        held |= set(principal.roles)
    assert held == {role.value for role in Role}


@pytest.mark.django_db
def test_second_demo_load_changes_nothing() -> None:
    call_command("demo", verbosity=0)
    before = snapshot()
    call_command("demo", verbosity=0)
    assert snapshot() == before


@pytest.mark.django_db
def test_demo_bidder_can_sign_in_with_the_printed_password(client: Client) -> None:
    call_command("demo", verbosity=0)
    response = client.post("/account/sign-in/", {"username": "bidder01", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_the_demo_has_a_finished_opening_and_one_about_to_open(client: Client) -> None:
    """The closed tender's opening is finished with every row decrypted, confirmed and public,
    an objection answered and a signed record; another tender's deadline is minutes away, with
    enough bids to open live."""
    from datetime import timedelta

    from yingshang.demo.bids import CLOSED, CLOSING_SOON, tender_named
    from yingshang.kernel import clock
    from yingshang.kernel.keys import verify_platform_pdf
    from yingshang.trading.bids import facade as bids
    from yingshang.trading.opening import facade as opening
    from yingshang.trading.projects import facade as projects

    call_command("demo", verbosity=0)
    closed = tender_named(CLOSED)
    assert closed is not None
    lot = projects.tender_summary(closed).lot_ids[0]
    result = opening.opening_result(closed, lot)
    assert len(result.bids) == 3
    assert all(b.decryption == "decrypted" and b.price_fen for b in result.bids)
    session = client.get(f"/api/v1/trading/opening/tenders/{closed}/sessions").json()[0]
    assert session["status"] == "finished"
    assert [o["answer"] for o in session["objections"]] != [] and all(
        o["answer"] for o in session["objections"]
    )
    record = client.get(f"/api/v1/trading/opening/sessions/{session['session_id']}/record.pdf")
    assert record.status_code == 200 and verify_platform_pdf(record.content).ok
    soon = tender_named(CLOSING_SOON)
    assert soon is not None
    deadline = projects.tender_summary(soon).bid_deadline
    assert deadline is not None and timedelta(0) < deadline - clock.now() <= timedelta(minutes=10)
    assert bids.submitted_count(soon) >= 3


@pytest.mark.django_db
def test_the_demo_has_committees_evaluations_and_awards_in_every_stage(client: Client) -> None:
    """Issue 7: 南山路 is being scored by a complete committee (one decline replaced, an abnormal
    mark waiting for its explanation, names secret); 安宁区's candidates are in publicity with an
    objection answered; 北环路 is awarded, its contract registered and the supervisor told, the
    experts named in the result announcement and their scores under letters."""
    from yingshang.demo.bids import AWARDED, CLOSED, IN_PUBLICITY, tender_named
    from yingshang.demo.evaluation import committee_usernames
    from yingshang.identity.facade import User
    from yingshang.kernel import clock
    from yingshang.ledger import facade as ledger
    from yingshang.trading.award import facade as award
    from yingshang.trading.evaluation import facade as evaluation
    from yingshang.trading.evaluation import selectors
    from yingshang.trading.evaluation.models import Evaluation
    from yingshang.trading.experts import facade as experts
    from yingshang.trading.experts.models import Seat
    from yingshang.trading.projects import facade as projects

    call_command("demo", verbosity=0)
    lots = {}
    for title in (CLOSED, IN_PUBLICITY, AWARDED):
        tender_id = tender_named(title)
        assert tender_id is not None
        lots[title] = (tender_id, projects.tender_summary(tender_id).lot_ids[0])
    for tender_id, lot_id in lots.values():
        committee = experts.committee(tender_id, lot_id)
        assert committee.complete and len(committee.members) == 5
        # every drawn member has an account with the expert role and a second factor
        for member in committee.members:
            assert member.user_id is not None
            user = User.objects.get(pk=member.user_id)
            assert experts.member_code(user.pk, tender_id, lot_id) == member.code
            assert user.check_password(DEMO_PASSWORD)
    closed, publicity, awarded = lots[CLOSED], lots[IN_PUBLICITY], lots[AWARDED]
    assert Seat.objects.filter(need__tender_id=closed[0], need__lot_id=closed[1], status="declined").exists()
    assert len(committee_usernames(CLOSED)) == 5
    # evaluations
    assert evaluation.evaluation_status(*closed) == "scoring"
    assert evaluation.evaluation_status(*publicity) == "finished"
    assert evaluation.evaluation_status(*awarded) == "finished"
    scoring = Evaluation.objects.get(tender_id=closed[0], lot_id=closed[1])
    assert selectors.current_anomalies(scoring)
    # awards
    now = clock.now()
    in_publicity = award.award_status(*publicity)
    assert in_publicity.status == "publicity" and in_publicity.publicity_starts_at is not None
    assert in_publicity.publicity_starts_at < now < (in_publicity.publicity_ends_at or now)
    assert in_publicity.pending_objections == 0
    assert any(c.rule_id == "T11.reply" and c.status == "met" for c in in_publicity.clocks)
    done = award.award_status(*awarded)
    assert done.winner_rank == 1 and done.awarded_at is not None
    assert done.contract_signed_on is not None and done.reported_at is not None
    assert done.reported_at < now
    assert all(c.status == "met" for c in done.clocks)
    # names: secret for 南山路 and 安宁区, public for 北环路 (and on its public award page)
    for lot in (closed, publicity):
        with pytest.raises(Exception, match=r"保密|secret"):
            experts.named_committee(*lot)
    named = experts.named_committee(*awarded)
    assert len(named) == 5
    page = client.get(f"/trading/award/{awarded[0]}/{awarded[1]}/").content.decode()
    assert all(member.name in page for member in named)
    secret_page = client.get(f"/trading/award/{publicity[0]}/{publicity[1]}/").content.decode()
    secret_names = Seat.objects.filter(
        need__tender_id=publicity[0], need__lot_id=publicity[1], status="confirmed"
    ).values_list("expert__name", flat=True)
    assert "排洪沟" in secret_page and not any(name in secret_page for name in secret_names)
    assert list(ledger.audit()) == []
