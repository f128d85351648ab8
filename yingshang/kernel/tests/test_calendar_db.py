"""The database calendar: the seed migration, the loader, the ``calendar`` command, the hook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yingshang.kernel import calendar as cal
from yingshang.kernel import calendar_store, events
from yingshang.kernel.calendar_data import EXAMPLE_FILE, chinesecalendar_days, chinesecalendar_years
from yingshang.kernel.models import CalendarDay, HolidayNotice

pytestmark = pytest.mark.django_db


@pytest.fixture
def db_calendar() -> Iterator[calendar_store.DatabaseCalendar]:
    """The default calendar read from the test database, as in a running platform."""
    with calendar_store.installed_database_calendar() as provider:
        yield provider


def snapshot() -> tuple[list[tuple], list[tuple]]:
    notices = list(
        HolidayNotice.objects.order_by("year").values_list("year", "number", "published_on", "loaded_at")
    )
    days = list(CalendarDay.objects.order_by("date").values_list("date", "kind", "holiday", "notice_id"))
    return notices, days


def write(tmp_path: Path, data: object, name: str = "notice.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


GOOD_2027 = {
    "year": 2027,
    "number": "国办发明电〔2026〕9号",
    "published_on": "2026-11-12",
    "title": "国务院办公厅关于2027年部分节假日安排的通知",
    "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
        {"name": "春节", "from": "2027-02-05", "to": "2027-02-12"},
    ],
    "makeup_working_days": [{"date": "2027-01-31", "name": "春节"}, {"date": "2027-02-20", "name": "春节"}],
}


# --- the seed ------------------------------------------------------------------------------------


def test_the_migration_seeded_every_chinesecalendar_year_with_its_notice():
    years = list(HolidayNotice.objects.order_by("year").values_list("year", flat=True))
    assert years == list(chinesecalendar_years())
    notice = HolidayNotice.objects.get(year=2026)
    assert (notice.number, notice.published_on, notice.origin) == (
        "国办发明电〔2025〕7号",
        date(2025, 11, 4),
        "seed",
    )
    assert notice.title == "国务院办公厅关于2026年部分节假日安排的通知"
    assert HolidayNotice.objects.filter(number="").count() == 0
    assert HolidayNotice.objects.get(year=2025).verified
    assert not HolidayNotice.objects.get(year=2004).verified


def test_the_seed_stores_exactly_chinesecalendars_exceptions():
    stored = {d: (kind, name) for d, kind, name in CalendarDay.objects.values_list("date", "kind", "holiday")}
    expected = {d: (r.kind, r.holiday) for d, r in chinesecalendar_days().items()}
    assert stored == expected
    assert CalendarDay.objects.get(date=date(2018, 12, 31)).notice_id == 2019
    assert CalendarDay.objects.get(date=date(2019, 1, 1)).notice_id == 2019
    assert CalendarDay.objects.filter(kind="makeup_working", date__week_day__in=[2, 3, 4, 5, 6]).count() == 0


def test_the_database_calendar_equals_chinesecalendar_on_every_day_2004_2026():
    loaded = calendar_store.load_calendar()
    day = date(2004, 1, 1)
    while day <= date(2026, 12, 31):
        assert loaded.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    assert loaded.notice_years == frozenset(range(2004, 2027))


def test_property_database_calendar_against_chinesecalendar():
    loaded = calendar_store.load_calendar()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(day=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31)), n=st.integers(0, 400))
    def agrees(day: date, n: int) -> None:
        assert loaded.is_working_day(day) == chinese_calendar.is_workday(day)
        assert loaded.is_provisional(day) is False
        later = loaded.add_working_days(day, n)
        assert loaded.working_days_between(day, later) == n

    agrees()


def test_the_default_calendar_comes_from_the_database(db_calendar):
    assert cal.get_default_calendar().notice_years == frozenset(range(2004, 2027))
    assert cal.is_working_day(date(2026, 1, 4))  # a Sunday worked
    assert cal.is_provisional(date(2027, 1, 1))
    assert cal.get_default_calendar() is cal.get_default_calendar()  # cached, not rebuilt per call


# --- calendar load ------------------------------------------------------------------------------


def test_load_a_good_file(tmp_path, db_calendar, django_capture_on_commit_callbacks):
    seen: list[frozenset[int]] = []
    calendar_store.on_calendar_changed(seen.append)
    try:
        before = cal.get_default_calendar()
        assert before.is_provisional(date(2027, 2, 11))
        assert before.is_working_day(date(2027, 2, 11))
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            call_command("calendar", "load", str(write(tmp_path, GOOD_2027)), stdout=(out := _Out()))
        assert "2027" in out.text and "国办发明电〔2026〕9号" in out.text
    finally:
        calendar_store.remove_calendar_listener(seen.append)
    assert seen == [frozenset({2027})]
    assert len(callbacks) >= 2
    notice = HolidayNotice.objects.get(year=2027)
    assert (notice.number, notice.published_on, notice.origin) == (
        "国办发明电〔2026〕9号",
        date(2026, 11, 12),
        "file",
    )
    assert notice.days.count() == 13
    after = cal.get_default_calendar()
    assert after is not before
    assert not cal.is_provisional(date(2027, 2, 11))
    assert cal.is_rest_day(date(2027, 2, 11))  # off under the notice
    assert cal.is_working_day(date(2027, 1, 31))  # a Sunday worked
    assert cal.is_working_day(date(2027, 10, 4))  # the provisional 补假 is gone: no National Day rows given


def test_loading_again_replaces_the_year(tmp_path, db_calendar):
    call_command("calendar", "load", str(write(tmp_path, GOOD_2027)), stdout=_Out())
    changed = dict(GOOD_2027, makeup_working_days=[{"date": "2027-01-31", "name": "春节"}])
    out = _Out()
    call_command("calendar", "load", str(write(tmp_path, changed, "v2.json")), "--language", "en", stdout=out)
    assert "replaced" in out.text
    assert not CalendarDay.objects.filter(date=date(2027, 2, 20)).exists()
    assert HolidayNotice.objects.filter(year=2027).count() == 1
    assert cal.is_rest_day(date(2027, 2, 20))


def test_a_seeded_year_can_be_corrected(tmp_path, db_calendar, django_capture_on_commit_callbacks):
    seen: list[frozenset[int]] = []
    calendar_store.on_calendar_changed(seen.append)
    corrected = {
        "year": 2019,
        "number": "国办发明电〔2018〕15号",
        "published_on": "2018-12-06",
        "title": "国务院办公厅关于2019年部分节假日安排的通知",
        "holidays": [{"name": "元旦", "from": "2018-12-30", "to": "2019-01-01"}],
        "makeup_working_days": [],
    }
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("calendar", "load", str(write(tmp_path, corrected)), stdout=_Out())
    finally:
        calendar_store.remove_calendar_listener(seen.append)
    assert seen == [frozenset({2018, 2019})]
    assert CalendarDay.objects.filter(notice_id=2019).count() == 3
    assert cal.is_working_day(date(2018, 12, 29)) is False  # no longer a Saturday worked
    assert cal.is_working_day(date(2019, 2, 4))  # the Spring Festival rows are gone with the old notice


def test_the_example_file_is_refused_unless_allowed(tmp_path, db_calendar):
    before = snapshot()
    with pytest.raises(CommandError, match="example"):
        call_command("calendar", "load", str(EXAMPLE_FILE), "--language", "en", stdout=_Out())
    assert snapshot() == before
    out = _Out()
    call_command("calendar", "load", str(EXAMPLE_FILE), "--allow-example", stdout=out)
    notice = HolidayNotice.objects.get(year=2027)
    assert notice.source_note.startswith("EXAMPLE")
    assert not notice.verified
    assert "示例" in out.text or "EXAMPLE" in out.text


def test_dry_run_changes_nothing(tmp_path):
    before = snapshot()
    out = _Out()
    call_command(
        "calendar", "load", str(write(tmp_path, GOOD_2027)), "--dry-run", "--language", "en", stdout=out
    )
    assert "is valid" in out.text
    assert snapshot() == before


BAD_FILES = [
    ("{not json", "Malformed JSON at line 1", "JSON 格式错误"),
    ('["a list"]', "must contain one JSON object", "必须是一个 JSON 对象"),
    (
        {k: v for k, v in GOOD_2027.items() if k != "title"},
        "Missing required field 'title'",
        "缺少必填字段「title」",
    ),
    (dict(GOOD_2027, colour="red"), "Unknown field 'colour'", "未知字段「colour」"),
    (
        dict(GOOD_2027, holidays=[{"name": "国庆节", "from": "2028-10-01", "to": "2028-10-03"}]),
        "outside 2027",
        "不在 2027 年内",
    ),
    (
        dict(GOOD_2027, makeup_working_days=["2027-02-22"]),
        "is not a Saturday or Sunday",
        "不是星期六或星期日",
    ),
    (dict(GOOD_2027, makeup_working_days=["2027-02-06"]), "overlaps", "重叠"),
    (
        dict(
            GOOD_2027,
            holidays=[
                {"name": "春节", "from": "2027-02-05", "to": "2027-02-12"},
                {"name": "x", "date": "2027-02-07"},
            ],
        ),
        "overlaps",
        "重叠",
    ),
    (dict(GOOD_2027, published_on="12 Nov 2026"), "not a date in the form YYYY-MM-DD", "不是 YYYY-MM-DD"),
    (dict(GOOD_2027, year=2003), "whole year from 2004 to 2099", "整数年份"),
]


@pytest.mark.parametrize(("content", "english", "chinese"), BAD_FILES)
def test_bad_files_give_a_clear_error_and_change_nothing(tmp_path, content, english, chinese):
    path = write(tmp_path, content)
    before = snapshot()
    with pytest.raises(CommandError) as in_english:
        call_command("calendar", "load", str(path), "--language", "en", stdout=_Out())
    assert english in str(in_english.value)
    with pytest.raises(CommandError) as in_chinese:
        call_command("calendar", "load", str(path), stdout=_Out())  # the site's language: zh-hans
    assert chinese in str(in_chinese.value)
    assert snapshot() == before


def test_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"nothing\.json"):
        call_command("calendar", "load", str(tmp_path / "nothing.json"), "--language", "en", stdout=_Out())


def test_a_date_set_by_another_notice_is_refused(tmp_path, db_calendar):
    CalendarDay.objects.create(date=date(2026, 12, 31), kind="rest", holiday="测试", notice_id=2026)
    before = snapshot()
    clash = dict(GOOD_2027, holidays=[{"name": "元旦", "from": "2026-12-31", "to": "2027-01-01"}])
    with pytest.raises(CommandError, match="2026-12-31 is already set by the notice for 2026"):
        call_command("calendar", "load", str(write(tmp_path, clash)), "--language", "en", stdout=_Out())
    assert snapshot() == before
    assert cal.is_provisional(date(2027, 1, 1))


def test_a_failed_load_rolls_back_and_keeps_the_old_calendar(tmp_path, db_calendar, monkeypatch):
    before = snapshot()
    notice = cal.parse_notice(GOOD_2027)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(CalendarDay.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        calendar_store.load_notice(notice=notice)
    assert snapshot() == before
    assert cal.is_provisional(date(2027, 1, 1))


# --- calendar show ------------------------------------------------------------------------------


def test_show_a_noticed_year():
    out = _Out()
    call_command("calendar", "show", "2026", stdout=out)
    assert "国办发明电〔2025〕7号" in out.text
    assert "2026-01-04" in out.text and "元旦" in out.text
    assert "PROVISIONAL" not in out.text


def test_show_a_provisional_year(db_calendar):
    out = _Out()
    call_command("calendar", "show", "2027", "--language", "en", stdout=out)
    assert "PROVISIONAL" in out.text
    assert "2027-02-09" in out.text and "春节补假" in out.text


def test_show_before_the_first_year():
    with pytest.raises(CommandError, match="2003"):
        call_command("calendar", "show", "2003", "--language", "en", stdout=_Out())


# --- the provider and the hook ------------------------------------------------------------------


def test_the_provider_notices_changes_made_by_another_process_after_its_recheck_interval():
    now = [0.0]
    provider = calendar_store.DatabaseCalendar(recheck_seconds=30, timer=lambda: now[0])
    first = provider()
    assert first.is_provisional(date(2027, 1, 1))
    # another process loads 2027 (written here behind the provider's back)
    HolidayNotice.objects.create(year=2027, number="x", title="t", loaded_at=timezone.now())
    now[0] = 10.0
    assert provider() is first
    now[0] = 31.0
    assert not provider().is_provisional(date(2027, 1, 1))
    now[0] = 62.0
    second = provider()
    now[0] = 93.0
    assert provider() is second  # fingerprint unchanged: no reload


def test_installing_under_testing_leaves_the_builtin_default():
    assert calendar_store.install() is None
    from yingshang.kernel.calendar_data import builtin_calendar

    assert cal.get_default_calendar() is builtin_calendar()
    provider = calendar_store.DatabaseCalendar()
    try:
        assert calendar_store.install(provider) is provider
        assert cal.get_default_calendar().notice_years == frozenset(range(2004, 2027))
    finally:
        calendar_store.install()


def test_a_calendar_changed_event_is_published_on_commit(django_capture_on_commit_callbacks):
    received: list[calendar_store.CalendarChanged] = []
    events.subscribe(calendar_store.CalendarChanged, received.append)
    try:
        with django_capture_on_commit_callbacks(execute=False) as pending:
            calendar_store.load_notice(notice=cal.parse_notice(GOOD_2027))
        assert received == []  # nothing before the commit
        for callback in pending:
            callback()
    finally:
        events.unsubscribe(calendar_store.CalendarChanged, received.append)
    assert received == [calendar_store.CalendarChanged(years=(2027,))]
    assert received[0].name == "kernel.calendar.changed"


def test_a_failing_listener_does_not_stop_the_others(tmp_path, django_capture_on_commit_callbacks):
    calls: list[frozenset[int]] = []

    def broken(years: frozenset[int]) -> None:
        raise RuntimeError("boom")

    calendar_store.on_calendar_changed(broken)
    calendar_store.on_calendar_changed(calls.append)
    calendar_store.on_calendar_changed(calls.append)  # registered once only
    try:
        with django_capture_on_commit_callbacks(execute=True):
            calendar_store.load_notice(notice=cal.parse_notice(GOOD_2027))
    finally:
        calendar_store.remove_calendar_listener(broken)
        calendar_store.remove_calendar_listener(calls.append)
    assert calls == [frozenset({2027})]


class _Out:
    """A stdout for call_command that keeps what was written."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, value: str) -> None:
        self.text += value

    def flush(self) -> None:
        pass
