"""A person signs in (with the second factor their role needs) and switches the language."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest
from django.core.management import call_command

from yingshang.demo.city import DEMO_PASSWORD, DEMO_TOTP_SECRET


@pytest.mark.django_db(transaction=True)
def test_staff_signs_in_with_code_and_switches_language(live_server, page, tmp_path: Path) -> None:
    call_command("demo", verbosity=0)
    page.goto(f"{live_server.url}/account/sign-in/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", level=1).inner_text() == "登录"

    # A wrong password: the error is shown in Chinese and focus lands on the form's errors.
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    assert page.locator("[role=alert]").count() >= 1

    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()

    # centre_staff needs the second factor before anything else.
    page.get_by_label("身份验证器应用显示的六位验证码").fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text() == "工作台"
    page.screenshot(path=str(tmp_path / "dashboard-zh.png"))

    # Switching the language (the select submits itself with JavaScript on).
    page.get_by_label("语言").select_option("en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    assert page.url == f"{live_server.url}/dashboard/"

    # And back, through the button that users without JavaScript press.
    page.get_by_label("Language").select_option("zh-hans")
    page.wait_for_function("document.documentElement.lang === 'zh-Hans'")
    assert page.get_by_role("heading", level=1).inner_text() == "工作台"
