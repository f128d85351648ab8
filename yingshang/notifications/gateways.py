"""SMS gateways: the interface every vendor adapter implements, and two stand-ins.

The gateway in use is named by ``settings.YINGSHANG["SMS_GATEWAY"]`` (a dotted path to a class
whose constructor takes no arguments). A real vendor adapter (Alibaba Cloud SMS, Tencent Cloud
SMS, a carrier's CMPP gateway) implements :class:`SmsGateway` and is named there.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from yingshang.kernel import clock

logger = logging.getLogger(__name__)

DEFAULT_GATEWAY = "yingshang.notifications.gateways.FileSmsGateway"


class SmsError(Exception):
    """The gateway could not accept the message; the delivery is retried later."""


@runtime_checkable
class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Hand one text to the vendor; return the vendor's message id. Raise on failure."""
        ...


class FileSmsGateway:
    """The file-based stand-in for an SMS vendor: appends one JSON line per message to
    ``YINGSHANG["SMS_OUTBOX_DIR"]/sms-YYYYMMDD.jsonl`` (the day in UTC, wall clock).

    Nothing leaves the machine; developers, the demo and tests read the file.
    """

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory or str(settings.YINGSHANG["SMS_OUTBOX_DIR"]))

    def send(self, phone: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        at = clock.wall_now()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"sms-{at:%Y%m%d}.jsonl"
        line = json.dumps(
            {"id": message_id, "at": at.isoformat(), "phone": phone, "text": text}, ensure_ascii=False
        )
        # One write of one line with O_APPEND: concurrent workers never interleave lines.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)
        return message_id


class ConsoleSmsGateway:
    """Prints each message to standard output (for a developer watching the worker)."""

    def send(self, phone: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        sys.stdout.write(f"SMS {message_id} to {phone}: {text}\n")
        sys.stdout.flush()
        return message_id


def sms_gateway() -> SmsGateway:
    """The configured gateway (``YINGSHANG["SMS_GATEWAY"]``, the file stand-in by default)."""
    path = str(settings.YINGSHANG.get("SMS_GATEWAY") or DEFAULT_GATEWAY)
    gateway = import_string(path)()
    if not isinstance(gateway, SmsGateway):
        raise TypeError(f"{path} has no send(phone, text) method")
    return gateway
