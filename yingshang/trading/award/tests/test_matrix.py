"""This context's rows of the platform permission matrix, run through the platform's harness
(every principal, each call rolled back, denied calls must write nothing)."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from django.db import transaction
from django.test import Client

import tests.test_permission_matrix as harness
from tests import permission_matrix as pm
from yingshang.identity.testing import sign_in
from yingshang.trading.award.tests.matrix import expectations


def test_every_award_route_is_declared() -> None:
    declared = {e.key for e in expectations()} | {e.route for e in expectations()}
    missing, _stale = pm.missing_and_stale()
    mine = [m for m in missing if "/trading/award" in m]
    assert all(m.split("  ")[0] in declared for m in mine), mine


@pytest.mark.django_db
def test_award_routes_as_every_principal(client: Client) -> None:
    world = pm.build_world()
    sessions: dict[str, SimpleCookie] = {pm.GUEST: SimpleCookie()}
    for principal in pm.PRINCIPALS:
        if principal != pm.GUEST:
            client.cookies = SimpleCookie()
            sign_in(client, world.user(principal))
            sessions[principal] = client.cookies
    failures: list[str] = []
    for expectation in expectations():
        with transaction.atomic():
            if expectation.setup is not None:
                expectation.setup(world)
            for principal in pm.PRINCIPALS:
                failures += harness._try(client, world, expectation, principal, sessions[principal])
            transaction.set_rollback(True)
    assert not failures, f"{len(failures)} calls did not behave as declared:\n" + "\n".join(failures)
