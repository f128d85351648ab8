"""The identity pages through the Django test client: no JavaScript, Chinese by default."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from yingshang.identity import selectors, services, totp
from yingshang.identity.models import ApiToken, SignInAttempt, TotpDevice
from yingshang.identity.testing import PASSWORD, make_organisation, make_user, sign_in, totp_secret_of

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("identity:sign_in")
CODE = reverse("identity:sign_in_code")
TWO_FACTOR = reverse("identity:two_factor")
DASHBOARD = reverse("web:dashboard")
ACCOUNT = reverse("identity:account")


def current_code(secret: str) -> str:
    import time

    return totp.code_at_step(secret, totp.step_at(time.time()))


def html(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    return response.content.decode()


def test_sign_in_page_is_accessible_and_chinese_by_default(client: Client) -> None:
    page = html(client.get(SIGN_IN))
    assert 'lang="zh-Hans"' in page
    assert '<label for="id_username">用户名' in page
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page


def test_sign_in_errors_in_chinese_linked_and_focused(client: Client) -> None:
    response = client.post(SIGN_IN, {"username": "", "password": ""})
    assert response.status_code == 400
    page = html(response)
    assert "这个字段是必填项。" in page  # Django's "This field is required." in Chinese
    assert 'aria-describedby="id_username_error"' in page and 'id="id_username_error"' in page
    assert 'aria-invalid="true"' in page
    assert re.search(r'role="alert"[^>]*autofocus', page)  # the error summary takes the focus
    assert 'href="#id_username"' in page


def test_wrong_password_message_in_chinese_and_english(client: Client) -> None:
    make_user("hana", roles=["bidder"])
    page = html(client.post(SIGN_IN, {"username": "hana", "password": "wrong"}))
    assert "用户名或密码不正确" in page
    client.cookies["yingshang_language"] = "en"
    page = html(client.post(SIGN_IN, {"username": "hana", "password": "wrong"}))
    assert "The user name or password is not correct." in page


def test_locked_message_says_when_to_try_again(client: Client) -> None:
    make_user("ivan", roles=["bidder"])
    for _ in range(5):
        client.post(SIGN_IN, {"username": "ivan", "password": "wrong"})
    page = html(client.post(SIGN_IN, {"username": "ivan", "password": PASSWORD}))
    assert "登录失败次数过多" in page and "北京时间" in page
    assert client.get(DASHBOARD).status_code != 200


def test_plain_sign_in_reaches_the_dashboard_with_role_sections(client: Client) -> None:
    make_user("jin", roles=["bidder"], preferred_language="en")
    response = client.post(SIGN_IN, {"username": "jin", "password": PASSWORD, "next": DASHBOARD})
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert response.cookies["yingshang_language"].value == "en"  # the user's preferred language
    page = html(client.get(DASHBOARD))
    assert "bidder / supplier" in page and "sealed bids" in page


def test_next_must_stay_on_this_site(client: Client) -> None:
    make_user("kai", roles=["bidder"])
    response = client.post(
        SIGN_IN, {"username": "kai", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == DASHBOARD


def test_staff_cannot_reach_the_dashboard_without_the_code(client: Client) -> None:
    staff = make_user("lan", roles=["centre_staff"])
    response = client.post(SIGN_IN, {"username": "lan", "password": PASSWORD, "next": DASHBOARD})
    assert response["Location"] == CODE
    # Half signed in: not signed in anywhere.
    assert client.get(DASHBOARD)["Location"].startswith(SIGN_IN)
    assert client.get("/api/v1/identity/me").status_code == 401
    assert "_auth_user_id" not in client.session
    wrong = client.post(CODE, {"code": "000000"})
    assert wrong.status_code == 400 and "验证码不正确" in html(wrong)
    response = client.post(CODE, {"code": current_code(totp_secret_of(staff))})
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    page = html(client.get(DASHBOARD))
    assert "交易中心工作人员" in page


def test_staff_without_a_device_must_enrol_first(client: Client) -> None:
    staff = make_user("mei", roles=["supervisor"])
    TotpDevice.objects.filter(user=staff).delete()
    response = client.post(SIGN_IN, {"username": "mei", "password": PASSWORD})
    assert response["Location"] == TWO_FACTOR
    assert client.get(DASHBOARD).status_code == 302
    page = html(client.get(TWO_FACTOR))
    assert "必须使用第二验证因素" in page or "第二" in page
    client.post(TWO_FACTOR, {"action": "start"})
    page = html(client.get(TWO_FACTOR))
    assert "<svg" in page and 'role="img"' in page  # the QR code, inline
    secret = selectors.pending_totp_enrolment(staff).secret  # type: ignore[union-attr]
    assert secret in page  # the secret as text too
    response = client.post(TWO_FACTOR, {"action": "confirm", "code": current_code(secret)})
    assert response.status_code == 302
    assert client.get(DASHBOARD).status_code == 200


def test_admin_style_login_is_demoted_until_the_second_factor(client: Client) -> None:
    # client.login goes through the backend, like the admin's login form: no second factor yet.
    make_user("nan", roles=["auditor"])
    assert client.login(username="nan", password=PASSWORD)
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"] == CODE
    assert client.get(DASHBOARD)["Location"].startswith(SIGN_IN)


def test_role_granted_mid_session_requires_the_second_factor(client: Client) -> None:
    user = make_user("ode", roles=["tenderer"])
    client.post(SIGN_IN, {"username": "ode", "password": PASSWORD})
    assert client.get(DASHBOARD).status_code == 200
    services.grant_role(actor=None, user=user, organisation=make_organisation("centre"), role="centre_staff")
    assert client.get(DASHBOARD)["Location"] == TWO_FACTOR


def test_sign_out_is_post_only(client: Client) -> None:
    user = make_user(roles=["bidder"])
    sign_in(client, user)
    assert client.get(reverse("identity:sign_out")).status_code == 405
    assert client.post(reverse("identity:sign_out")).status_code == 302
    assert client.get(DASHBOARD).status_code == 302


def test_account_token_shown_once(client: Client) -> None:
    user = make_user(roles=["bidder"])
    sign_in(client, user)
    response = client.post(
        reverse("identity:create_token"),
        {"name": "投标工具", "scopes": ["identity:read"], "expires_on": "2027-01-31", "organisation": ""},
    )
    assert response.status_code == 200
    plain = re.search(r'value="(ys_[a-z2-9]{12}_[A-Za-z0-9_-]{43})"', html(response)).group(1)  # type: ignore[union-attr]
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert services.authenticate_api_token(raw=plain).user == user
    later = html(client.get(ACCOUNT))
    assert plain not in later and plain[:15] in later  # listed by prefix only
    token = ApiToken.objects.get()
    assert client.post(reverse("identity:revoke_token", args=[token.pk])).status_code == 302
    assert ApiToken.objects.get().revoked_at is not None


def test_account_token_form_errors(client: Client) -> None:
    user = make_user(roles=["bidder"])
    sign_in(client, user)
    response = client.post(reverse("identity:create_token"), {"name": "", "expires_on": "2020-01-01"})
    assert response.status_code == 400
    page = html(response)
    assert 'id="id_name_error"' in page and 'id="id_expires_on_error"' in page
    assert not ApiToken.objects.exists()


def test_revoking_someone_elses_token_is_not_found(client: Client) -> None:
    from datetime import timedelta

    from django.utils import timezone

    owner = make_user(roles=["bidder"])
    created = services.create_api_token(
        user=owner, name="t", scopes=["identity:read"], expires_at=timezone.now() + timedelta(days=1)
    )
    sign_in(client, make_user(roles=["bidder"]))
    assert client.post(reverse("identity:revoke_token", args=[created.token.pk])).status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_profile_and_language_preference(client: Client) -> None:
    user = make_user(roles=["bidder"])
    sign_in(client, user)
    response = client.post(
        reverse("identity:profile"),
        {"display_name": "Pat", "phone": "13900000000", "preferred_language": "en"},
    )
    assert response.status_code == 302 and response.cookies["yingshang_language"].value == "en"
    user.refresh_from_db()
    assert (user.display_name, user.preferred_language) == ("Pat", "en")
    assert client.post(reverse("identity:profile"), {"preferred_language": "fr"}).status_code == 400


def test_switch_active_organisation(client: Client) -> None:
    user = make_user(roles=["bidder"])
    agency = make_organisation("agency", name="zz 代理")
    services.grant_role(actor=None, user=user, organisation=agency, role="agency")
    sign_in(client, user)
    assert "投标人" in html(client.get(DASHBOARD))
    response = client.post(reverse("identity:switch_organisation"), {"organisation": agency.pk})
    assert response.status_code == 302
    page = html(client.get(DASHBOARD))
    assert "招标代理机构" in page and "投标人 / 供应商" not in page
    stranger = make_organisation("issuer")
    assert (
        client.post(reverse("identity:switch_organisation"), {"organisation": stranger.pk}).status_code == 400
    )


def test_two_factor_page_for_a_signed_in_user_can_disable(client: Client) -> None:
    user = make_user(roles=["bidder"], totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    sign_in(client, user)
    assert "已设置身份验证器" in html(client.get(TWO_FACTOR)) or "已设置" in html(client.get(TWO_FACTOR))
    bad = client.post(reverse("identity:two_factor_disable"), {"disable-code": "000000"})
    assert bad.status_code == 400 and TotpDevice.objects.filter(user=user).exists()
    ok = client.post(
        reverse("identity:two_factor_disable"),
        {"disable-code": current_code("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")},
    )
    assert ok.status_code == 302 and not TotpDevice.objects.filter(user=user).exists()
    assert SignInAttempt.objects.count() == 0


def test_a_superuser_must_enrol_a_second_factor_before_anything_else(client: Client) -> None:
    from yingshang.identity.models import User

    User.objects.create_superuser("admin", "admin@example.invalid", PASSWORD)
    response = client.post(SIGN_IN, {"username": "admin", "password": PASSWORD})
    assert response["Location"] == TWO_FACTOR
    assert client.get(DASHBOARD).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_a_superuser_who_enrolled_is_asked_for_the_code(client: Client) -> None:
    from yingshang.identity.models import User

    root = User.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    services.ensure_totp(user=root, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    response = client.post(SIGN_IN, {"username": "root", "password": PASSWORD})
    assert response["Location"] == CODE


def test_dashboard_has_a_section_per_role_in_the_active_organisation(client: Client) -> None:
    user = make_user(roles=["tenderer", "bidder"])
    services.grant_role(
        actor=None, user=user, organisation=make_organisation("issuer", name="zz bank"), role="issuer"
    )
    sign_in(client, user)
    page = html(client.get(DASHBOARD))
    assert "<h1>工作台</h1>" in page
    assert 'id="role-tenderer"' in page and 'id="role-bidder"' in page
    assert 'id="role-issuer"' not in page  # held in another organisation
    auditor = make_user(roles=["auditor"])
    sign_in(client, auditor)
    page = html(client.get(DASHBOARD))
    assert 'id="role-auditor"' in page and "只读" in page
