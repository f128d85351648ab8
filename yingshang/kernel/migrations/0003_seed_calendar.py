"""Seed the working-day calendar: every year the installed ``chinesecalendar`` package knows.

Each year gets its HolidayNotice (number and date from ``kernel/calendar_data/notices.json``) and
its dated exceptions as CalendarDay rows, in two bulk inserts (fast on SQLite and PostgreSQL).
Uses the historical models only. Years whose notice is already stored (loaded from a file) are
left alone. Later years arrive through ``yingshang calendar load FILE``.
"""

from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    from yingshang.kernel.calendar_data import seed_notices

    HolidayNotice = apps.get_model("kernel", "HolidayNotice")
    CalendarDay = apps.get_model("kernel", "CalendarDay")
    present = set(HolidayNotice.objects.values_list("year", flat=True))
    taken = set(CalendarDay.objects.values_list("date", flat=True))
    now = timezone.now()
    notices = [n for n in seed_notices() if n.year not in present]
    HolidayNotice.objects.bulk_create(
        HolidayNotice(
            year=n.year,
            number=n.number,
            published_on=n.published_on,
            title=n.title,
            source_note=n.source_note,
            verified=n.verified,
            origin="seed",
            loaded_at=now,
        )
        for n in notices
    )
    CalendarDay.objects.bulk_create(
        (
            CalendarDay(date=day, kind=rule.kind, holiday=rule.holiday, notice_id=n.year)
            for n in notices
            for day, rule in sorted(n.days.items())
            if day not in taken
        ),
        batch_size=500,
    )


def unseed(apps, schema_editor):
    HolidayNotice = apps.get_model("kernel", "HolidayNotice")
    HolidayNotice.objects.filter(origin="seed").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kernel", "0002_calendar"),
    ]

    operations = [
        migrations.RunPython(seed, unseed, elidable=False),
    ]
