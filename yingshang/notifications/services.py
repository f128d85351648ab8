"""Writes of the notifications context: the outbox, delivery, the inbox's read marks.

``notify`` runs inside the caller's business transaction: it renders each message in its
recipient's language and writes the notification, its in-app inbox item and one delivery row
per other channel. Nothing is sent there. On commit, the ``deliver_due`` task is enqueued; a
rolled-back business change leaves no notification, no task, nothing sent.

The worker (``deliver_due`` -> :func:`deliver_pending`) sends each due delivery after winning a
compare-and-set from ``pending`` to ``sending``; only the winner sends, so a delivery is sent
once even when the task runs twice. Failures wait with exponential back-off and are retried up
to ``rules.MAX_ATTEMPTS`` times. Times of the outbox (``deliver_after``, ``next_attempt_at``,
``delivered_at``) are domain time; the claim lease is wall-clock.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.template import Context, Engine
from django.utils import timezone, translation
from django_tasks import task

from yingshang.kernel import clock
from yingshang.kernel.errors import InvalidInput, NotFound
from yingshang.kernel.policy import Principal
from yingshang.kernel.text import Text
from yingshang.notifications import registry, rules, states
from yingshang.notifications.contracts import CHANNELS, EMAIL, INBOX, SMS, MessageTemplate
from yingshang.notifications.gateways import sms_gateway
from yingshang.notifications.models import Delivery, InboxItem, Notification
from yingshang.notifications.permissions import policy

logger = logging.getLogger(__name__)

LANGUAGES = ("zh-hans", "en")
#: A claimed delivery whose worker has not reported back after this long is tried again.
CLAIM_LEASE = timedelta(minutes=10)
#: Pending deliveries not picked up after this long get a fresh delivery task.
REQUEUE_AFTER = timedelta(minutes=1)
MAX_ERROR_LENGTH = 2000

_engine = Engine(
    autoescape=False,
    libraries={
        "i18n": "django.templatetags.i18n",
        "l10n": "django.templatetags.l10n",
        "tz": "django.templatetags.tz",
    },
)


# --- templates -------------------------------------------------------------------------------


def _parts(template: MessageTemplate, language: str) -> tuple[str, str, str]:
    if language == "en":
        return template.subject_en, template.body_en, template.sms_en
    return template.subject_zh, template.body_zh, template.sms_zh


def check_template(template: MessageTemplate) -> None:
    """Compile every part in both languages; ``TemplateSyntaxError`` names the broken one."""
    for language in LANGUAGES:
        for part in _parts(template, language):
            _engine.from_string(part)


def render(template: MessageTemplate, context: Mapping[str, Any], language: str) -> tuple[str, str, str]:
    """(subject, body, SMS text) as plain text in ``language``; times shown in Shanghai time."""
    subject_src, body_src, sms_src = _parts(template, language)
    with translation.override(language), timezone.override(rules.SHANGHAI):
        values = Context(dict(context), autoescape=False)
        subject = str(_engine.from_string(subject_src).render(values))
        body = str(_engine.from_string(body_src).render(values))
        sms = str(_engine.from_string(sms_src).render(values)) if sms_src else ""
    subject = " ".join(subject.split())[:255]  # one line: it becomes an e-mail header
    sms = " ".join((sms or subject).split())[:500]
    return subject, body.strip(), sms


def _language(user: Any) -> str:
    preferred = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    return preferred if preferred in LANGUAGES else "zh-hans"


def _json(context: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(dict(context), cls=DjangoJSONEncoder, default=str))
    return result


def quiet_hours() -> rules.QuietHours | None:
    spec = settings.YINGSHANG.get("QUIET_HOURS")
    return rules.parse_quiet_hours(str(spec) if spec is not None else None)


# --- the outbox ------------------------------------------------------------------------------


def _unique(ids: Sequence[int]) -> list[int]:
    seen: dict[int, None] = {}
    for value in ids:
        seen.setdefault(int(value), None)
    return list(seen)


def notify(
    *,
    recipients: Sequence[int],
    template: str,
    context: Mapping[str, Any],
    urgent: bool = False,
    channels: Sequence[str] = CHANNELS,
) -> list[int]:
    """Write one notification per recipient into the outbox, in the caller's transaction.

    Returns the notification ids, one per distinct recipient, in the order given. Raises
    ``LookupError`` for an unknown template, ``ValueError`` for missing context keys or unknown
    channels (programming errors) and ``InvalidInput`` for recipients that do not exist.
    """
    message = registry.get(template)
    missing = sorted(message.required - set(context))
    if missing:
        raise ValueError(f"template {template!r} needs context keys {missing}")
    unknown = sorted(set(channels) - set(CHANNELS))
    if unknown:
        raise ValueError(f"unknown channels {unknown}; known: {list(CHANNELS)}")
    wanted = _unique(recipients)
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=wanted)}
    absent = [pk for pk in wanted if pk not in users]
    if absent:
        raise InvalidInput(
            Text(
                zh="通知的接收人不存在：%(ids)s。",
                en="These recipients of a notification do not exist: %(ids)s.",
                params={"ids": ", ".join(map(str, absent))},
            ),
            code="unknown_recipient",
        )
    now = clock.now()
    quiet = None if urgent else quiet_hours()
    quiet_end = quiet.until(now) if quiet is not None else None
    deliver_after = quiet_end or now
    stored_context = _json(context)
    ids: list[int] = []
    outgoing = False
    with transaction.atomic():
        for pk in wanted:
            user = users[pk]
            language = _language(user)
            subject, body, sms_text = render(message, context, language)
            notification = Notification.objects.create(
                recipient=user,
                template=template,
                context=stored_context,
                language=language,
                subject=subject,
                body=body,
                sms_text=sms_text,
                urgent=urgent,
                created_at=now,
            )
            ids.append(notification.pk)
            deliveries = []
            for channel in dict.fromkeys(channels):
                if channel == INBOX:
                    # The in-app inbox is part of the outbox itself: it appears with the
                    # commit, quiet hours or not (it makes no sound).
                    InboxItem.objects.create(recipient=user, notification=notification, created_at=now)
                    deliveries.append(
                        Delivery(
                            notification=notification,
                            channel=INBOX,
                            status=states.DELIVERED,
                            deliver_after=now,
                            next_attempt_at=now,
                            attempts=1,
                            address=f"user:{pk}",
                            delivered_at=now,
                        )
                    )
                    continue
                due = quiet_end is None
                outgoing = outgoing or due
                deliveries.append(
                    Delivery(
                        notification=notification,
                        channel=channel,
                        status=states.PENDING if due else states.WAITING,
                        deliver_after=deliver_after,
                        next_attempt_at=deliver_after,
                        queued_at=clock.wall_now() if due else None,
                    )
                )
            Delivery.objects.bulk_create(deliveries)
        if outgoing:
            transaction.on_commit(enqueue_delivery)
    return ids


# --- delivery --------------------------------------------------------------------------------


@task()
def deliver_due() -> int:
    """The worker's task: send every delivery that is due now."""
    return deliver_pending()


def enqueue_delivery() -> None:
    """Queue one ``deliver_due`` run. A failure is logged, not raised: the chronograph's
    ``release_due`` queues again for deliveries left pending."""
    try:
        deliver_due.enqueue()
    except Exception:
        logger.exception("could not enqueue notification delivery; the chronograph will retry")


class _Skip(Exception):
    """The channel cannot reach this recipient (no address, inactive account)."""


def _from_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "yingshang.invalid"


def _send(delivery: Delivery) -> tuple[str, str]:
    """Send on the delivery's channel; returns (address, external id)."""
    notification = delivery.notification
    user = notification.recipient
    if not user.is_active:
        raise _Skip("the recipient's account is inactive")
    if delivery.channel == EMAIL:
        if not user.email:
            raise _Skip("the recipient has no e-mail address")
        message_id = make_msgid(domain=_from_domain())
        EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"Message-ID": message_id},
        ).send(fail_silently=False)
        return user.email, message_id
    if delivery.channel == SMS:
        phone = getattr(user, "phone", "")
        if not phone:
            raise _Skip("the recipient has no mobile phone number")
        return phone, str(sms_gateway().send(phone, notification.sms_text))
    raise ValueError(f"channel {delivery.channel!r} is not delivered by the worker")


def _finish(pk: int, claim: str, **changes: Any) -> None:
    moved = Delivery.objects.filter(pk=pk, status=states.SENDING, claim=claim).update(claim="", **changes)
    if not moved:
        logger.warning("delivery %s was reclaimed before its attempt finished", pk)


def attempt(pk: int) -> bool:
    """Try one pending delivery; True if this call sent it."""
    claim = uuid.uuid4().hex
    won = Delivery.objects.filter(pk=pk, status=states.PENDING).update(
        status=states.SENDING, claim=claim, claimed_at=clock.wall_now(), attempts=F("attempts") + 1
    )
    if not won:
        return False  # another worker has it, or had it
    delivery = Delivery.objects.select_related("notification__recipient").get(pk=pk)
    try:
        address, external_id = _send(delivery)
    except _Skip as skip:
        _finish(pk, claim, status=states.SKIPPED, last_error=str(skip))
        return False
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        if delivery.attempts >= rules.MAX_ATTEMPTS:
            logger.error("delivery %s failed for good after %s attempts: %s", pk, delivery.attempts, error)
            _finish(pk, claim, status=states.FAILED, last_error=error)
        else:
            retry_at = clock.now() + rules.retry_delay(delivery.attempts)
            logger.warning(
                "delivery %s failed (attempt %s), retry at %s: %s", pk, delivery.attempts, retry_at, error
            )
            _finish(pk, claim, status=states.WAITING, next_attempt_at=retry_at, last_error=error)
        return False
    _finish(
        pk,
        claim,
        status=states.DELIVERED,
        delivered_at=clock.now(),
        address=address,
        external_id=external_id,
        last_error="",
    )
    return True


def _promote(now: datetime) -> int:
    """Deliveries whose wait is over (quiet hours, retry back-off) become pending."""
    return Delivery.objects.filter(status=states.WAITING, next_attempt_at__lte=now).update(
        status=states.PENDING, queued_at=clock.wall_now()
    )


def deliver_pending(*, limit: int = 100) -> int:
    """Send up to ``limit`` due deliveries now; returns how many were sent."""
    now = clock.now()
    _promote(now)
    due = list(
        Delivery.objects.filter(status=states.PENDING)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if attempt(pk))


def release(*, now: datetime) -> int:
    """Make due deliveries pending; returns how many need a delivery task now.

    Counts deliveries whose wait ended at ``now`` (domain time), claims whose worker vanished
    for longer than :data:`CLAIM_LEASE` (tried again: such a message may go out twice, the
    only case where it can), and pending deliveries nobody picked up for
    :data:`REQUEUE_AFTER` (their task was lost).
    """
    wall = clock.wall_now()
    Delivery.objects.filter(status=states.SENDING, claimed_at__lt=wall - CLAIM_LEASE).update(
        status=states.WAITING,
        next_attempt_at=now,
        claim="",
        last_error="the worker stopped during this attempt; the message may have been sent",
    )
    promoted = _promote(now)
    stale = Delivery.objects.filter(status=states.PENDING, queued_at__lt=wall - REQUEUE_AFTER).update(
        queued_at=wall
    )
    return promoted + stale


# --- the inbox -------------------------------------------------------------------------------


def mark_read(*, principal: Principal, item_id: int) -> InboxItem:
    """Mark one of the principal's inbox items read (again: no change). ``NotFound`` otherwise."""
    policy.require(principal, "mark_read")
    with transaction.atomic():
        InboxItem.objects.filter(pk=item_id, recipient_id=principal.user_id, read_at__isnull=True).update(
            read_at=clock.now()
        )
        item = (
            InboxItem.objects.select_related("notification")
            .filter(pk=item_id, recipient_id=principal.user_id)
            .first()
        )
    if item is None:
        raise NotFound()
    return item


def mark_all_read(*, principal: Principal) -> int:
    """Mark every unread item of the principal's inbox read; returns how many."""
    policy.require(principal, "mark_read")
    with transaction.atomic():
        return InboxItem.objects.filter(recipient_id=principal.user_id, read_at__isnull=True).update(
            read_at=clock.now()
        )
