from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from yingshang.kernel import clock
from yingshang.notifications import facade
from yingshang.notifications.contracts import MessageTemplate

SHANGHAI = ZoneInfo("Asia/Shanghai")

BID_RECEIVED = MessageTemplate(
    code="tests.bid_received",
    subject_zh="已收到您对“{{ tender }}”的投标",
    subject_en="Your bid for “{{ tender }}” was received",
    body_zh="尊敬的{{ name }}：\n您的投标已于 {{ at|date:'Y-m-d H:i' }} 收到，回执号 {{ receipt }}。",
    body_en="Dear {{ name }},\nyour bid was received at {{ at|date:'Y-m-d H:i' }}, receipt {{ receipt }}.",
    sms_zh="【营商】投标已收到，回执号 {{ receipt }}",
    sms_en="[Yingshang] Bid received, receipt {{ receipt }}",
    required=frozenset({"tender", "name", "at", "receipt"}),
)


@pytest.fixture(autouse=True)
def templates():
    facade.register_template(BID_RECEIVED)


@pytest.fixture
def sms_dir(settings, tmp_path) -> Path:
    directory = tmp_path / "sms"
    settings.YINGSHANG = {
        **settings.YINGSHANG,
        "SMS_OUTBOX_DIR": str(directory),
        "SMS_GATEWAY": "yingshang.notifications.gateways.FileSmsGateway",
        "QUIET_HOURS": "22:00-07:00",
    }
    return directory


def sms_lines(directory: Path) -> list[dict]:
    lines = []
    for path in sorted(directory.glob("sms-*.jsonl")):
        lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def daytime():
    """The domain clock standing at 10:00 Shanghai time, outside quiet hours."""
    fixed = clock.FixedClock(shanghai(2026, 11, 30, 10, 0))
    with clock.use(fixed):
        yield fixed


def make_user(
    username: str, *, language: str = "zh-hans", email: str | None = None, phone: str = "13800138000"
):
    return get_user_model().objects.create_user(
        username=username,
        password="x" * 12,
        email=f"{username}@example.cn" if email is None else email,
        phone=phone,
        preferred_language=language,
    )


def bid_context(**extra):
    return {
        "tender": "城南学校改扩建工程",
        "name": "华东建设有限公司",
        "at": shanghai(2026, 11, 30, 9, 30),
        "receipt": "R-2026-0001",
        **extra,
    }
