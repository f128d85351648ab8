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
