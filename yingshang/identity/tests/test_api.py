"""The identity API: /me, tokens, organisations, authentication and problem documents."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from yingshang.identity import services
from yingshang.identity.models import ApiToken, Organisation, User
from yingshang.identity.testing import make_organisation, make_user, sign_in

pytestmark = pytest.mark.django_db

BASE = "/api/v1/identity"


def bearer(plain: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}", **more}


def token_for(
    user: User, scopes: Sequence[str] = ("identity:read",), organisation: Organisation | None = None
) -> str:
    return services.create_api_token(
        user=user,
        name="test",
        scopes=list(scopes),
        expires_at=timezone.now() + timedelta(days=7),
        organisation=organisation,
    ).plain


def post_json(client: Client, path: str, body: object, headers: dict[str, str] | None = None) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


def test_me_with_a_session(client: Client) -> None:
    user = make_user("quinn", roles=["bidder"])
    sign_in(client, user)
    body = client.get(f"{BASE}/me").json()
    assert body["user"]["username"] == "quinn"
    assert body["roles"] == ["bidder"]
    assert body["authenticated_by"] == "session" and body["scopes"] is None
    assert body["organisation"]["kind"] == "enterprise"
    assert [m["roles"] for m in body["memberships"]] == [["bidder"]]


def test_me_with_a_token_uses_the_tokens_organisation(client: Client) -> None:
    user = make_user(roles=["bidder"])
    agency = make_organisation("agency", name="aa agency")  # first by name, not the token's
    services.grant_role(actor=None, user=user, organisation=agency, role="agency")
    enterprise = Organisation.objects.get(memberships__user=user, kind="enterprise")
    plain = token_for(user, scopes=["files:read"], organisation=enterprise)
    body = client.get(f"{BASE}/me", headers=bearer(plain)).json()
    assert body["authenticated_by"] == "token" and body["scopes"] == ["files:read"]
    assert body["organisation"]["uscc"] == enterprise.uscc and body["roles"] == ["bidder"]


def test_anonymous_and_bad_tokens_get_401_problems(client: Client) -> None:
    response = client.get(f"{BASE}/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"
    response = client.get(f"{BASE}/me", headers=bearer("ys_aaaaaaaaaaaa_" + "A" * 43))
    assert response.status_code == 401 and "令牌" in response.json()["detail"]
    response = client.get(f"{BASE}/me", headers=bearer("nonsense", **{"Accept-Language": "en"}))
    assert response.status_code == 401 and "API token is not valid" in response.json()["detail"]


def test_expired_and_revoked_tokens_are_refused(client: Client) -> None:
    user = make_user(roles=["bidder"])
    plain = token_for(user)
    assert client.get(f"{BASE}/me", headers=bearer(plain)).status_code == 200
    ApiToken.objects.update(
        expires_at=timezone.now() - timedelta(seconds=1), created_at=timezone.now() - timedelta(days=1)
    )
    assert client.get(f"{BASE}/me", headers=bearer(plain)).status_code == 401
    plain2 = token_for(user)
    token2 = ApiToken.objects.get(revoked_at__isnull=True, expires_at__gt=timezone.now())
    services.revoke_api_token(user=user, token_id=token2.pk)
    assert client.get(f"{BASE}/me", headers=bearer(plain2)).status_code == 401


def test_create_list_and_revoke_tokens(client: Client) -> None:
    user = make_user(roles=["issuer"])
    sign_in(client, user)
    expires = (timezone.now() + timedelta(days=30)).isoformat()
    response = post_json(
        client, f"{BASE}/tokens", {"name": "银行系统", "scopes": ["identity:read"], "expires_at": expires}
    )
    assert response.status_code == 201
    created = response.json()
    secret = created["secret"]
    assert secret.startswith("ys_")
    listed = client.get(f"{BASE}/tokens").json()
    assert [t["id"] for t in listed] == [created["token"]["id"]]
    assert secret not in json.dumps(listed)  # never shown again
    assert client.get(f"{BASE}/me", headers=bearer(secret)).status_code == 200
    assert client.delete(f"{BASE}/tokens/{created['token']['id']}").status_code == 204
    assert client.get(f"{BASE}/me", headers=bearer(secret)).status_code == 401


def test_cannot_revoke_someone_elses_token(client: Client) -> None:
    owner = make_user(roles=["bidder"])
    token_for(owner)
    sign_in(client, make_user(roles=["bidder"]))
    response = client.delete(f"{BASE}/tokens/{ApiToken.objects.get().pk}")
    assert response.status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_token_scopes_are_enforced(client: Client) -> None:
    user = make_user(roles=["bidder"])
    files_only = token_for(user, scopes=["files:read"])
    assert client.get(f"{BASE}/tokens", headers=bearer(files_only)).status_code == 403
    assert client.get(f"{BASE}/organisations", headers=bearer(files_only)).json()["items"] == []
    read = token_for(user, scopes=["identity:read"])
    assert client.get(f"{BASE}/tokens", headers=bearer(read)).status_code == 200
    expires = (timezone.now() + timedelta(days=1)).isoformat()
    body = {"name": "x", "scopes": ["identity:read"], "expires_at": expires}
    assert post_json(client, f"{BASE}/tokens", body, headers=bearer(read)).status_code == 403
    write = token_for(user, scopes=["identity:write"])
    assert post_json(client, f"{BASE}/tokens", body, headers=bearer(write)).status_code == 201
    wider = {**body, "scopes": ["files:write"]}
    response = post_json(client, f"{BASE}/tokens", wider, headers=bearer(write))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "body.scopes"


def test_unknown_fields_get_422_naming_the_field_in_both_languages(client: Client) -> None:
    sign_in(client, make_user(roles=["bidder"]))
    expires = (timezone.now() + timedelta(days=1)).isoformat()
    body = {"name": "x", "scopes": ["identity:read"], "expires_at": expires, "admin": True}
    response = post_json(client, f"{BASE}/tokens", body)
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [
        {"field": "body.admin", "code": "extra_forbidden", "message": problem["errors"][0]["message"]}
    ]
    english = post_json(client, f"{BASE}/tokens", body, headers={"Accept-Language": "en"}).json()
    assert english["errors"][0]["message"] == "This field is not known; remove it."
    assert not ApiToken.objects.exists()


def test_service_errors_are_problems_in_the_requests_language(client: Client) -> None:
    sign_in(client, make_user(roles=["bidder"]))
    too_long = (timezone.now() + timedelta(days=400)).isoformat()
    body = {"name": "x", "scopes": ["identity:read"], "expires_at": too_long}
    zh = post_json(client, f"{BASE}/tokens", body).json()
    assert zh["status"] == 400 and zh["detail"] == "令牌有效期最长为 366 天。"
    assert zh["errors"][0]["field"] == "body.expires_at"
    en = post_json(client, f"{BASE}/tokens", body, headers={"Accept-Language": "en"}).json()
    assert en["detail"] == "A token may live at most 366 days."


def test_malformed_json_is_a_400_problem(client: Client) -> None:
    sign_in(client, make_user(roles=["bidder"]))
    response = client.post(f"{BASE}/tokens", data="{nope", content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"


def test_organisations_visibility(client: Client) -> None:
    bidder = make_user(roles=["bidder"])
    others = [make_organisation("agency"), make_organisation("issuer")]
    sign_in(client, bidder)
    own = client.get(f"{BASE}/organisations").json()
    assert own["count"] == 1
    own_uscc = own["items"][0]["uscc"]
    assert client.get(f"{BASE}/organisations/{own_uscc}").status_code == 200
    assert client.get(f"{BASE}/organisations/{others[0].uscc}").status_code == 404
    for role in ("centre_staff", "supervisor", "auditor"):
        overseer = make_user(roles=[role])
        client.logout()
        sign_in(client, overseer)
        everything = client.get(f"{BASE}/organisations").json()
        assert everything["count"] == Organisation.objects.count(), role
        assert client.get(f"{BASE}/organisations/{others[1].uscc.lower()}").json()["name"] == others[1].name
        assert client.get(f"{BASE}/organisations?kind=issuer").json()["count"] == 1


def test_organisation_lookup_with_a_bad_code_explains_it(client: Client) -> None:
    sign_in(client, make_user(roles=["centre_staff"]))
    response = client.get(f"{BASE}/organisations/91440300MA5ABCDE1X", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "path.uscc"
    assert client.get(f"{BASE}/organisations?kind=bank").status_code == 422


def test_session_writes_need_the_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, make_user(roles=["bidder"]))
    expires = (timezone.now() + timedelta(days=1)).isoformat()
    body = {"name": "x", "scopes": ["identity:read"], "expires_at": expires}
    assert post_json(client, f"{BASE}/tokens", body).status_code == 403
    assert client.get(f"{BASE}/me").status_code == 200  # reads need no CSRF token
    client.get("/account/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    assert post_json(client, f"{BASE}/tokens", body, headers={"X-CSRFToken": csrf}).status_code == 201
    # A token caller needs no CSRF token.
    plain = token_for(make_user(roles=["bidder"]), scopes=["identity:write"])
    assert (
        post_json(Client(enforce_csrf_checks=True), f"{BASE}/tokens", body, headers=bearer(plain)).status_code
        == 201
    )


def test_token_bound_to_an_organisation_loses_its_roles_with_the_membership(client: Client) -> None:
    user = make_user(roles=["agency"])
    agency = Organisation.objects.get(memberships__user=user)
    services.grant_role(actor=None, user=user, organisation=make_organisation("enterprise"), role="bidder")
    plain = token_for(user, organisation=agency)
    assert client.get(f"{BASE}/me", headers=bearer(plain)).json()["roles"] == ["agency"]
    services.revoke_role(actor=None, user=user, organisation=agency, role="agency")
    body = client.get(f"{BASE}/me", headers=bearer(plain)).json()
    # It does not silently act for the user's other organisation.
    assert body["roles"] == [] and body["organisation"]["uscc"] == agency.uscc
