"""A project goes from intake to a published notice in a real browser, and the public notice
shows the countdown to the bid deadline computed from the platform's (domain) time.

The live server runs in a thread of this process, so the domain clock is fixed for the whole
process with ``clock.install`` (a ``clock.use`` override would stay in the test's thread): every
page and service sees Monday 3 March 2025, 09:00 Beijing time, while the browser's own clock
says something else. Only the users, organisations and a second (decoy) notice are made with
the factories; intake, acceptance, tender, timeline and publication go through the pages.
"""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from yingshang.identity.testing import PASSWORD, totp_secret_of
from yingshang.kernel import clock
from yingshang.trading.projects.tests.factories import Cast, bj, published_tender

NAME = "金城市南湖公园景观提升工程"
TITLE = f"{NAME}施工招标公告"
DEADLINE = bj(2025, 3, 25, 9, 30)


def new_page(browser: Any) -> Page:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page: Page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in(page: Page, base: str, username: str, *, next_path: str, totp_secret: str | None = None) -> None:
    page.goto(f"{base}/account/sign-in/?next={next_path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    if totp_secret is not None:  # centre staff need the second factor
        page.get_by_label("身份验证器应用显示的六位验证码").fill(pyotp.TOTP(totp_secret).now())
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}{next_path}")


def fill_timeline(page: Page, **times: str) -> None:
    for field, value in times.items():
        page.locator(f"#id_{field}").fill(value)
    page.get_by_role("button", name="保存并检查时间安排").click()


@pytest.mark.django_db(transaction=True)
def test_intake_to_published_notice_with_server_countdown(
    live_server: Any, browser: Any, page: Page, platform_clock: clock.FixedClock
) -> None:
    base = live_server.url
    cast = Cast.make()
    decoy = published_tender(cast)  # another published notice, which the search must leave out
    staff_secret = totp_secret_of(cast.staff_user)

    # 1. The agency registers the project with one lot (deposit exactly 2 %) and signs the commitment.
    sign_in(page, base, cast.agency_user.username, next_path="/trading/projects/new/")
    assert page.get_by_role("heading", level=1).inner_text() == "项目进场登记"
    page.get_by_label("项目名称").fill(NAME)
    page.get_by_label("交易类别").select_option("construction")
    page.get_by_label("招标人统一社会信用代码").fill(cast.tenderer_org.uscc)
    page.get_by_label("行政监督部门").select_option(label=cast.supervisor_org.name)
    page.get_by_label("国有资金占控股或者主导地位（T12）").check()
    page.locator("#id_lots-0-name").fill("施工总承包")
    page.locator("#id_lots-0-estimated_price").fill("10,000,000.00")
    page.locator("#id_lots-0-deposit").fill("200,000.00")
    page.locator("#id_lots-0-deposit_form").select_option("guarantee")
    page.get_by_label("本人代表本单位签署此承诺书").check()
    page.get_by_role("button", name="签署并提交").click()
    page.wait_for_url(re.compile(r"/trading/projects/\d+/$"))
    project_path = page.url.removeprefix(base)
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)

    # 2. Centre staff (password and one-time code) accept the intake.
    staff = new_page(browser)
    try:
        sign_in(staff, base, cast.staff_user.username, next_path=project_path, totp_secret=staff_secret)
        staff.get_by_role("button", name="受理", exact=True).click()
        staff.wait_for_url(f"{base}{project_path}")
        expect(staff.get_by_role("button", name="受理", exact=True)).to_have_count(0)
    finally:
        staff.context.close()

    # 3. The agency starts an open tender.
    page.reload()
    page.get_by_label("交易方式").select_option("open")
    page.get_by_role("button", name="发起招标").click()
    page.wait_for_url(re.compile(r"/trading/tenders/\d+/$"))
    tender_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    # 4. As the times are typed, htmx checks them (nothing saved yet) and lists each finding.
    for field, value in (
        ("documents_from", "2025-03-03T10:00"),
        ("documents_until", "2025-03-05T17:00"),
        ("bid_deadline", "2025-03-12T09:30"),
    ):
        page.locator(f"#id_{field}").fill(value)
    page.locator("#id_bid_deadline").dispatch_event("change")
    check = page.locator("#timeline-check")
    expect(check).to_contain_text("尚未保存")
    expect(check).to_contain_text("[T1]")
    expect(check).to_contain_text("[T2]")
    expect(page.get_by_text("时间安排已保存。")).to_have_count(0)

    # A timeline breaking two blocking rules is refused with every violation and its rule id.
    fill_timeline(
        page,
        documents_from="2025-03-03T10:00",
        documents_until="2025-03-05T17:00",  # fewer than 5 days on sale (T2)
        questions_until="2025-03-07T17:00",
        bid_deadline="2025-03-12T09:30",  # fewer than 20 days after the issue (T1)
    )
    alert = page.locator(".error-summary")
    expect(alert).to_contain_text("无法完成此操作")
    expect(alert).to_contain_text("[T1]")
    expect(alert).to_contain_text("[T2]")

    # ... then a valid one is saved and passes every check.
    fill_timeline(
        page,
        documents_from="2025-03-03T10:00",
        documents_until="2025-03-11T17:00",
        questions_until="2025-03-17T17:00",
        bid_deadline="2025-03-25T09:30",
    )
    expect(page.get_by_text("时间安排已保存。")).to_be_visible()
    expect(page.locator(".error-summary")).to_have_count(0)

    # 5. The agency publishes the notice.
    page.get_by_label("公告标题").fill(TITLE)
    page.get_by_label("公告正文").fill(
        f"本招标项目{NAME}已由金城市发展和改革委员会批准建设，现进行公开招标。"
    )
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_text("招标公告已发布。")).to_be_visible()

    # 6. An anonymous visitor finds the notice with the filter and the search.
    visitor = new_page(browser)
    try:
        visitor.goto(f"{base}/trading/notices/")
        rows = visitor.locator("#notice-rows tbody tr")
        expect(rows).to_have_count(2)
        visitor.locator("#resource_kind").select_option("construction")
        visitor.locator("#q").fill("南湖公园")
        visitor.locator("form.filters button[type=submit]").click()
        expect(visitor.get_by_role("link", name=decoy.title)).to_have_count(0)
        expect(rows).to_have_count(1)
        visitor.get_by_role("link", name=TITLE).click()
        visitor.wait_for_url(f"{base}/trading/notices/{tender_id}/")
        expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(visitor.get_by_role("link", name="公告（PDF） v1")).to_have_attribute(
            "href", f"/trading/notices/{tender_id}/v1.pdf"
        )

        # 7. The countdown: remaining seconds from the server's clock, shown in Chinese.
        countdown = visitor.locator("[data-countdown]")
        expect(countdown).to_contain_text("2025-03-25 09:30 北京时间")
        expect(countdown).to_contain_text("按平台时间计算: 2025-03-03 09:00:00")
        expected = int((DEADLINE - clock.now()).total_seconds())
        assert expected == 22 * 86400 + 30 * 60
        assert abs(int(countdown.get_attribute("data-remaining") or "-1") - expected) <= 2
        text = countdown.locator("[data-countdown-text]").inner_text()
        shown = re.fullmatch(r"(\d+)天 (\d{2}):(\d{2}):(\d{2})", text.strip())
        assert shown is not None, text  # e.g. "22天 00:29:59" (the script ticks each second)
        days, hours, minutes, seconds = (int(part) for part in shown.groups())
        shown_seconds = days * 86400 + hours * 3600 + minutes * 60 + seconds
        # The browser's clock (not 2025) plays no part: only the time since the page loaded does.
        assert expected - 30 <= shown_seconds <= expected
        expect(visitor.get_by_role("timer")).to_contain_text("剩余时间")
    finally:
        visitor.context.close()
