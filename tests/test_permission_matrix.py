"""Every URL and API operation, as every role and as a guest (see tests/permission_matrix.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlparse

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client

from tests.permission_matrix import (
    EXPECTATIONS,
    GUEST,
    PRINCIPALS,
    Allow,
    Deny,
    Expect,
    Hidden,
    NotApplicable,
    Outcome,
    World,
    build_world,
    missing_and_stale,
    page_routes,
    sign_in_path,
)
from yingshang.identity.testing import sign_in


def test_every_route_has_an_expectation() -> None:
    missing, stale = missing_and_stale()
    problems = []
    if missing:
        problems.append(
            "These routes have no expectation in tests/permission_matrix.py (add them to EXPECTATIONS):\n  "
            + "\n  ".join(missing)
        )
    if stale:
        problems.append("These expectations name routes that no longer exist:\n  " + "\n  ".join(stale))
    assert not problems, "\n\n".join(problems)


def test_skipped_routes_are_only_the_documented_ones() -> None:
    _pages, skipped = page_routes()
    assert skipped, "the admin and the language switch should be listed as skipped"
    assert all(reason for _route, reason in skipped)


def test_expectation_keys_are_unique() -> None:
    keys = [e.key for e in EXPECTATIONS]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


# --- rows written by one request ----------------------------------------------------------------------


def _write_counters() -> dict[str, int]:
    """Rows inserted, updated or deleted so far through this connection (in this transaction on
    PostgreSQL, per table; on SQLite one total)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables")
            return {name: int(count) for name, count in cursor.fetchall()}
        if connection.vendor == "sqlite":
            cursor.execute("SELECT total_changes()")
            return {"(all tables)": int(cursor.fetchone()[0])}
    raise NotImplementedError(connection.vendor)


def _written(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {
        table: after[table] - before.get(table, 0) for table in after if after[table] != before.get(table, 0)
    }


# --- one call ---------------------------------------------------------------------------------------------


def _send(client: Client, expectation: Expect, path: str, data: Mapping[str, Any] | None) -> HttpResponse:
    method = expectation.method
    if expectation.is_api and not expectation.multipart:
        if method == "GET":
            return client.get(path, data or {})  # type: ignore[return-value]
        body = json.dumps(data) if data is not None else ""
        return client.generic(method, path, body, content_type="application/json")  # type: ignore[return-value]
    if method == "GET":
        return client.get(path, data or {})  # type: ignore[return-value]
    if method == "POST":
        return client.post(path, data or {})  # type: ignore[return-value]
    return client.generic(method, path)  # type: ignore[return-value]


def _judge(outcome: Outcome, response: HttpResponse, *, is_api: bool) -> str | None:
    status = response.status_code
    where = f" -> {response['Location']}" if response.has_header("Location") else ""
    if status >= 500:
        return f"server error {status}"
    if isinstance(outcome, Allow):
        ok = status in outcome.statuses
    elif isinstance(outcome, Deny):
        to_sign_in = status == 302 and urlparse(response["Location"]).path == sign_in_path()
        ok = status in (401, 403) or (not is_api and to_sign_in)
    elif isinstance(outcome, Hidden):
        ok = status == 404
    else:
        ok = isinstance(outcome, NotApplicable)
    return None if ok else f"expected {outcome}, got {status}{where}"


def _try(
    client: Client, world: World, expectation: Expect, principal: str, cookies: SimpleCookie
) -> list[str]:
    failures = []
    for case in expectation.cases:
        outcome = case.outcomes[principal]
        label = f"{expectation.key}{' [' + case.label + ']' if case.label else ''} as {principal}"
        with transaction.atomic():
            client.cookies = copy.deepcopy(cookies)
            path = case.path(world, principal) if case.path else expectation.route
            data = case.data(world, principal) if case.data else None
            before = _write_counters()
            response = _send(client, expectation, path, data)
            written = _written(before, _write_counters())
            transaction.set_rollback(True)  # each call starts from the same world
        problem = _judge(outcome, response, is_api=expectation.is_api)
        if problem is None and isinstance(outcome, Deny | Hidden) and written:
            problem = f"denied, yet it changed rows: {written}"
        if problem is not None:
            failures.append(f"{label}: {problem}")
    return failures


@pytest.mark.django_db
def test_every_route_as_every_principal(client: Client) -> None:
    """One world (built once), every expectation, every principal; each call in a savepoint
    that is rolled back, so no call sees another's effects. All failures are listed."""
    world = build_world()
    sessions: dict[str, SimpleCookie] = {GUEST: SimpleCookie()}
    for principal in PRINCIPALS:
        if principal != GUEST:
            client.cookies = SimpleCookie()
            sign_in(client, world.user(principal))
            sessions[principal] = client.cookies
    failures: list[str] = []
    for expectation in EXPECTATIONS:
        with transaction.atomic():
            if expectation.setup is not None:
                expectation.setup(world)
            for principal in PRINCIPALS:
                failures += _try(client, world, expectation, principal, sessions[principal])
            transaction.set_rollback(True)
    assert not failures, f"{len(failures)} calls did not behave as declared:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_the_write_counter_sees_writes(client: Client) -> None:
    """The harness's "nothing changed" check is only honest if it notices a change."""
    world = build_world()
    before = _write_counters()
    world.user("bidder").save(update_fields=["display_name"])
    assert _written(before, _write_counters())
