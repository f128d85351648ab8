"""Experts score in a real browser and the chair finishes the report (Debian Chromium).

The world is built with real services and builders: a finished opening run through the opening
API (real certificates, packages, envelopes), a committee of five drawn with the experts' test
builder, the evaluation started by the agency. The domain clock is installed for the whole
process (the live server's thread sees it). Four members score through the services; the chair
(the fifth) signs the declaration, meets a refusal for a score out of range, scores, submits,
finishes the report and signs it in the browser; the page shows the ranked candidates and, once
the others have signed, that the report is finished.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from yingshang.identity.facade import ensure_totp, principal_for_user
from yingshang.identity.testing import PASSWORD
from yingshang.kernel import clock
from yingshang.pki import Vendor
from yingshang.trading.bids.tests.builders import PKI_NOW, trust
from yingshang.trading.evaluation import facade, services
from yingshang.trading.evaluation.models import Bid, Evaluation, Member
from yingshang.trading.evaluation.tests.builders import finished_opening, seated
from yingshang.trading.opening.tests.builders import Hall
from yingshang.trading.projects.tests.factories import Cast, published_tender

pytestmark = pytest.mark.django_db(transaction=True)

#: The chair's authenticator secret (base32), enrolled before signing in.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

SPEC = {
    "method": "comprehensive",
    "criteria": [{"code": "qual", "zh": "资格条件", "en": "Qualification"}],
    "items": [
        {"code": "tech", "zh": "技术方案", "en": "Technical", "max": "40", "kind": "subjective"},
        {"code": "price", "zh": "投标报价", "en": "Price", "max": "60", "kind": "price"},
    ],
    "price": {"benchmark": "lowest"},
}


def sign_in(page: Page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/account/sign-in/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    # Experts sign in with a second factor (the authenticator app's code, on the wall clock).
    page.locator("input[name=code]").fill(pyotp.TOTP(TOTP_SECRET).now())
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}{next_path}")


def test_experts_score_and_the_chair_finishes_the_report(
    live_server: Any, page: Page, platform_clock: clock.FixedClock, settings: Any, tmp_path: Path
) -> None:
    settings.YINGSHANG = {**settings.YINGSHANG, "BID_CHUNK_BYTES": 64 * 1024}
    settings.KEYS_DIR = tmp_path / "keys"
    vendor = Vendor.create("金城CA", now=PKI_NOW, region="金城市")
    trust(vendor)
    cast = Cast.make()
    tender = published_tender(cast)
    hall = Hall(cast, tender, tender.lots.get().pk, vendor, platform_clock, tmp_path)
    finished_opening(hall)
    room = seated(hall)
    chair_user = room.experts[0]
    committee_codes = {m for m in Member.objects.values_list("code", flat=True)}
    assert not committee_codes  # nothing started yet
    from yingshang.trading.experts import facade as experts

    chair_code = experts.member_code(chair_user.pk, tender.pk, hall.lot_id)
    assert chair_code is not None
    evaluation = services.start_evaluation(
        principal=cast.agency, tender_id=tender.pk, lot_id=hall.lot_id, spec=SPEC, chair_code=chair_code
    )
    bids = list(
        Bid.objects.filter(evaluation=evaluation).order_by("position").values_list("bid_id", flat=True)
    )
    tech = ["30", "34", "28"]
    for user in room.experts[1:]:
        p = principal_for_user(user)
        services.declare(principal=p, evaluation_id=evaluation.pk, confirm=True)
        services.save_scores(
            principal=p,
            evaluation_id=evaluation.pk,
            scores={(b, "tech"): tech[j] for j, b in enumerate(bids)},
            verdicts=[services.VerdictInput(b, "qual", True) for b in bids],
        )

    base = live_server.url
    path = f"/trading/evaluation/{evaluation.pk}/"
    ensure_totp(user=chair_user, secret=TOTP_SECRET)
    sign_in(page, base, chair_user.username, "/trading/evaluation/")
    page.get_by_role("link", name=tender.project.name).click()
    page.wait_for_url(f"{base}{path}")
    expect(page.locator("#your-code")).to_have_text(chair_code)
    # No bids before the declaration.
    expect(page.locator("#scoring-form")).to_have_count(0)
    page.locator("#confirm-declaration").check()
    page.locator("#sign-declaration").click()
    expect(page.locator("#scoring-form")).to_be_visible()

    # A score out of range is refused with a clear message; nothing is saved.
    page.locator(f"#score-{bids[0]}-tech").fill("45")
    page.locator("#save-scores").click()
    expect(page.locator(".messages")).to_contain_text("0 至 40")
    for j, bid in enumerate(bids):
        page.locator(f"#score-{bid}-tech").fill(tech[j])
    page.locator("#save-scores").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    page.locator("#submit-scores").click()
    expect(page.locator(".messages")).to_contain_text("已提交")

    for user in room.experts[1:]:
        services.submit(principal=principal_for_user(user), evaluation_id=evaluation.pk)
    page.reload()
    page.locator("#finish-report").click()
    expect(page.locator("#candidates tbody tr")).to_have_count(3)
    # Lowest price 9,000,000.00 is the benchmark: bid 2 ranks first with 60 + 34 = 94.00.
    expect(page.locator("#candidates tbody tr").first).to_contain_text("94.00")
    page.locator("#sign-report").click()
    expect(page.locator(".messages")).to_contain_text("已签署")

    finished = Evaluation.objects.get(pk=evaluation.pk)
    for user in room.experts[1:]:
        services.sign_report(
            principal=principal_for_user(user),
            evaluation_id=evaluation.pk,
            report_sha256=finished.report_sha256,
        )
    page.reload()
    expect(page.locator("#report-finished")).to_be_visible()
    report = facade.evaluation_report(tender.pk, hall.lot_id)
    assert report.candidates[0].score == Decimal("94.00")
    # The other members' identities never reach the page: codes only.
    content = page.content()
    assert all(user.username not in content for user in room.experts[1:])
