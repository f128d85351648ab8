"""System checks: the quiet hours and the SMS gateway named in settings must work."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from yingshang.notifications.gateways import sms_gateway
from yingshang.notifications.rules import parse_quiet_hours


@checks.register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    spec = settings.YINGSHANG.get("QUIET_HOURS")
    try:
        parse_quiet_hours(str(spec) if spec is not None else None)
    except ValueError as exc:
        errors.append(
            checks.Error(
                str(exc), hint="Set YINGSHANG_QUIET_HOURS like 22:00-07:00, or off.", id="notifications.E001"
            )
        )
    try:
        sms_gateway()
    except (ImportError, TypeError, AttributeError) as exc:
        errors.append(
            checks.Error(
                f"SMS gateway {settings.YINGSHANG.get('SMS_GATEWAY')!r} cannot be used: {exc}",
                hint="Name a class with send(phone, text) -> str in YINGSHANG_SMS_GATEWAY.",
                id="notifications.E002",
            )
        )
    return errors
