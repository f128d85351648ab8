"""The demo city loads, holds every role, and a second load changes nothing."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from yingshang.demo.city import DEMO_PASSWORD, ORGANISATIONS, PEOPLE
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

    assert Organisation.objects.count() == len(ORGANISATIONS)
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
