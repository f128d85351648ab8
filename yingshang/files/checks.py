"""System checks: the archive and upload limits in settings must make sense."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from yingshang.files.rules import PURPOSES, ArchiveLimits


@checks.register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    archive_limits: Any = settings.YINGSHANG.get("ARCHIVE_LIMITS", {})
    upload_limits: Any = settings.YINGSHANG.get("UPLOAD_LIMITS", {})
    try:
        ArchiveLimits(**archive_limits)
    except TypeError as exc:
        errors.append(checks.Error(f"YINGSHANG['ARCHIVE_LIMITS'] is not valid: {exc}", id="files.E001"))
    for purpose in upload_limits:
        if purpose not in PURPOSES:
            errors.append(
                checks.Warning(
                    f"YINGSHANG['UPLOAD_LIMITS'] names unknown purpose {purpose!r}", id="files.W001"
                )
            )
    return errors
