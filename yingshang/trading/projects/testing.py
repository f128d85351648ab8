"""Helpers for tests, process tests and benchmarks of other contexts: a tender open for bids now.

Tests only (never imported by platform code). Everything goes through the real services, so the
tender is what the platform would publish.
"""

from __future__ import annotations

from datetime import timedelta

from yingshang.identity.facade import User, principal_for_user
from yingshang.identity.testing import make_organisation, make_user
from yingshang.kernel import clock
from yingshang.trading.projects import services
from yingshang.trading.projects.contracts import LotInput
from yingshang.trading.projects.models import Tender


def tender_open_now(
    *,
    name: str = "金城市联调工程",
    tenderer_id: int | None = None,
    supervisor_id: int | None = None,
    agency_user: User | None = None,
    staff_user: User | None = None,
) -> Tender:
    """A published open tender of one lot, by the domain clock's now: documents from five minutes
    on, the bid deadline 60 days ahead. Organisations and users not given are made (an agency,
    centre staff, a tenderer, a supervisor)."""
    now = clock.now()
    if agency_user is None:
        agency_org = make_organisation("agency", name=f"{name}招标代理有限公司")
        agency_user = make_user(roles=["agency"], organisation=agency_org)
    agency = principal_for_user(agency_user)
    staff = principal_for_user(staff_user or make_user(roles=["centre_staff"]))
    project = services.submit_intake(
        principal=agency,
        name=name,
        resource_kind="construction",
        tenderer_id=tenderer_id or make_organisation("enterprise", name=f"{name}建设集团有限公司").pk,
        supervisor_id=supervisor_id or make_organisation("supervisory", name=f"{name}住房和城乡建设局").pk,
        lots=[LotInput(name="第1标段", estimated_price_fen=100_000_000, deposit_fen=2_000_000)],
    )
    project = services.accept_intake(principal=staff, project_id=project.pk)
    tender = services.create_tender(principal=agency, project_id=project.pk, method="open")
    tender = services.save_timeline(
        principal=agency,
        tender_id=tender.pk,
        expected_version=tender.version,
        documents_from=now + timedelta(minutes=5),
        documents_until=now + timedelta(days=15),
        questions_until=now + timedelta(days=40),
        bid_deadline=now + timedelta(days=60),
    ).tender
    return services.publish_tender(
        principal=agency,
        tender_id=tender.pk,
        expected_version=tender.version,
        title=f"{name}施工招标公告",
        body=f"本招标项目{name}已批准建设，现进行公开招标。",
    )
