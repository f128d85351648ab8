from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Local storage and upload temp folder in a fresh directory for each test."""
    root = tmp_path / "media"
    spool = tmp_path / "spool"
    root.mkdir()
    spool.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    return tmp_path


def stored_objects(media: Path) -> list[Path]:
    return sorted(p for p in (media / "media").rglob("*") if p.is_file())


def leftovers(media: Path) -> list[Path]:
    return sorted((media / "spool").iterdir())
