"""``yingshang files gc``: remove stored content that no document refers to."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yingshang.files import services


class Command(BaseCommand):
    help = "Maintenance of stored documents. Subcommands: gc."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        gc = sub.add_parser("gc", help="Remove stored content that no document refers to.")
        gc.add_argument(
            "--grace-minutes",
            type=int,
            default=60,
            help="Keep unreferenced objects younger than this; an upload may still be committing (default 60).",
        )
        gc.add_argument(
            "--dry-run", action="store_true", help="Report what would be removed; remove nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "gc":
            raise CommandError(f"unknown action {options['action']!r}")
        if options["grace_minutes"] < 0:
            raise CommandError("--grace-minutes must be zero or more")
        report = services.collect_garbage(
            grace=timedelta(minutes=options["grace_minutes"]), dry_run=options["dry_run"]
        )
        verb = "would remove" if options["dry_run"] else "removed"
        self.stdout.write(
            f"{verb} {report.blobs_removed} unreferenced content rows and "
            f"{report.orphans_removed} orphan objects; kept {report.orphans_too_young} too young to judge"
        )
