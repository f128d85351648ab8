"""The demo city has projects in every stage, and loading it twice changes nothing."""

from __future__ import annotations

import pytest

from yingshang.demo import loader
from yingshang.ledger import facade as ledger
from yingshang.trading.projects import states
from yingshang.trading.projects.demo import PROJECTS
from yingshang.trading.projects.models import Notice, Project, Tender


@pytest.mark.django_db
def test_demo_projects_in_every_stage() -> None:
    first = loader.load()
    assert first.projects == len(PROJECTS) == 11
    assert set(Project.objects.values_list("intake_status", flat=True)) == set(states.INTAKE_STATUSES)
    assert set(Tender.objects.values_list("status", flat=True)) == {
        states.DRAFT,
        states.PUBLISHED,
        states.SUSPENDED,
        states.BID_DEADLINE_PASSED,
        states.CANCELLED,
        states.FAILED,
    }
    retender = Tender.objects.get(previous__isnull=False)
    assert retender.status == states.PUBLISHED and retender.previous is not None
    assert retender.previous.status == states.FAILED
    assert all("金城市" in name for name in Project.objects.values_list("name", flat=True))
    # every notice version of the published demo tenders has its PDF from the standard template
    notices = Notice.objects.filter(tender__published_at__isnull=False)
    assert notices.exists() and not notices.filter(pdf_file_id__isnull=True).exists()
    assert set(notices.values_list("template", flat=True)) == {"tendering-notice@v1", "procurement-notice@v1"}
    assert notices.filter(kind=Notice.Kind.SUSPENSION).exists()
    assert list(ledger.audit()) == []
    second = loader.load()
    assert second.projects == 0
    assert Project.objects.count() == len(PROJECTS)
