"""The projects context's services: intake, tenders, timelines, notices, suspension,
termination, re-tender, chronograph. Real database, FixedClock, no mocks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction

from yingshang.kernel import clock
from yingshang.kernel.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from yingshang.kernel.events import subscribe, unsubscribe
from yingshang.kernel.policy import Principal
from yingshang.kernel.statutory import end_of_day
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor
from yingshang.ledger.models import OutboxEntry
from yingshang.notifications import facade as notifications
from yingshang.trading.projects import events, facade, selectors, services, states, tasks
from yingshang.trading.projects import ledger_actions as evidence
from yingshang.trading.projects.models import HistoryEntry, Notice, Tender
from yingshang.trading.projects.tests.factories import (
    START,
    Cast,
    at,
    bj,
    draft_tender,
    good_timeline,
    lot,
    published_tender,
    submit,
    with_timeline,
)

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def cast() -> Cast:
    return Cast.make()


@pytest.fixture
def fixed() -> Iterator[clock.FixedClock]:
    with at(START) as fixed_clock:
        yield fixed_clock


def entries(action: str, subject_id: int | None = None) -> list[OutboxEntry]:
    qs = OutboxEntry.objects.filter(action=action)
    if subject_id is not None:
        qs = qs.filter(subject_id=str(subject_id))
    return list(qs)


def rules_of(error: RuleViolation | InvalidInput) -> list[str]:
    return [d.get("rule") or d["code"] for d in error.details]


# --- intake -------------------------------------------------------------------------------------


def test_agency_submits_intake_by_commitment(cast: Cast, fixed: clock.FixedClock) -> None:
    project = submit(cast)
    assert project.code == f"JC-2025-{project.pk:06d}"
    assert project.intake_status == states.SUBMITTED
    assert project.tenderer_id == cast.tenderer_org.pk and project.agency_id == cast.agency_org.pk
    assert project.commitment_signed_by_id == cast.agency_user.pk
    assert project.commitment_signed_at == START
    assert project.lots.count() == 1
    entry = entries(evidence.PROJECT_SUBMITTED, project.pk)
    assert len(entry) == 1 and project.ledger_entry_hash == entry[0].leaf_hash
    assert '"kind":"parties"' in entry[0].entry
    history = HistoryEntry.objects.get(project=project)
    assert history.to_status == states.SUBMITTED and history.ledger_entry_hash == entry[0].leaf_hash


def test_tenderer_submits_in_its_own_name(cast: Cast, fixed: clock.FixedClock) -> None:
    project = submit(cast, by="tenderer", agency_id=None)
    assert project.tenderer_id == cast.tenderer_org.pk and project.agency_id is None


def test_intake_lists_every_problem_at_once(cast: Cast, fixed: clock.FixedClock) -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(
            cast,
            name="",
            resource_kind="construction",
            supervisor_id=None,
            commitment_text="",
            lots=[lot(deposit_fen=20_000_001), lot(estimated_price_fen=0)],
        )
    fields = [d["field"] for d in caught.value.details]
    assert fields == [
        "name",
        "supervisor_id",
        "commitment_text",
        "lots[0].deposit_fen",
        "lots[1].estimated_price_fen",
    ]
    t15 = caught.value.details[3]
    assert t15["rule"] == t15["code"] == "T15"
    assert t15["article_zh"] == "《招标投标法实施条例》第二十六条" and t15["article_en"].endswith("art. 26")
    assert "¥200,000.00" in t15["message_en"] and "¥200,000.01" in t15["message_zh"]


def test_deposit_over_two_percent_refused_exactly_two_accepted(cast: Cast, fixed: clock.FixedClock) -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(cast, lots=[lot(estimated_price_fen=1_000_000_000, deposit_fen=20_000_001)])
    assert rules_of(caught.value) == ["T15"]
    project = submit(cast, lots=[lot(estimated_price_fen=1_000_000_000, deposit_fen=20_000_000)])
    assert project.lots.get().deposit_fen == 20_000_000


def test_procurement_deposit_rules_g3(cast: Cast, fixed: clock.FixedClock) -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(
            cast,
            name="金城市第一中学教学设备采购",
            resource_kind="government_procurement",
            lots=[lot(estimated_price_fen=500_000_000, deposit_fen=10_000_001, deposit_form="cash")],
        )
    assert rules_of(caught.value) == ["G3", "G3.form"]


def test_regime_must_fit_the_kind(cast: Cast, fixed: clock.FixedClock) -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(cast, resource_kind="construction", regime="procurement")
    assert rules_of(caught.value) == ["regime_not_for_kind"]


def test_only_tenderers_and_agencies_submit(cast: Cast, fixed: clock.FixedClock) -> None:
    for who in ("staff", "supervisor", "auditor", "bidder"):
        with pytest.raises(PermissionDenied):
            submit(cast, by=who)
    with pytest.raises(NotAuthenticated):
        services.submit_intake(
            principal=Principal.guest(), name="x", resource_kind="construction", lots=[lot()]
        )


def test_accept_and_return_transitions(cast: Cast, fixed: clock.FixedClock) -> None:
    project = submit(cast)
    with pytest.raises(PermissionDenied):
        services.accept_intake(principal=cast.agency, project_id=project.pk)
    with pytest.raises(InvalidInput):
        services.return_intake(principal=cast.staff, project_id=project.pk, reason="")
    returned = services.return_intake(
        principal=cast.staff, project_id=project.pk, reason="缺少项目审批文件编号", expected_version=1
    )
    assert returned.intake_status == states.RETURNED and returned.return_reason == "缺少项目审批文件编号"
    with pytest.raises(Conflict) as caught:
        services.accept_intake(principal=cast.staff, project_id=project.pk)
    assert caught.value.code == "invalid_transition"
    resubmitted = services.update_intake(
        principal=cast.agency,
        project_id=project.pk,
        expected_version=returned.version,
        name="金城市滨河路综合改造工程（一期）",
        resource_kind="construction",
        lots=[lot(), lot(name="第2标段：绿化工程", estimated_price_fen=200_000_000, deposit_fen=4_000_000)],
        supervisor_id=cast.supervisor_org.pk,
    )
    assert resubmitted.intake_status == states.SUBMITTED and resubmitted.lots.count() == 2
    done = services.accept_intake(principal=cast.staff, project_id=project.pk)
    assert done.intake_status == states.ACCEPTED
    with pytest.raises(Conflict):
        services.return_intake(principal=cast.staff, project_id=project.pk, reason="再次退回")
    with pytest.raises(Conflict):
        services.update_intake(
            principal=cast.agency,
            project_id=project.pk,
            expected_version=done.version,
            name="x",
            resource_kind="construction",
            lots=[lot()],
            supervisor_id=cast.supervisor_org.pk,
        )
    assert [h.to_status for h in selectors.history_of(project)] == [
        "submitted",
        "returned",
        "submitted",
        "accepted",
    ]
    assert len(entries(evidence.LOT_REMOVED)) == 1
    assert list(ledger.audit()) == []


def test_stale_form_is_refused_with_what_changed(cast: Cast, fixed: clock.FixedClock) -> None:
    project = submit(cast)
    services.update_intake(
        principal=cast.agency,
        project_id=project.pk,
        expected_version=1,
        name="金城市滨河路改造工程",
        resource_kind="construction",
        lots=[lot()],
        supervisor_id=cast.supervisor_org.pk,
        industry="房屋建筑和市政基础设施",
        state_controlled=True,
    )
    with pytest.raises(Conflict) as caught:
        services.return_intake(
            principal=cast.staff, project_id=project.pk, reason="材料不全", expected_version=1
        )
    error = caught.value
    assert error.code == "stale_version"
    assert (
        "name" in str(error) and error.details[0]["version"] == 2 and error.details[0]["fields"] == ["name"]
    )


# --- tenders and timelines ------------------------------------------------------------------------


def test_tender_needs_an_accepted_intake_and_a_fitting_method(cast: Cast, fixed: clock.FixedClock) -> None:
    project = submit(cast)
    with pytest.raises(Conflict):
        services.create_tender(principal=cast.agency, project_id=project.pk, method="open")
    services.accept_intake(principal=cast.staff, project_id=project.pk)
    with pytest.raises(InvalidInput) as caught:
        services.create_tender(principal=cast.agency, project_id=project.pk, method="negotiation")
    assert rules_of(caught.value) == ["method_not_allowed"]
    tender = services.create_tender(principal=cast.agency, project_id=project.pk, method="open")
    assert tender.status == states.DRAFT and tender.ocid == f"ocds-yshang-{project.code}-01"
    assert list(tender.lots.all()) == list(project.lots.all())
    with pytest.raises(Conflict) as busy:
        services.create_tender(principal=cast.agency, project_id=project.pk, method="invited")
    assert busy.value.code == "lot_busy"


def test_timeline_t1_rolls_over_the_national_day_holiday(cast: Cast) -> None:
    with at(bj(2025, 9, 15, 9)):
        tender = draft_tender(cast)
        timeline = {
            "documents_from": bj(2025, 9, 15, 10),
            "documents_until": bj(2025, 9, 22, 17),
            "questions_until": bj(2025, 9, 30, 17),
            "bid_deadline": bj(2025, 10, 8, 9, 30),
        }
        with pytest.raises(RuleViolation) as caught:
            with_timeline(cast, tender, timeline)
        assert rules_of(caught.value) == ["T1"]
        detail = caught.value.details[0]
        assert "2025-10-09" in detail["message_en"] and "2025-10-09" in detail["message_zh"]
        assert detail["article_zh"] == "《招标投标法》第二十四条" and detail["field"] == "bid_deadline"
        ok = with_timeline(cast, tender, {**timeline, "bid_deadline": bj(2025, 10, 9, 9, 30)})
        assert ok.bid_deadline == bj(2025, 10, 9, 9, 30)


def test_timeline_lists_every_blocking_violation_at_once(cast: Cast, fixed: clock.FixedClock) -> None:
    tender = draft_tender(cast)
    with pytest.raises(RuleViolation) as caught:
        with_timeline(
            cast,
            tender,
            {
                "documents_from": bj(2025, 3, 3, 10),
                "documents_until": bj(2025, 3, 7, 17),  # T2: the sale must run to Monday 10 March
                "questions_until": bj(2025, 3, 20, 17),  # after the deadline
                "bid_deadline": bj(2025, 3, 14, 9, 30),  # T1: earliest 24 March
            },
        )
    error = caught.value
    assert error.code == "timeline_rules" and error.status == 422
    assert rules_of(error) == ["T1", "T2", "order.questions"]
    assert all(d["article"] and d["message_zh"] and d["message_en"] for d in error.details)
    t2 = next(d for d in error.details if d["rule"] == "T2")
    assert "2025-03-10" in t2["message_en"]  # 3 March + 5 = Saturday 8 March, rolled to Monday
    tender.refresh_from_db()
    assert tender.bid_deadline is None and tender.version == 1


def test_deadline_at_2400_is_the_next_day_00_00(cast: Cast, fixed: clock.FixedClock) -> None:
    """A period ends at 24:00 of its last day: a deadline at 24:00 on Sunday 23 March is
    00:00 on Monday 24 March, the earliest day T1 allows; 24:00 on Saturday 22 March is not."""
    tender = draft_tender(cast)
    timeline = good_timeline()
    with pytest.raises(RuleViolation) as caught:
        with_timeline(cast, tender, {**timeline, "bid_deadline": end_of_day(date(2025, 3, 22))})
    assert rules_of(caught.value) == ["T1"]
    saved = with_timeline(cast, tender, {**timeline, "bid_deadline": end_of_day(date(2025, 3, 23))})
    assert saved.bid_deadline == datetime(2025, 3, 23, 16, 0, tzinfo=UTC)


def test_deadline_in_a_year_without_a_holiday_notice_is_a_provisional_warning(cast: Cast) -> None:
    with at(bj(2026, 12, 14, 9)):
        tender = draft_tender(cast)
        result = services.save_timeline(
            principal=cast.agency,
            tender_id=tender.pk,
            expected_version=tender.version,
            documents_from=bj(2026, 12, 14, 10),
            documents_until=bj(2026, 12, 21, 17),
            questions_until=bj(2026, 12, 28, 17),
            bid_deadline=bj(2027, 1, 8, 9, 30),
        )
    assert [w.rule_id for w in result.warnings] == ["calendar.provisional"]
    assert not result.warnings[0].blocking and "2027" in result.warnings[0].message.render("en")
    assert result.tender.timeline_provisional is True


def test_negotiation_needs_three_working_days(cast: Cast, fixed: clock.FixedClock) -> None:
    tender = draft_tender(
        cast, method="negotiation", name="金城市政务云服务采购", resource_kind="government_procurement"
    )
    timeline = {
        "documents_from": bj(2025, 3, 6, 10),  # Thursday
        "documents_until": bj(2025, 3, 8, 17),
        "questions_until": bj(2025, 3, 8, 18),
        "bid_deadline": bj(2025, 3, 10, 9, 30),  # Monday: Fri + Mon = 2 working days
    }
    with pytest.raises(RuleViolation) as caught:
        with_timeline(cast, tender, timeline)
    assert rules_of(caught.value) == ["method.negotiation"]
    saved = with_timeline(cast, tender, {**timeline, "bid_deadline": bj(2025, 3, 11, 9, 30)})
    assert saved.bid_deadline == bj(2025, 3, 11, 9, 30)


def test_published_timeline_changes_only_by_amendment(cast: Cast, fixed: clock.FixedClock) -> None:
    tender = published_tender(cast)
    with pytest.raises(Conflict) as caught:
        with_timeline(cast, tender)
    assert caught.value.code == "published_use_amendment"


# --- publication ------------------------------------------------------------------------------------


def test_publish_by_tenderer_or_agency_not_by_staff(cast: Cast, fixed: clock.FixedClock) -> None:
    tender = with_timeline(cast, draft_tender(cast))
    kwargs: dict[str, Any] = {
        "tender_id": tender.pk,
        "expected_version": tender.version,
        "title": "招标公告",
        "body": "本项目现进行公开招标，欢迎投标。",
    }
    with pytest.raises(PermissionDenied):
        services.publish_tender(principal=cast.staff, **kwargs)
    with pytest.raises(NotFound):
        services.publish_tender(principal=cast.p("other_tenderer"), **kwargs)
    with pytest.raises(PermissionDenied):
        services.publish_tender(principal=cast.auditor, **kwargs)
    published = services.publish_tender(principal=cast.tenderer, **kwargs)
    assert published.status == states.PUBLISHED and published.published_at == START
    notice = Notice.objects.get(tender=published)
    assert notice.version == 1 and notice.kind == "tender_notice"
    assert notice.ledger_entry_hash == entries(evidence.NOTICE_PUBLISHED, notice.pk)[0].leaf_hash
    assert '"kind":"public"' in entries(evidence.TENDER_PUBLISHED, published.pk)[0].entry
    assert published.next_check == published.documents_until
    assert list(selectors.public_tenders()) == [published]
    with pytest.raises(Conflict):
        services.publish_tender(principal=cast.tenderer, **{**kwargs, "expected_version": published.version})


def test_publish_needs_a_timeline(cast: Cast, fixed: clock.FixedClock) -> None:
    tender = draft_tender(cast)
    with pytest.raises(InvalidInput) as caught:
        services.publish_tender(
            principal=cast.agency,
            tender_id=tender.pk,
            expected_version=1,
            title="招标公告",
            body="本项目现进行公开招标。",
        )
    assert {d["field"] for d in caught.value.details} == {"documents_from", "documents_until", "bid_deadline"}


def test_publish_refuses_documents_issued_before_the_notice(cast: Cast) -> None:
    with at(START):
        tender = with_timeline(cast, draft_tender(cast))
    with at(START + timedelta(days=1)) as later:
        with pytest.raises(RuleViolation) as caught:
            services.publish_tender(
                principal=cast.agency,
                tender_id=tender.pk,
                expected_version=tender.version,
                title="公告",
                body="本项目现进行公开招标。",
            )
        assert "order.published" in rules_of(caught.value)
        assert later.now() > START


# --- amendments (T4) --------------------------------------------------------------------------------


def test_amendment_less_than_15_days_before_the_deadline_moves_it(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)  # deadline Tuesday 25 March 09:30
    with at(bj(2025, 3, 12, 15)):  # 13 days before
        result = services.amend_tender(
            principal=cast.agency,
            tender_id=tender.pk,
            expected_version=tender.version,
            reason="修改工程量清单",
            body="第三章工程量清单第12项数量更正。",
        )
    # 12 March + 15 days = Thursday 27 March, same time of day
    assert result.moved_to == bj(2025, 3, 27, 9, 30)
    assert result.tender.bid_deadline == bj(2025, 3, 27, 9, 30)
    assert result.notice.version == 2 and result.notice.kind == "amendment"
    assert "2025-03-27 09:30" in result.notice.body
    moved = entries(evidence.DEADLINE_MOVED, tender.pk)
    assert len(moved) == 1 and '"rule":"T4"' in moved[0].entry and '"kind":"public"' in moved[0].entry


def test_amendment_15_days_before_or_not_affecting_preparation_keeps_the_deadline(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
    with at(bj(2025, 3, 10, 15)):  # exactly 15 days before 25 March
        result = services.amend_tender(
            principal=cast.agency,
            tender_id=tender.pk,
            expected_version=tender.version,
            reason="更正",
            body="更正联系人电话。",
        )
    assert result.moved_to is None and result.tender.bid_deadline == bj(2025, 3, 25, 9, 30)
    with at(bj(2025, 3, 20, 15)):
        later = services.amend_tender(
            principal=cast.agency,
            tender_id=tender.pk,
            expected_version=result.tender.version,
            reason="更正错别字",
            body="更正公告错别字。",
            affects_preparation=False,
        )
    assert later.moved_to is None and later.notice.version == 3


def test_amendment_that_sets_a_new_deadline_is_checked(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
    with at(bj(2025, 3, 5, 15)):
        with pytest.raises(RuleViolation) as caught:
            services.amend_tender(
                principal=cast.agency,
                tender_id=tender.pk,
                expected_version=tender.version,
                reason="提前截止",
                body="投标截止时间提前。",
                bid_deadline=bj(2025, 3, 21, 9, 30),
                affects_preparation=False,
            )
        assert rules_of(caught.value) == ["T1"]
        assert Notice.objects.filter(tender=tender).count() == 1


def test_apply_amendment_from_the_documents_context(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
    seen: list[events.DeadlineMoved] = []
    subscribe(events.DeadlineMoved, seen.append)
    try:
        with at(bj(2025, 3, 14, 11)), transaction.atomic():
            moved = facade.apply_amendment(
                tender_id=tender.pk,
                actor=Actor.system("documents"),
                amended_at=bj(2025, 3, 14, 11),
                affects_preparation=True,
                reason="招标文件第二次澄清",
            )
            same = facade.apply_amendment(
                tender_id=tender.pk,
                actor=Actor.system("documents"),
                amended_at=bj(2025, 3, 14, 11),
                affects_preparation=False,
                reason="答疑",
            )
    finally:
        unsubscribe(events.DeadlineMoved, seen.append)
    assert moved == bj(2025, 3, 31, 9, 30)  # 14 + 15 = Saturday 29 March, rolled to Monday 31
    assert same is None
    summary = facade.tender_summary(tender.pk)
    assert summary.bid_deadline == moved
    assert Notice.objects.filter(tender=tender, kind="amendment").count() == 1
    assert len(entries(evidence.DEADLINE_MOVED, tender.pk)) == 1
    assert tender.amendments.count() == 2


# --- suspension --------------------------------------------------------------------------------------


def test_suspension_stops_deadlines_and_resuming_recomputes_them(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
    told_before = notifications.unread_count(cast.supervisor_user.pk)
    with at(bj(2025, 3, 10, 9)):
        suspended = services.suspend_tender(
            principal=cast.agency,
            tender_id=tender.pk,
            reason="收到对招标文件的异议（条例第二十二条）",
            ground="objection",
        )
    assert suspended.status == states.SUSPENDED and suspended.next_check is None
    # the competent supervisory department is told, not only the parties
    assert notifications.unread_count(cast.supervisor_user.pk) == told_before + 1
    assert notifications.unread_count(cast.other_supervisor_user.pk) == 0
    # the chronograph does nothing to a suspended tender, even past its deadline
    assert tasks.apply_due(now=bj(2025, 3, 26, 0)) == 0
    with at(bj(2025, 3, 13, 15)):  # 3 days 6 hours later: 4 days
        result = services.resume_tender(principal=cast.supervisor, tender_id=tender.pk, reason="异议已答复")
    resumed = result.tender
    assert resumed.status == states.PUBLISHED
    assert resumed.documents_until == bj(2025, 3, 15, 17)
    assert resumed.questions_until == bj(2025, 3, 21, 17)
    assert resumed.bid_deadline == bj(2025, 3, 31, 9, 30)  # 29 March is a Saturday: Monday 31
    kinds = list(Notice.objects.filter(tender=tender).values_list("kind", flat=True))
    assert kinds == ["tender_notice", "suspension", "resumption"]
    assert [h.action for h in selectors.history_of(tender.project, tender)][-2:] == [
        evidence.TENDER_SUSPENDED,
        evidence.TENDER_RESUMED,
    ]


def test_suspension_permissions_and_transitions(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
        with pytest.raises(NotFound):
            services.suspend_tender(principal=cast.p("other_supervisor"), tender_id=tender.pk, reason="投诉")
        with pytest.raises(PermissionDenied):
            services.suspend_tender(principal=cast.auditor, tender_id=tender.pk, reason="投诉")
        with pytest.raises(Conflict):
            services.resume_tender(principal=cast.agency, tender_id=tender.pk)
        services.suspend_tender(
            principal=cast.staff, tender_id=tender.pk, reason="监督部门责令暂停", ground="supervisor_order"
        )
        with pytest.raises(Conflict):
            services.suspend_tender(principal=cast.staff, tender_id=tender.pk, reason="再次暂停")


def test_suspension_with_an_end_is_lifted_by_the_chronograph(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
    with at(bj(2025, 3, 5, 9)):
        services.suspend_tender(
            principal=cast.supervisor,
            tender_id=tender.pk,
            reason="投诉处理期间暂停",
            ground="complaint",
            until=bj(2025, 3, 7, 9),
        )
    assert tasks.apply_due(now=bj(2025, 3, 7, 8, 59)) == 0
    with at(bj(2025, 3, 7, 9)):
        assert tasks.apply_due(now=bj(2025, 3, 7, 9)) == 1
    tender.refresh_from_db()
    assert tender.status == states.PUBLISHED and tender.bid_deadline == bj(2025, 3, 27, 9, 30)
    resumed = entries(evidence.TENDER_RESUMED, tender.pk)
    assert '"name":"chronograph"' in resumed[0].entry


# --- chronograph ------------------------------------------------------------------------------------


def test_chronograph_closes_the_download_period_and_the_bids(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
    assert tasks.apply_due(now=bj(2025, 3, 11, 16, 59)) == 0
    assert tasks.apply_due(now=bj(2025, 3, 11, 17)) == 1
    tender.refresh_from_db()
    assert tender.documents_closed and tender.status == states.PUBLISHED
    assert tender.next_check == bj(2025, 3, 25, 9, 30)
    assert facade.is_open_for_documents(tender.pk, bj(2025, 3, 11, 16, 59))
    assert not facade.is_open_for_documents(tender.pk, bj(2025, 3, 11, 17))
    with at(bj(2025, 3, 25, 9, 30)):
        assert tasks.apply_due(now=bj(2025, 3, 25, 9, 30)) == 1
    tender.refresh_from_db()
    assert tender.status == states.BID_DEADLINE_PASSED and tender.next_check is None
    assert len(entries(evidence.BID_DEADLINE_PASSED, tender.pk)) == 1
    assert tasks.apply_due(now=bj(2025, 3, 26)) == 0
    assert list(ledger.audit()) == []


def test_chronograph_closes_at_2400_exactly(cast: Cast, fixed: clock.FixedClock) -> None:
    tender = draft_tender(cast)
    tender = with_timeline(cast, tender, {**good_timeline(), "bid_deadline": end_of_day(date(2025, 3, 24))})
    tender = services.publish_tender(
        principal=cast.agency,
        tender_id=tender.pk,
        expected_version=tender.version,
        title="公告",
        body="本项目现进行公开招标。",
    )
    services.apply_due(tender_id=tender.pk, now=bj(2025, 3, 24, 23, 59, 59))
    tender.refresh_from_db()
    assert tender.status == states.PUBLISHED
    services.apply_due(tender_id=tender.pk, now=bj(2025, 3, 25, 0, 0))
    tender.refresh_from_db()
    assert tender.status == states.BID_DEADLINE_PASSED


# --- termination and re-tender ------------------------------------------------------------------------


def test_cancel_records_the_t18_refund_obligation(cast: Cast, fixed: clock.FixedClock) -> None:
    tender = published_tender(cast)
    seen: list[events.TenderCancelled] = []
    subscribe(events.TenderCancelled, seen.append)
    try:
        with pytest.raises(InvalidInput):
            services.cancel_tender(principal=cast.agency, tender_id=tender.pk, reason="")
        cancelled = services.cancel_tender(
            principal=cast.agency, tender_id=tender.pk, reason="项目资金未落实，终止招标"
        )
    finally:
        unsubscribe(events.TenderCancelled, seen.append)
    assert cancelled.status == states.CANCELLED
    obligation = entries(evidence.REFUND_OBLIGATION, tender.pk)
    assert len(obligation) == 1 and '"rule":"T18"' in obligation[0].entry
    assert Notice.objects.filter(tender=tender, kind="cancellation").exists()
    for command in (
        lambda: services.resume_tender(principal=cast.agency, tender_id=tender.pk),
        lambda: services.suspend_tender(principal=cast.agency, tender_id=tender.pk, reason="暂停"),
        lambda: services.cancel_tender(principal=cast.agency, tender_id=tender.pk, reason="再次终止"),
    ):
        with pytest.raises(Conflict):
            command()


def test_retender_after_fewer_than_three_bids(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
        with pytest.raises(Conflict):
            services.retender(principal=cast.agency, tender_id=tender.pk, bids_received=2)
    services.apply_due(tender_id=tender.pk, now=bj(2025, 3, 25, 9, 30))
    with at(bj(2025, 3, 25, 10)):
        with pytest.raises(RuleViolation) as caught:
            services.retender(principal=cast.agency, tender_id=tender.pk, bids_received=3)
        assert caught.value.code == "enough_bids"
        new = services.retender(
            principal=cast.agency, tender_id=tender.pk, bids_received=2, reason="投标人不足三家"
        )
    old = Tender.objects.get(pk=tender.pk)
    assert old.status == states.FAILED and old.bids_received == 2
    assert new.previous_id == old.pk and new.status == states.DRAFT and new.sequence == 2
    assert new.ocid.endswith("-02") and new.ocid != old.ocid
    assert set(new.lots.all()) == set(old.lots.all())
    assert facade.tender_summary(new.pk).previous_tender_id == old.pk
    assert '"relationship":"prior"' in entries(evidence.TENDER_CREATED, new.pk)[0].entry


# --- reads and facade -------------------------------------------------------------------------------------


def test_who_sees_which_projects(cast: Cast, fixed: clock.FixedClock) -> None:
    project = submit(cast)
    other = submit(cast, supervisor_id=cast.other_supervisor_user.memberships.get().organisation_id)
    visible = {who: set(selectors.visible_projects(cast.p(who)).values_list("pk", flat=True)) for who in (
        "tenderer", "agency", "supervisor", "staff", "auditor", "bidder", "other_tenderer", "other_supervisor"
    )}  # fmt: skip
    assert (
        visible["tenderer"]
        == visible["agency"]
        == visible["staff"]
        == visible["auditor"]
        == {project.pk, other.pk}
    )
    assert visible["supervisor"] == {project.pk}
    assert visible["other_supervisor"] == {other.pk}
    assert visible["bidder"] == visible["other_tenderer"] == set()
    assert not selectors.visible_projects(Principal.guest()).exists()


def test_facade_permissions_and_summary(cast: Cast, fixed: clock.FixedClock) -> None:
    tender = published_tender(cast)
    summary = facade.tender_summary(tender.pk)
    assert summary.status == "published" and summary.regime == "tendering" and summary.method == "open"
    assert summary.tenderer_org_id == cast.tenderer_org.pk and summary.agency_org_id == cast.agency_org.pk
    assert summary.bid_deadline == bj(2025, 3, 25, 9, 30) and not summary.suspended
    assert summary.state_controlled and summary.lot_ids
    lot = tender.lots.get()
    assert facade.lot_name(tender.pk, lot.pk) == lot.name and lot.name
    assert facade.lot_name(tender.pk, 999_999) == "999999"  # unknown: the id, never an error
    assert facade.may_manage_tender(cast.agency, tender.pk) and facade.may_manage_tender(
        cast.tenderer, tender.pk
    )
    assert facade.may_manage_tender(cast.staff, tender.pk)
    for who in ("supervisor", "auditor", "bidder", "other_tenderer"):
        assert not facade.may_manage_tender(cast.p(who), tender.pk)
    assert facade.may_supervise_tender(cast.supervisor, tender.pk)
    assert not facade.may_supervise_tender(cast.p("other_supervisor"), tender.pk)
    assert not facade.may_supervise_tender(cast.agency, tender.pk)
    assert not facade.may_manage_tender(Principal.guest(), tender.pk)
    with pytest.raises(NotFound):
        facade.tender_summary(tender.pk + 1000)
    assert not facade.may_manage_tender(cast.agency, tender.pk + 1000)


def test_every_row_matches_the_ledger_after_a_full_run(cast: Cast) -> None:
    with at(START):
        tender = published_tender(cast)
    with at(bj(2025, 3, 12, 9)):
        services.suspend_tender(principal=cast.agency, tender_id=tender.pk, reason="异议")
    with at(bj(2025, 3, 13, 9)):
        services.resume_tender(principal=cast.agency, tender_id=tender.pk, reason="已答复")
    tender.refresh_from_db()
    with at(bj(2025, 3, 14, 9)):
        services.amend_tender(
            principal=cast.agency,
            tender_id=tender.pk,
            expected_version=tender.version,
            reason="澄清",
            body="澄清内容。",
        )
    assert list(ledger.audit()) == []
    assert all(n.ledger_entry_hash for n in Notice.objects.filter(tender=tender))


def test_loading_the_holiday_notice_makes_a_provisional_timeline_final(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    from pathlib import Path

    from yingshang.kernel import calendar as kernel_calendar
    from yingshang.kernel import calendar_store

    with at(bj(2026, 12, 14, 9)):
        tender = draft_tender(cast)
        result = services.save_timeline(
            principal=cast.agency,
            tender_id=tender.pk,
            expected_version=tender.version,
            documents_from=bj(2026, 12, 14, 10),
            documents_until=bj(2026, 12, 21, 17),
            questions_until=bj(2026, 12, 28, 17),
            bid_deadline=bj(2027, 1, 8, 9, 30),
        )
        assert result.tender.timeline_provisional
        example = Path(kernel_calendar.__file__).with_name("calendar_data") / "example-2027.json"
        with calendar_store.installed_database_calendar(), django_capture_on_commit_callbacks(execute=True):
            calendar_store.load_notice(
                notice=kernel_calendar.parse_notice_json(example.read_bytes()), allow_example=True
            )
    tender.refresh_from_db()
    assert tender.timeline_provisional is False
