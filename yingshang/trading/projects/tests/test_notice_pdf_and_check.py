"""The notice produced from the standard notice template as a PDF (one per notice version),
the ledger indexes next to the entry hashes (one query per list), and the timeline check
before saving (htmx fragment and the page without JavaScript)."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from yingshang.files import facade as files
from yingshang.identity.testing import sign_in
from yingshang.kernel import clock
from yingshang.ledger import facade as ledger
from yingshang.trading.projects import notice_templates, services
from yingshang.trading.projects.models import Notice, Tender
from yingshang.trading.projects.tests.factories import START, Cast, at, bj, draft_tender, published_tender

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> Cast:
    return Cast.make()


@pytest.fixture
def fixed() -> Iterator[clock.FixedClock]:
    with at(START) as fixed_clock:
        yield fixed_clock


def _pdf_text(data: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return text.replace("\n", "").replace("\x00", "")


def _pdf_title(data: bytes) -> str:
    metadata = PdfReader(io.BytesIO(data)).metadata
    return str(metadata.title) if metadata is not None else ""


#: Debian's ``fonts-noto-cjk`` (``make system-deps``): without it the Chinese glyphs are not
#: embedded and cannot be extracted, so the Chinese text is checked only where it is installed.
HAS_CJK_FONTS = bool(
    shutil.which("fc-list")
    and subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout.strip()
)


# --- the standard notice templates ------------------------------------------------------------------


def test_each_regime_has_a_notice_template_and_broken_files_are_refused() -> None:
    assert notice_templates.latest_for_regime("tendering").key == "tendering-notice@v1"
    assert notice_templates.latest_for_regime("procurement").key == "procurement-notice@v1"
    procurement = notice_templates.latest_for_regime("procurement")
    assert procurement.kind_titles["tender_notice"].zh == "采购公告"
    assert procurement.kind_titles["amendment"].zh == "更正公告"
    bad = b"""code: x-notice
version: 1
regime: tendering
title: {zh: a, en: a}
kinds: {tender_notice: {zh: a, en: a}, amendment: {zh: a, en: a}, suspension: {zh: a, en: a},
        resumption: {zh: a, en: a}, cancellation: {zh: a, en: a}}
sections: [{code: s, title: {zh: a, en: a}, body: "{{bidder_names}}"}]
"""
    with pytest.raises(notice_templates.NoticeTemplateError, match="unknown placeholders"):
        notice_templates.parse_notice_template(bad)
    with pytest.raises(notice_templates.NoticeTemplateError, match="kinds"):
        notice_templates.parse_notice_template(bad.replace(b"resumption: {zh: a, en: a}, ", b""))


# --- publishing produces the PDF ------------------------------------------------------------------------


def test_publishing_renders_the_notice_pdf_from_the_standard_template(
    client: Client, cast: Cast, fixed: clock.FixedClock
) -> None:
    tender = published_tender(cast)
    notice = Notice.objects.get(tender=tender, version=1)
    assert notice.template == "tendering-notice@v1" and notice.pdf_file_id
    stored = files.document(notice.pdf_file_id)
    assert stored.media_type == "application/pdf" and stored.sha256 == notice.pdf_sha256
    with files.open_document(notice.pdf_file_id) as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == notice.pdf_sha256
    text = _pdf_text(data)
    assert tender.ocid in text and "tendering-notice" in text
    assert _pdf_title(data) == "金城市滨河路综合改造工程施工招标公告"
    if HAS_CJK_FONTS:
        for needle in ("招标公告", "金城市滨河路综合改造工程", "投标截止", "2025年3月25日 09:30"):
            assert needle in text, needle
    # the ledger entry holds the digest and the file id (ledgered fields)
    findings = [f for f in ledger.audit() if f.table == "projects_notice"]
    assert findings == [], [f.describe() for f in findings]
    # public download: page and API
    response = client.get(f"/trading/notices/{tender.pk}/v1.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == data  # type: ignore[attr-defined]
    assert client.get(f"/trading/notices/{tender.pk}/v9.pdf").status_code == 404
    api = client.get(f"/api/v1/trading/notices/{tender.pk}").json()["notices"][0]
    assert api["pdf_sha256"] == notice.pdf_sha256 and api["template"] == "tendering-notice@v1"
    assert api["pdf_url"] == f"/api/v1/trading/notices/{tender.pk}/versions/1/pdf"
    assert client.get(api["pdf_url"]).status_code == 200
    page = client.get(f"/trading/notices/{tender.pk}/").content.decode()
    assert f"/trading/notices/{tender.pk}/v1.pdf" in page


def test_a_draft_has_no_public_pdf(client: Client, cast: Cast, fixed: clock.FixedClock) -> None:
    tender = draft_tender(cast)
    assert client.get(f"/trading/notices/{tender.pk}/v1.pdf").status_code == 404
    assert client.get(f"/api/v1/trading/notices/{tender.pk}/versions/1/pdf").status_code == 404


def test_every_notice_version_gets_its_own_pdf(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
    with at(START + timedelta(days=2)):
        tender = services.suspend_tender(
            principal=cast.agency,
            tender_id=tender.pk,
            expected_version=tender.version,
            reason="收到对招标文件的异议",
            ground="objection",
        )
    with at(START + timedelta(days=4)):
        services.resume_tender(principal=cast.agency, tender_id=tender.pk, expected_version=tender.version)
    notices = list(Notice.objects.filter(tender=tender).order_by("version"))
    assert [n.kind for n in notices] == ["tender_notice", "suspension", "resumption"]
    assert len({n.pdf_sha256 for n in notices}) == 3 and all(n.pdf_file_id for n in notices)
    with files.open_document(notices[1].pdf_file_id or 0) as handle:
        assert _pdf_title(handle.read()).endswith("（暂停公告）")
    with files.open_document(notices[2].pdf_file_id or 0) as handle:
        data = handle.read()
    assert _pdf_title(data).endswith("（恢复公告）")
    if HAS_CJK_FONTS:
        assert "现行时间安排" in _pdf_text(data)


def test_a_procurement_notice_uses_the_procurement_template(cast: Cast, fixed: clock.FixedClock) -> None:
    tender = published_tender(cast, resource_kind="government_procurement", name="金城市政务云服务采购")
    notice = Notice.objects.get(tender=tender, version=1)
    assert notice.template == "procurement-notice@v1" and notice.pdf_file_id
    with files.open_document(notice.pdf_file_id) as handle:
        text = _pdf_text(handle.read())
    assert "procurement-notice" in text
    if HAS_CJK_FONTS:
        assert "采购公告" in text and "采购人" in text


# --- ledger indexes ---------------------------------------------------------------------------------------


def test_notices_carry_their_ledger_index_once_sequenced(
    client: Client, cast: Cast, fixed: clock.FixedClock
) -> None:
    tender = published_tender(cast)
    before = client.get(f"/api/v1/trading/notices/{tender.pk}").json()["notices"][0]
    assert before["ledger_index"] is None and before["ledger_entry_hash"]
    ledger.sequence_once()
    index = ledger.indexes_of([before["ledger_entry_hash"]])[before["ledger_entry_hash"]]
    after = client.get(f"/api/v1/trading/notices/{tender.pk}").json()["notices"][0]
    assert after["ledger_index"] == index
    sign_in(client, cast.agency_user)
    listed = client.get(f"/api/v1/trading/tenders/{tender.pk}/notices").json()
    assert listed[0]["ledger_index"] == index
    page = client.get(f"/trading/tenders/{tender.pk}/").content.decode()
    assert f'?index={index}" class="ledger-index">#{index}</a>' in page


def test_the_ledger_indexes_cost_one_query_per_list(client: Client, cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
    with at(START + timedelta(days=1)):
        tender = services.suspend_tender(
            principal=cast.agency,
            tender_id=tender.pk,
            expected_version=tender.version,
            reason="异议",
            ground="objection",
        )
    ledger.sequence_once()
    with CaptureQueriesContext(connection) as captured:
        body = client.get(f"/api/v1/trading/notices/{tender.pk}").json()
    assert [n["ledger_index"] is not None for n in body["notices"]] == [True, True]
    ledger_queries = [q for q in captured.captured_queries if "ledger_logentry" in q["sql"]]
    assert len(ledger_queries) == 1


# --- the timeline check before saving ---------------------------------------------------------------------


def test_the_timeline_check_shows_every_finding_and_saves_nothing(
    client: Client, cast: Cast, fixed: clock.FixedClock
) -> None:
    tender = draft_tender(cast)
    sign_in(client, cast.agency_user)
    proposed = {
        "version": str(tender.version),
        "documents_from": "2025-03-03T10:00",
        "documents_until": "2025-03-07T17:00",
        "questions_until": "",
        "bid_deadline": "2025-03-14T09:30",
    }
    url = f"/trading/tenders/{tender.pk}/timeline/check/"
    fragment = client.post(url, proposed, headers={"HX-Request": "true", "Accept-Language": "en"})
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html and "[T1]" in html and "[T2]" in html
    assert "not saved" in html and "finding-block" in html
    assert "Tendering and Bidding Law" in html or "招标投标法" in html  # the article
    tender.refresh_from_db()
    assert tender.bid_deadline is None and tender.version == 1  # nothing saved
    proposed["bid_deadline"] = "2025-03-25T09:30"
    proposed["documents_until"] = "2025-03-11T17:00"
    good = client.post(url, proposed, headers={"HX-Request": "true"}).content.decode()
    assert "finding-block" not in good and 'data-checked="1"' in good
    bad_input = client.post(url, {**proposed, "bid_deadline": "soon"}, headers={"HX-Request": "true"})
    assert bad_input.status_code == 200 and "finding-block" in bad_input.content.decode()
    # without JavaScript: the whole page, the findings, the entered times kept in the form
    proposed["bid_deadline"] = "2025-03-14T09:30"
    page = client.post(url, proposed)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<html" in body and "[T1]" in body and "2025-03-14T09:30" in body
    assert Tender.objects.get(pk=tender.pk).version == 1


def test_only_the_managers_may_check(client: Client, cast: Cast, fixed: clock.FixedClock) -> None:
    tender = draft_tender(cast)
    url = f"/trading/tenders/{tender.pk}/timeline/check/"
    sign_in(client, cast.staff_user)
    assert client.post(url, {}).status_code == 403
    assert client.get(url).status_code == 405


def test_check_uses_beijing_time(client: Client, cast: Cast, fixed: clock.FixedClock) -> None:
    tender = draft_tender(cast)
    sign_in(client, cast.agency_user)
    findings = services.preview_timeline(
        principal=cast.agency,
        tender_id=tender.pk,
        documents_from=bj(2025, 3, 3, 10),
        documents_until=bj(2025, 3, 11, 17),
        questions_until=None,
        bid_deadline=bj(2025, 3, 25, 9, 30),
    )
    assert not [f for f in findings if f.blocking]
