"""What the notifications context hands to others: message templates and channel names. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

INBOX = "inbox"
EMAIL = "email"
SMS = "sms"
CHANNELS: tuple[str, ...] = (INBOX, EMAIL, SMS)


@dataclass(frozen=True)
class MessageTemplate:
    """One kind of message in Chinese and English, in Django template syntax.

    Rendered as plain text (autoescape off) in the recipient's preferred language, with the
    caller's context. ``sms_zh``/``sms_en`` are the short texts for SMS; when empty, the
    subject is sent. ``required`` names the context keys the caller must give.
    """

    code: str
    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str
    sms_zh: str = ""
    sms_en: str = ""
    required: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class InboxEntry:
    """One message in a user's in-app inbox."""

    id: int
    notification_id: int
    template: str
    subject: str
    body: str
    urgent: bool
    created_at: datetime
    read_at: datetime | None

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


@dataclass(frozen=True)
class DeliveryRecord:
    """How one notification fared on one channel."""

    channel: str
    status: str
    attempts: int
    last_error: str
    address: str
    external_id: str
    deliver_after: datetime
    delivered_at: datetime | None
