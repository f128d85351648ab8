"""The kernel's only models: reference data (calendar days and notices) and the clock sandbox row."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


# --- Domain clock sandbox (kernel.sandbox) -------------------------------------------------------
class ClockSetting(models.Model):
    """The one row (id 1) every process reads to agree on the domain time.

    Disabled: domain time is wall time. Enabled: domain time is
    ``anchor_domain + (wall - anchor_wall) * factor``. Written only by
    ``kernel.sandbox.set_sandbox`` / ``reset_sandbox``.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    enabled = models.BooleanField(_("sandbox enabled"), default=False)
    factor = models.DecimalField(_("speed factor"), max_digits=10, decimal_places=4, default=Decimal(1))
    anchor_wall = models.DateTimeField(_("anchor wall time"), null=True, blank=True)
    anchor_domain = models.DateTimeField(_("anchor domain time"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at (wall time)"))
    updated_by = models.CharField(_("updated by"), max_length=150, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("clock setting")
        verbose_name_plural = _("clock settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="kernel_clocksetting_singleton"),
            models.CheckConstraint(
                condition=models.Q(factor__gt=0), name="kernel_clocksetting_factor_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(enabled=False)
                | models.Q(anchor_wall__isnull=False, anchor_domain__isnull=False),
                name="kernel_clocksetting_enabled_has_anchors",
            ),
        ]

    def __str__(self) -> str:
        return f"sandbox x{self.factor}" if self.enabled else "real time"


# --- Working-day calendar (kernel.calendar, kernel.calendar_store) ------------------------------
class HolidayNotice(models.Model):
    """A State Council holiday notice (国务院办公厅关于××年部分节假日安排的通知) for one year.

    A year with a notice row is *noticed*: its working days are the weekdays minus its rest days
    plus its make-up working days. A year without one is provisional (kernel.calendar). Written
    only by the seed migration and ``kernel.calendar_store.load_notice``.
    """

    ORIGIN_SEED = "seed"
    ORIGIN_FILE = "file"
    ORIGIN_CHOICES = [(ORIGIN_SEED, _("seeded from chinesecalendar")), (ORIGIN_FILE, _("loaded from a file"))]

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    number = models.CharField(_("notice number"), max_length=64, blank=True)
    published_on = models.DateField(_("date of the notice"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    source_note = models.TextField(_("source note"), blank=True)
    verified = models.BooleanField(_("number and date verified"), default=False)
    origin = models.CharField(_("origin"), max_length=8, choices=ORIGIN_CHOICES, default=ORIGIN_FILE)
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        verbose_name = _("holiday notice")
        verbose_name_plural = _("holiday notices")
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=2004, year__lte=2099), name="kernel_notice_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.number}".strip()


class CalendarDay(models.Model):
    """One dated exception a notice sets; weekends and ordinary weekdays are not stored.

    ``rest``: a day off (a weekday off, or a holiday day on a weekend, kept for its name);
    ``makeup_working``: a Saturday or Sunday worked (调休上班). ``notice`` is the year of the
    notice that set the day (a New Year's break can reach into the December before).
    """

    KIND_REST = "rest"
    KIND_MAKEUP_WORKING = "makeup_working"
    KIND_CHOICES = [(KIND_REST, _("rest day")), (KIND_MAKEUP_WORKING, _("make-up working day"))]

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=KIND_CHOICES)
    holiday = models.CharField(_("holiday (Chinese name)"), max_length=64, blank=True)
    notice = models.ForeignKey(
        HolidayNotice,
        to_field="year",
        db_column="notice_year",
        on_delete=models.CASCADE,
        related_name="days",
        verbose_name=_("notice"),
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["rest", "makeup_working"]), name="kernel_calendarday_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.kind} {self.holiday}".strip()
