"""``yingshang setup``: everything `make run` does before serving, each step idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from yingshang.kernel.keys import ensure_document_signer, ensure_signing_key


class Command(BaseCommand):
    help = "Create keys, migrate the database, collect static files and load the demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")

    def handle(self, *args: Any, no_demo: bool, **options: Any) -> None:
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        info = ensure_signing_key()
        self.stdout.write(f"Platform signing key {info.key_id} at {info.path}")
        signer = ensure_document_signer()
        self.stdout.write(
            f"Document-signing certificate {signer.fingerprint[:16]} at {signer.paths.certificate}"
            + (" (new)" if signer.created else "")
        )
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        call_command("compilemessages", ignore_patterns=[".venv", "node_modules"], verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo:
            call_command("demo", verbosity=options.get("verbosity", 1))
