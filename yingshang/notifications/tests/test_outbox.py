"""The outbox in the business transaction, delivery by the real worker, quiet hours, retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.template import TemplateSyntaxError
from django_tasks_db.models import DBTaskResult

from yingshang.kernel import clock
from yingshang.kernel.errors import InvalidInput
from yingshang.notifications import facade, services, states, tasks
from yingshang.notifications.contracts import MessageTemplate
from yingshang.notifications.models import Delivery, InboxItem, Notification
from yingshang.notifications.rules import MAX_ATTEMPTS
from yingshang.notifications.tests.conftest import bid_context, make_user, shanghai, sms_lines

pytestmark = pytest.mark.django_db

DELIVER_TASK = "yingshang.notifications.services.deliver_due"


class Rollback(Exception):
    pass


def queued_tasks() -> int:
    return DBTaskResult.objects.filter(task_path=DELIVER_TASK, status="READY").count()


def run_worker() -> None:
    """The real database worker, once through the queue (it reconnects, so the tests that use
    it run with real transactions)."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_business_change_sends_nothing(sms_dir, daytime):
    user = make_user("bidder")
    with pytest.raises(Rollback), transaction.atomic():
        facade.notify(recipients=[user.pk], template="tests.bid_received", context=bid_context())
        assert Notification.objects.count() == 1  # written inside the transaction...
        raise Rollback
    assert Notification.objects.count() == 0  # ...and gone with it
    assert InboxItem.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert queued_tasks() == 0
    run_worker()
    assert facade.deliver_pending() == 0
    assert mail.outbox == []
    assert sms_lines(sms_dir) == []


@pytest.mark.django_db(transaction=True)
def test_committed_messages_are_delivered_by_the_worker(sms_dir, daytime):
    user = make_user("bidder", phone="13912345678")
    with transaction.atomic():
        [notification_id] = facade.notify(
            recipients=[user.pk], template="tests.bid_received", context=bid_context()
        )
        assert queued_tasks() == 0  # nothing is enqueued before the commit
    # The in-app inbox item is there with the commit; e-mail and SMS wait for the worker.
    assert [entry.subject for entry in facade.inbox(_principal(user))] == [
        "已收到您对“城南学校改扩建工程”的投标"
    ]
    assert mail.outbox == []
    assert queued_tasks() == 1

    run_worker()

    assert queued_tasks() == 0
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["bidder@example.cn"]
    assert email.subject == "已收到您对“城南学校改扩建工程”的投标"
    assert "尊敬的华东建设有限公司" in email.body
    assert "2026-11-30 09:30" in email.body  # shown in Shanghai time
    [sms] = sms_lines(sms_dir)
    assert sms["phone"] == "13912345678"
    assert sms["text"] == "【营商】投标已收到，回执号 R-2026-0001"
    records = facade.deliveries_of(notification_id)
    assert {c: r.status for c, r in records.items()} == {
        "inbox": "delivered",
        "email": "delivered",
        "sms": "delivered",
    }
    assert records["email"].attempts == 1
    assert records["email"].external_id == email.extra_headers["Message-ID"]
    assert records["sms"].external_id == sms["id"]
    assert records["email"].delivered_at == daytime.now()


def _principal(user):
    from yingshang.kernel.policy import Principal

    return Principal(user_id=user.pk, organisation_id=None, roles=frozenset())


def test_each_recipient_reads_it_in_their_own_language(sms_dir, daytime):
    chinese = make_user("zh_user")
    english = make_user("en_user", language="en")
    ids = facade.notify(
        recipients=[chinese.pk, english.pk, chinese.pk], template="tests.bid_received", context=bid_context()
    )
    assert len(ids) == 2  # one per distinct recipient
    facade.deliver_pending()
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert by_recipient["en_user@example.cn"].subject == "Your bid for “城南学校改扩建工程” was received"
    assert by_recipient["en_user@example.cn"].body.startswith("Dear 华东建设有限公司,")
    assert by_recipient["zh_user@example.cn"].subject.startswith("已收到")
    texts = {line["text"] for line in sms_lines(sms_dir)}
    assert texts == {
        "【营商】投标已收到，回执号 R-2026-0001",
        "[Yingshang] Bid received, receipt R-2026-0001",
    }
    assert Notification.objects.get(pk=ids[1]).language == "en"


def test_text_is_not_html_escaped(sms_dir, daytime):
    user = make_user("bidder")
    facade.notify(
        recipients=[user.pk], template="tests.bid_received", context=bid_context(tender="A & B <一标段>")
    )
    facade.deliver_pending()
    assert mail.outbox[0].subject == "已收到您对“A & B <一标段>”的投标"


def test_delivery_is_idempotent_when_the_task_runs_twice(sms_dir, daytime):
    user = make_user("bidder")
    facade.notify(recipients=[user.pk], template="tests.bid_received", context=bid_context())
    deliver = tasks.deliver_due
    assert deliver.call() == 2
    assert deliver.call() == 0
    pending = list(Delivery.objects.exclude(channel="inbox").values_list("pk", flat=True))
    # Even a worker holding a stale list of due rows cannot send again: the compare-and-set fails.
    assert [services.attempt(pk) for pk in pending] == [False, False]
    assert len(mail.outbox) == 1
    assert len(sms_lines(sms_dir)) == 1


@pytest.mark.django_db(transaction=True)
def test_non_urgent_messages_wait_for_the_end_of_quiet_hours(sms_dir):
    night = clock.FixedClock(shanghai(2026, 11, 30, 23, 30))
    user = make_user("bidder")
    with clock.use(night):
        with transaction.atomic():
            [nid] = facade.notify(recipients=[user.pk], template="tests.bid_received", context=bid_context())
        assert queued_tasks() == 0  # nothing due: no task
        assert facade.unread_count(user.pk) == 1  # the inbox shows it at once
        records = facade.deliveries_of(nid)
        assert records["email"].status == states.WAITING
        assert records["email"].deliver_after == shanghai(2026, 12, 1, 7, 0)
        assert facade.deliver_pending() == 0
        assert tasks.release_due(night.advance(timedelta(hours=7, minutes=29))) == 0  # 06:59
        assert facade.deliver_pending() == 0
        assert mail.outbox == []

        seven = night.advance(timedelta(minutes=1))
        assert tasks.release_due(seven) == 2
        assert queued_tasks() == 1  # the chronograph job enqueued the worker
        run_worker()
    assert len(mail.outbox) == 1
    assert len(sms_lines(sms_dir)) == 1
    assert facade.deliveries_of(nid)["sms"].delivered_at == shanghai(2026, 12, 1, 7, 0)


def test_urgent_messages_go_at_once_even_at_night(sms_dir):
    user = make_user("bidder")
    with clock.use(clock.FixedClock(shanghai(2026, 11, 30, 2, 0))):
        facade.notify(recipients=[user.pk], template="tests.bid_received", context=bid_context(), urgent=True)
        assert facade.deliver_pending() == 2
    assert len(mail.outbox) == 1


def test_no_quiet_hours_when_switched_off(sms_dir, settings):
    settings.YINGSHANG = {**settings.YINGSHANG, "QUIET_HOURS": "off"}
    user = make_user("bidder")
    with clock.use(clock.FixedClock(shanghai(2026, 11, 30, 23, 0))):
        facade.notify(recipients=[user.pk], template="tests.bid_received", context=bid_context())
        assert facade.deliver_pending() == 2


class BrokenGateway:
    """An SMS vendor that is down (a stand-in for the outside world, not for our code)."""

    def send(self, phone: str, text: str) -> str:
        raise ConnectionError("vendor unreachable")


def test_failures_are_recorded_and_retried_with_back_off(sms_dir, settings, daytime):
    settings.YINGSHANG = {**settings.YINGSHANG, "SMS_GATEWAY": f"{__name__}.BrokenGateway"}
    user = make_user("bidder")
    [nid] = facade.notify(
        recipients=[user.pk], template="tests.bid_received", context=bid_context(), channels=["sms"]
    )
    assert facade.deliver_pending() == 0
    record = facade.deliveries_of(nid)["sms"]
    assert record.status == states.WAITING
    assert record.attempts == 1
    assert record.last_error == "ConnectionError: vendor unreachable"
    assert Delivery.objects.get(notification_id=nid).next_attempt_at == daytime.now() + timedelta(minutes=1)

    daytime.advance(timedelta(seconds=59))
    assert facade.deliver_pending() == 0
    assert facade.deliveries_of(nid)["sms"].attempts == 1  # not yet due

    daytime.advance(timedelta(seconds=1))
    settings.YINGSHANG = {
        **settings.YINGSHANG,
        "SMS_GATEWAY": "yingshang.notifications.gateways.FileSmsGateway",
    }
    assert facade.deliver_pending() == 1
    record = facade.deliveries_of(nid)["sms"]
    assert (record.status, record.attempts, record.last_error) == (states.DELIVERED, 2, "")
    assert len(sms_lines(sms_dir)) == 1


def test_a_delivery_is_given_up_after_the_last_attempt(sms_dir, settings, daytime):
    settings.YINGSHANG = {**settings.YINGSHANG, "SMS_GATEWAY": f"{__name__}.BrokenGateway"}
    user = make_user("bidder")
    [nid] = facade.notify(
        recipients=[user.pk], template="tests.bid_received", context=bid_context(), channels=["sms"]
    )
    for _ in range(MAX_ATTEMPTS):
        facade.deliver_pending()
        daytime.advance(timedelta(hours=2))
    record = facade.deliveries_of(nid)["sms"]
    assert (record.status, record.attempts) == (states.FAILED, MAX_ATTEMPTS)
    assert facade.deliver_pending() == 0
    assert facade.deliveries_of(nid)["sms"].attempts == MAX_ATTEMPTS


def test_channels_without_an_address_are_skipped(sms_dir, daytime):
    user = make_user("no_contact", email="", phone="")
    [nid] = facade.notify(recipients=[user.pk], template="tests.bid_received", context=bid_context())
    assert facade.deliver_pending() == 0
    records = facade.deliveries_of(nid)
    assert records["email"].status == states.SKIPPED
    assert records["email"].last_error == "the recipient has no e-mail address"
    assert records["sms"].status == states.SKIPPED
    assert records["inbox"].status == states.DELIVERED


def test_a_lost_worker_claim_is_released_after_the_lease(sms_dir, daytime):
    user = make_user("bidder")
    [nid] = facade.notify(
        recipients=[user.pk], template="tests.bid_received", context=bid_context(), channels=["email"]
    )
    # A worker claimed it and died before reporting back, long ago.
    Delivery.objects.filter(notification_id=nid).update(
        status=states.SENDING,
        claim="dead",
        claimed_at=clock.wall_now() - services.CLAIM_LEASE - timedelta(seconds=1),
    )
    assert facade.deliver_pending() == 0
    assert tasks.release_due(daytime.now()) == 1
    assert facade.deliver_pending() == 1
    assert len(mail.outbox) == 1


def test_pending_deliveries_whose_task_was_lost_are_queued_again(sms_dir, daytime):
    user = make_user("bidder")
    facade.notify(
        recipients=[user.pk], template="tests.bid_received", context=bid_context(), channels=["email"]
    )
    assert tasks.release_due(daytime.now()) == 0  # just queued: leave it to its task
    Delivery.objects.update(queued_at=clock.wall_now() - services.REQUEUE_AFTER - timedelta(seconds=1))
    assert tasks.release_due(daytime.now()) == 1
    assert queued_tasks() == 1


def test_bad_calls_are_refused_before_anything_is_written(sms_dir, daytime):
    user = make_user("bidder")
    with pytest.raises(InvalidInput) as caught:
        facade.notify(recipients=[user.pk, 987654], template="tests.bid_received", context=bid_context())
    assert "987654" in str(caught.value)
    with pytest.raises(LookupError):
        facade.notify(recipients=[user.pk], template="tests.nope", context={})
    with pytest.raises(ValueError, match="receipt"):
        facade.notify(
            recipients=[user.pk],
            template="tests.bid_received",
            context={"tender": "x", "name": "y", "at": "z"},
        )
    with pytest.raises(ValueError, match="fax"):
        facade.notify(
            recipients=[user.pk], template="tests.bid_received", context=bid_context(), channels=["fax"]
        )
    assert Notification.objects.count() == 0


def test_broken_templates_are_refused_at_registration():
    broken = MessageTemplate(
        code="tests.broken", subject_zh="{% if %}", subject_en="x", body_zh="x", body_en="x"
    )
    with pytest.raises(TemplateSyntaxError):
        facade.register_template(broken)


def test_every_registered_template_renders_in_both_languages():
    from yingshang.notifications import registry

    for template in registry.TEMPLATES.values():
        context = {key: "值" for key in template.required}
        for language in ("zh-hans", "en"):
            subject, body, sms = services.render(template, context, language)
            assert subject and body and sms, (template.code, language)
