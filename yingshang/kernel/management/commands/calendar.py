"""``yingshang calendar load|show``: load a year's State Council holiday notice, or show a year.

    yingshang calendar load notice-2027.json [--allow-example] [--dry-run]
    yingshang calendar show 2027

``load`` validates the file (format in docs/calendar.md), replaces that year's notice and days in
one transaction, reloads the default calendar and, on commit, tells the registered
``on_calendar_changed`` callbacks which years changed. A bad file changes nothing and every
problem is listed in the chosen language (``--language zh-hans|en``, default the site's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from yingshang.kernel import calendar as cal
from yingshang.kernel import calendar_store
from yingshang.kernel.errors import DomainError

_WEEKDAYS = {
    "zh-hans": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}


class Command(BaseCommand):
    help = "Load a year's State Council holiday notice from a JSON file, or show a year's calendar."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="load|show")
        load = actions.add_parser("load", help="Load one year's notice from a JSON file.")
        load.add_argument("file", help="The notice file (JSON, see docs/calendar.md).")
        load.add_argument("--allow-example", action="store_true", help="Load a file marked as an example.")
        load.add_argument("--dry-run", action="store_true", help="Validate only; change nothing.")
        show = actions.add_parser("show", help="Show a year's rest days and make-up working days.")
        show.add_argument("year", type=int)
        for sub in (load, show):
            sub.add_argument(
                "--language",
                choices=[code for code, _name in settings.LANGUAGES],
                default=None,
                help="Language of the messages (default: the site's language).",
            )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        language = options.get("language") or settings.LANGUAGE_CODE
        with translation.override(language):
            if action == "load":
                self._load(Path(options["file"]), options["allow_example"], options["dry_run"])
            else:
                self._show(options["year"], language)

    def _load(self, path: Path, allow_example: bool, dry_run: bool) -> None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}
            ) from exc
        try:
            notice = cal.parse_notice_json(raw)
        except cal.NoticeFileError as exc:
            lines = "\n".join(f"  - {error}" for error in exc.errors)
            raise CommandError(
                _("%(path)s is not a valid notice file:") % {"path": path} + "\n" + lines
            ) from exc
        if dry_run:
            self.stdout.write(
                _("%(path)s is valid: the notice for %(year)s sets %(days)s dates. Nothing was changed.")
                % {"path": path, "year": notice.year, "days": len(notice.days)}
            )
            return
        try:
            result = calendar_store.load_notice(notice=notice, allow_example=allow_example)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        message = _(
            "Loaded the notice for %(year)s (%(number)s): %(rest)s rest days, %(makeup)s make-up working days."
        ) % {
            "year": result.year,
            "number": notice.number,
            "rest": result.rest_days,
            "makeup": result.makeup_working_days,
        }
        if result.replaced:
            message += " " + _("It replaced the notice loaded before.")
        self.stdout.write(self.style.SUCCESS(message))
        if notice.example:
            self.stdout.write(
                self.style.WARNING(_("This is an EXAMPLE file, not a real State Council notice."))
            )

    def _show(self, year: int, language: str) -> None:
        calendar = cal.get_default_calendar()
        try:
            days = calendar.exceptions(year)
        except cal.CalendarRangeError as exc:
            raise CommandError(str(exc)) from exc
        notice = calendar_store.notice_for(year) if year in calendar.notice_years else None
        if notice is not None:
            header = _("%(year)s: notice %(number)s of %(date)s (%(title)s)") % {
                "year": year,
                "number": notice.number or "-",
                "date": notice.published_on.isoformat() if notice.published_on else "-",
                "title": notice.title,
            }
        elif year in calendar.notice_years:
            header = _("%(year)s: notice loaded") % {"year": year}
        else:
            header = _(
                "%(year)s: PROVISIONAL: no State Council notice is loaded; weekends, the statutory holidays "
                "and their substitute days, no make-up working days."
            ) % {"year": year}
        self.stdout.write(header)
        names = _WEEKDAYS["en" if language.startswith("en") else "zh-hans"]
        labels = {cal.REST: _("rest"), cal.MAKEUP_WORKING: _("make-up working day")}
        for day in days:
            kind = labels.get(day.kind, day.kind)
            self.stdout.write(f"  {day.date.isoformat()}  {names[day.date.weekday()]}  {kind}  {day.holiday}")
        rest = sum(1 for d in days if d.kind == cal.REST)
        self.stdout.write(
            _("%(rest)s rest days (holidays and days off), %(makeup)s make-up working days.")
            % {"rest": rest, "makeup": len(days) - rest}
        )
