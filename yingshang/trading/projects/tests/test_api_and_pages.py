"""The projects API and pages: bilingual problem documents, every violation at once, stale
versions, hidden projects, the public notice list and the server-time countdown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from yingshang.identity.testing import sign_in
from yingshang.kernel import clock
from yingshang.ledger import facade as ledger
from yingshang.trading.projects import services
from yingshang.trading.projects.tests.factories import START, Cast, at, bj, draft_tender, published_tender

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> Cast:
    return Cast.make()


@pytest.fixture
def fixed() -> Iterator[clock.FixedClock]:
    with at(START) as fixed_clock:
        yield fixed_clock


def _json(client: Client, method: str, path: str, body: dict[str, Any], language: str = "en") -> Any:
    return client.generic(
        method, path, json.dumps(body), content_type="application/json", headers={"accept-language": language}
    )


def test_intake_through_the_api(client: Client, cast: Cast, fixed: clock.FixedClock) -> None:
    sign_in(client, cast.agency_user)
    body: dict[str, Any] = {
        "name": "金城市第二污水处理厂提标改造工程",
        "resource_kind": "construction",
        "tenderer_id": cast.tenderer_org.pk,
        "supervisor_id": cast.supervisor_org.pk,
        "state_controlled": True,
        "lots": [{"name": "施工", "estimated_price_fen": 3_000_000_000, "deposit_fen": 60_000_001}],
    }
    refused = _json(client, "POST", "/api/v1/trading/projects", body)
    assert refused.status_code == 400
    problem = refused.json()
    assert problem["errors"][0]["rule"] == "T15" and "2%" in problem["errors"][0]["message"]
    body["lots"][0]["deposit_fen"] = 60_000_000
    created = _json(client, "POST", "/api/v1/trading/projects", body)
    assert created.status_code == 201, created.content
    project = created.json()
    assert project["intake_status"] == "submitted" and project["lots"][0]["deposit_fen"] == 60_000_000
    assert project["ledger_entry_hash"]


def test_timeline_refusal_lists_every_rule_in_the_chosen_language(
    client: Client, cast: Cast, fixed: clock.FixedClock
) -> None:
    tender = draft_tender(cast)
    sign_in(client, cast.agency_user)
    body = {
        "version": tender.version,
        "documents_from": "2025-03-03T10:00:00+08:00",
        "documents_until": "2025-03-07T17:00:00+08:00",
        "bid_deadline": "2025-03-14T09:30:00+08:00",
    }
    for language, needle in (("en", "at least 20 days"), ("zh-hans", "不得少于")):
        response = _json(client, "PUT", f"/api/v1/trading/tenders/{tender.pk}/timeline", body, language)
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "timeline_rules"
        assert [e["rule"] for e in problem["errors"]] == ["T1", "T2"]
        assert needle in problem["errors"][0]["message"] or needle in problem["detail"]
        assert problem["errors"][0]["article_zh"] == "《招标投标法》第二十四条"
    body["bid_deadline"] = "2025-03-25T09:30:00+08:00"
    body["documents_until"] = "2025-03-11T17:00:00+08:00"
    saved = _json(client, "PUT", f"/api/v1/trading/tenders/{tender.pk}/timeline", body)
    assert saved.status_code == 200 and saved.json()["warnings"] == []
    stale = _json(client, "PUT", f"/api/v1/trading/tenders/{tender.pk}/timeline", body)
    assert stale.status_code == 409
    problem = stale.json()
    assert problem["code"] == "stale_version"
    assert problem["errors"][0]["fields"] == ["documents_from", "documents_until", "bid_deadline"]


def test_hidden_projects_answer_404_and_bad_bodies_422(
    client: Client, cast: Cast, fixed: clock.FixedClock
) -> None:
    tender = draft_tender(cast)
    sign_in(client, cast.other_tenderer_user)
    assert client.get(f"/api/v1/trading/tenders/{tender.pk}").status_code == 404
    assert client.get(f"/api/v1/trading/projects/{tender.project_id}").status_code == 404
    sign_in(client, cast.agency_user)
    response = _json(
        client, "PUT", f"/api/v1/trading/tenders/{tender.pk}/timeline", {"version": 1, "nonsense": 1}
    )
    assert response.status_code == 422
    response = _json(
        client,
        "PUT",
        f"/api/v1/trading/tenders/{tender.pk}/timeline",
        {"version": 1, "bid_deadline": "2025-03-25T09:30"},
    )
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "naive_datetime"


def test_public_notices_list_filters_and_detail_with_server_time(client: Client, cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
        draft_tender(cast, name="金城市未发布项目")
    with at(bj(2025, 3, 24, 9, 30)):
        listed = client.get("/api/v1/trading/notices", {"resource_kind": "construction", "q": "滨河路"})
        assert listed.status_code == 200
        items = listed.json()["items"]
        assert [i["tender_id"] for i in items] == [tender.pk]
        assert client.get("/api/v1/trading/notices", {"resource_kind": "mining_rights"}).json()["count"] == 0
        detail = client.get(f"/api/v1/trading/notices/{tender.pk}").json()
        assert detail["seconds_to_deadline"] == 24 * 3600
        assert detail["server_time"].startswith("2025-03-24T01:30:00")
        assert detail["notices"][0]["ledger_entry_hash"]
        page = client.get(f"/trading/notices/{tender.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-remaining="86400"' in html and "projects/countdown" in html
        assert 'class="ledger-index"' not in html  # not sequenced yet: the hash only
        ledger.sequence_once()
        notice_hash = detail["notices"][0]["ledger_entry_hash"]
        index = ledger.indexes_of([notice_hash])[notice_hash]
        html = client.get(f"/trading/notices/{tender.pk}/").content.decode()
        assert f'?index={index}" class="ledger-index">#{index}</a>' in html
        listing = client.get("/trading/notices/", {"q": "滨河路"})
        assert tender.title in listing.content.decode()
        partial = client.get("/trading/notices/", {"q": "滨河路"}, headers={"HX-Request": "true"})
        assert "<html" not in partial.content.decode() and tender.ocid in partial.content.decode()


def test_draft_tender_is_not_public(client: Client, cast: Cast, fixed: clock.FixedClock) -> None:
    tender = draft_tender(cast)
    assert client.get(f"/api/v1/trading/notices/{tender.pk}").status_code == 404
    assert client.get(f"/trading/notices/{tender.pk}/").status_code == 404


def test_intake_page_to_published_notice(client: Client, cast: Cast, fixed: clock.FixedClock) -> None:
    sign_in(client, cast.agency_user)
    assert client.get("/trading/projects/new/").status_code == 200
    form = {
        "name": "金城市黄河风情线绿化提升工程",
        "resource_kind": "construction",
        "regime": "",
        "tenderer_uscc": cast.tenderer_org.uscc,
        "supervisor": str(cast.supervisor_org.pk),
        "industry": "园林绿化",
        "commitment_text": services.DEFAULT_COMMITMENT,
        "commitment_signed": "on",
        "lots-TOTAL_FORMS": "1",
        "lots-INITIAL_FORMS": "0",
        "lots-MIN_NUM_FORMS": "1",
        "lots-MAX_NUM_FORMS": "50",
        "lots-0-name": "第1标段",
        "lots-0-estimated_price": "5,000,000.00",
        "lots-0-deposit": "100,000.01",
        "lots-0-deposit_form": "guarantee",
        "lots-0-bid_validity_days": "90",
    }
    refused = client.post("/trading/projects/new/", form)
    assert refused.status_code == 400 and "T15" in refused.content.decode()
    form["lots-0-deposit"] = "100,000.00"
    created = client.post("/trading/projects/new/", form)
    assert created.status_code == 302
    project_id = int(created["Location"].rstrip("/").rsplit("/", 1)[1])
    staff = Client()
    sign_in(staff, cast.staff_user)
    assert (
        staff.post(
            f"/trading/projects/{project_id}/review/", {"decision": "accept", "version": "1"}
        ).status_code
        == 302
    )
    started = client.post(f"/trading/projects/{project_id}/tenders/", {"method": "open", "title": ""})
    assert started.status_code == 302
    tender_id = int(started["Location"].rstrip("/").rsplit("/", 1)[1])
    timeline = {
        "version": "1",
        "documents_from": "2025-03-03T10:00",
        "documents_until": "2025-03-11T17:00",
        "questions_until": "2025-03-17T17:00",
        "bid_deadline": "2025-03-14T09:30",
    }
    refused = client.post(f"/trading/tenders/{tender_id}/timeline/", timeline)
    assert refused.status_code == 422 and "T1" in refused.content.decode()
    timeline["bid_deadline"] = "2025-03-25T09:30"
    assert client.post(f"/trading/tenders/{tender_id}/timeline/", timeline).status_code == 302
    published = client.post(
        f"/trading/tenders/{tender_id}/publish/",
        {"version": "2", "title": "黄河风情线绿化提升工程招标公告", "body": "本项目已批准建设，现公开招标。"},
    )
    assert published.status_code == 302
    workspace = client.get(f"/trading/tenders/{tender_id}/")
    assert "data-countdown" in workspace.content.decode()
    # The workspace leads to the documents, the Q&A and (for the managers only) the editor.
    documents = f"/trading/documents/tenders/{tender_id}/"
    for link in (documents, f"{documents}questions/", f"{documents}edit/"):
        assert f'href="{link}"' in workspace.content.decode()
    staff_view = staff.get(f"/trading/tenders/{tender_id}/").content.decode()
    assert f'href="{documents}questions/"' in staff_view and f'href="{documents}edit/"' not in staff_view
    assert client.get(f"/trading/notices/{tender_id}/").status_code == 200
