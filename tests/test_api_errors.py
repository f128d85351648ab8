"""The API's error format: RFC 9457 problem documents in the request's language, never a 500."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yingshang.identity import services
from yingshang.identity.testing import make_user
from yingshang.kernel.identifiers import make_uscc

PROBLEM = "application/problem+json"
TOKENS = "/api/v1/identity/tokens"


@pytest.fixture
def bearer(db) -> dict[str, Any]:
    user = make_user("apiuser", roles=["bidder"])
    created = services.create_api_token(
        user=user,
        name="tests",
        scopes=["identity:read", "identity:write"],
        expires_at=timezone.now() + timedelta(days=30),
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {created.plain}"}


def post_json(client: Client, path: str, body: str, headers: dict[str, Any], language: str = "zh-hans"):
    return client.post(path, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language, **headers)


def valid_token_body(**overrides: object) -> str:
    body: dict[str, object] = {
        "name": "tool",
        "scopes": ["identity:read"],
        "expires_at": (timezone.now() + timedelta(days=5)).isoformat(),
    }
    body.update(overrides)
    return json.dumps(body)


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert body["title"] and body["detail"]
    return body


@pytest.mark.django_db
def test_malformed_json_is_a_400_in_chinese_and_english(client: Client, bearer) -> None:
    zh = assert_problem(post_json(client, TOKENS, '{"name": ', bearer), 400, "malformed_json")
    assert "不是有效的 JSON" in zh["detail"]
    en = assert_problem(post_json(client, TOKENS, '{"name": ', bearer, "en"), 400, "malformed_json")
    assert "not valid JSON" in en["detail"]


@pytest.mark.django_db
def test_unknown_field_is_named_and_nothing_is_stored(client: Client, bearer) -> None:
    from yingshang.identity.models import ApiToken

    before = ApiToken.objects.count()
    body = assert_problem(
        post_json(client, TOKENS, valid_token_body(colour="red"), bearer), 422, "validation_error"
    )
    assert {"field": "body.colour", "code": "extra_forbidden", "message": "无法识别此字段，请删除。"} in body[
        "errors"
    ]
    assert ApiToken.objects.count() == before


@pytest.mark.django_db
def test_field_level_messages_follow_the_language(client: Client, bearer) -> None:
    body = json.dumps({"scopes": ["identity:read"], "expires_at": "next tuesday"})
    zh = assert_problem(post_json(client, TOKENS, body, bearer), 422, "validation_error")
    fields = {e["field"]: e["message"] for e in zh["errors"]}
    assert fields["body.name"] == "这个字段是必填项。"
    assert "ISO 8601" in fields["body.expires_at"]
    en = assert_problem(post_json(client, TOKENS, body, bearer, "en"), 422, "validation_error")
    assert {e["field"]: e["message"] for e in en["errors"]}["body.name"] == "This field is required."


@pytest.mark.django_db
def test_invalid_credit_code_in_a_body_gets_the_exact_message(client: Client, bearer) -> None:
    good = make_uscc("9", "1", "620100", "MA7C0001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    body = assert_problem(
        post_json(client, TOKENS, valid_token_body(organisation_uscc=bad), bearer, "en"),
        422,
        "validation_error",
    )
    (error,) = body["errors"]
    assert error["field"] == "body.organisation_uscc"
    assert "check" in error["message"].lower()


@pytest.mark.django_db
def test_no_credentials_is_a_401_with_a_challenge(client: Client) -> None:
    response = client.get("/api/v1/identity/me")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_revoked_token_is_refused(client: Client, bearer) -> None:
    assert client.get("/api/v1/identity/me", **bearer).status_code == 200
    from yingshang.identity.models import ApiToken

    ApiToken.objects.update(revoked_at=timezone.now())
    assert_problem(client.get("/api/v1/identity/me", **bearer), 401, "not_authenticated")


@pytest.mark.django_db
def test_unknown_api_address_is_a_problem_document_not_a_page(client: Client) -> None:
    body = assert_problem(client.get("/api/v1/no/such/thing"), 404, "not_found")
    assert "/api/v1/docs" in body["detail"]


@pytest.mark.django_db
def test_public_credit_code_check_in_both_languages(client: Client) -> None:
    zh = assert_problem(client.get("/api/v1/kernel/uscc/12345"), 422, "validation_error")
    en = assert_problem(
        client.get("/api/v1/kernel/uscc/12345", HTTP_ACCEPT_LANGUAGE="en"), 422, "validation_error"
    )
    assert zh["errors"][0]["message"] != en["errors"][0]["message"]
    assert "18" in zh["errors"][0]["message"] and "18" in en["errors"][0]["message"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
token_like = st.fixed_dictionaries(
    {},
    optional={
        "name": json_values,
        "scopes": json_values,
        "expires_at": json_values | st.datetimes().map(lambda d: d.isoformat()),
        "organisation_uscc": json_values,
    },
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(json_values.map(json.dumps), token_like.map(json.dumps), st.binary(max_size=40).map(repr))
)
def test_arbitrary_bodies_never_cause_a_server_error(client: Client, bearer, body: str) -> None:
    response = post_json(client, TOKENS, body, bearer)
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_database_that_gives_no_answer_in_time_is_a_503_and_nothing_is_stored(
    client: Client, bearer
) -> None:
    """Another process holds the database (an exclusive SQLite lock, as a surge or a long
    migration would): the API answers 503 with Retry-After instead of a server error, and a
    retry after the lock is gone succeeds."""
    import sqlite3

    from django.db import connection

    from yingshang.identity.models import ApiToken

    connection.ensure_connection()
    connection.connection.execute("PRAGMA busy_timeout = 50")
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    before = ApiToken.objects.count()
    holder.execute("BEGIN EXCLUSIVE")
    try:
        busy = post_json(client, TOKENS, valid_token_body(), bearer, language="en")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert busy.status_code == 503, busy.content
    assert busy["Content-Type"] == PROBLEM and busy["Retry-After"] == "5"
    assert busy.json()["code"] == "service_busy" and "send it again" in busy.json()["detail"]
    assert ApiToken.objects.count() == before
    again = post_json(client, TOKENS, valid_token_body(), bearer)
    assert again.status_code == 201, again.content
