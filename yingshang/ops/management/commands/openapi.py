"""``yingshang openapi``: print the API's OpenAPI document, or write the committed snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

SNAPSHOT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def current_schema() -> dict[str, Any]:
    from config.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), default=str))


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Print the OpenAPI document; with --write, update the snapshot in docs/openapi.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="Write docs/openapi.json.")

    def handle(self, *args: Any, write: bool, **options: Any) -> None:
        text = render(current_schema())
        if write:
            SNAPSHOT.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {SNAPSHOT}")
        else:
            self.stdout.write(text, ending="")
