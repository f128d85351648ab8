"""Publish-on-commit events, against a real database (real commits and rollbacks)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, dataclass
from typing import ClassVar

import pytest
from django.db import transaction

from yingshang.kernel import events
from yingshang.kernel.events import DomainEvent
from yingshang.kernel.models import ClockSetting


@dataclass(frozen=True)
class ThingHappened(DomainEvent):
    name: ClassVar[str] = "kernel.test.thing_happened"
    thing_id: int


@dataclass(frozen=True)
class GroupedEvent(DomainEvent, abstract=True):
    pass


@dataclass(frozen=True)
class OtherThingHappened(GroupedEvent):
    name: ClassVar[str] = "kernel.test.other_thing_happened"
    label: str


@pytest.fixture
def received() -> Iterator[list[tuple[str, DomainEvent]]]:
    """Subscribe recording handlers for the test's duration."""
    seen: list[tuple[str, DomainEvent]] = []

    def first(event: DomainEvent) -> None:
        seen.append(("first", event))

    def second(event: DomainEvent) -> None:
        seen.append(("second", event))

    def grouped(event: DomainEvent) -> None:
        seen.append(("grouped", event))

    events.subscribe(ThingHappened, first)
    events.subscribe(ThingHappened, second)
    events.subscribe(GroupedEvent, grouped)
    yield seen
    events.unsubscribe(ThingHappened, first)
    events.unsubscribe(ThingHappened, second)
    events.unsubscribe(GroupedEvent, grouped)


def _write_row() -> None:
    # Any real write, so the transaction has something to commit or roll back.
    ClockSetting.objects.create(updated_at="2026-11-30T00:00:00Z", reason="event test")


@pytest.mark.django_db(transaction=True)
def test_delivered_only_after_commit(received: list[tuple[str, DomainEvent]]) -> None:
    event = ThingHappened(thing_id=7)
    with transaction.atomic():
        _write_row()
        events.publish(event)
        assert received == []  # not yet: the transaction is still open
    assert received == [("first", event), ("second", event)]
    assert ClockSetting.objects.filter(reason="event test").exists()


@pytest.mark.django_db(transaction=True)
def test_not_delivered_after_rollback(received: list[tuple[str, DomainEvent]]) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        _write_row()
        events.publish(ThingHappened(thing_id=7))
        raise Boom
    assert received == []
    assert not ClockSetting.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_savepoint_rollback_drops_only_its_own_events(received: list[tuple[str, DomainEvent]]) -> None:
    kept, dropped = ThingHappened(thing_id=1), ThingHappened(thing_id=2)
    with transaction.atomic():
        events.publish(kept)
        try:
            with transaction.atomic():
                events.publish(dropped)
                raise RuntimeError("inner failure")
        except RuntimeError:
            pass
    assert [event for _handler, event in received] == [kept, kept]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_delivered_at_once(received: list[tuple[str, DomainEvent]]) -> None:
    event = ThingHappened(thing_id=3)
    events.publish(event)
    assert received == [("first", event), ("second", event)]


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_is_logged_and_isolated(
    received: list[tuple[str, DomainEvent]], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: DomainEvent) -> None:
        raise RuntimeError("handler bug")

    def after(event: DomainEvent) -> None:
        received.append(("after", event))

    events.subscribe(ThingHappened, broken)
    events.subscribe(ThingHappened, after)  # runs after the broken one
    try:
        event = ThingHappened(thing_id=9)
        with caplog.at_level(logging.ERROR, logger="yingshang.kernel.events"), transaction.atomic():
            _write_row()
            events.publish(event)
    finally:
        events.unsubscribe(ThingHappened, broken)
        events.unsubscribe(ThingHappened, after)
    assert received == [("first", event), ("second", event), ("after", event)]
    assert ClockSetting.objects.filter(reason="event test").exists()  # the commit stands
    assert "broken failed for event kernel.test.thing_happened" in caplog.text
    assert "handler bug" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_subscribing_to_a_base_reaches_its_subclasses(received: list[tuple[str, DomainEvent]]) -> None:
    event = OtherThingHappened(label="x")
    events.publish(event)
    assert received == [("grouped", event)]


def test_decorator_form_and_idempotent_subscription() -> None:
    @events.subscribe(ThingHappened)
    def handler(event: ThingHappened) -> None:
        pass

    try:
        events.subscribe(ThingHappened, handler)
        assert events.handlers_for(ThingHappened).count(handler) == 1
    finally:
        events.unsubscribe(ThingHappened, handler)
    assert handler not in events.handlers_for(ThingHappened)


def test_events_are_frozen_and_carry_their_payload() -> None:
    event = ThingHappened(thing_id=5)
    with pytest.raises(FrozenInstanceError):
        event.thing_id = 6  # type: ignore[misc]
    assert event.payload() == {"thing_id": 5}
    assert event.name == "kernel.test.thing_happened"


def test_an_event_class_must_have_a_name() -> None:
    with pytest.raises(TypeError, match="must set the class attribute name"):

        @dataclass(frozen=True)
        class Nameless(DomainEvent):
            value: int


def test_only_events_can_be_published_or_subscribed() -> None:
    with pytest.raises(TypeError):
        events.publish("kernel.test.thing_happened")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        events.subscribe(str, print)  # type: ignore[type-var]
