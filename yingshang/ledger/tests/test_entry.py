"""The entry format: RFC 8785 canonical JSON of a fact, its time, salt and request."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from yingshang.ledger.contracts import Actor, Subject, Visibility
from yingshang.ledger.entry import (
    EntryError,
    canonical_entry,
    entry_leaf_hash,
    format_time,
    new_salt,
    parse_entry,
    to_json_value,
)
from yingshang.ledger.verifier import leaf_hash

SALT = bytes(range(16))
TIME = datetime(2026, 11, 30, 8, 53, 31, 123456, tzinfo=UTC)


def make(**overrides: Any) -> bytes:
    fields: dict[str, Any] = {
        "action": "trading.bid.submitted",
        "actor": Actor.user(42, organisation_id=7, role="bidder").as_json(),
        "subject": Subject("trading", "bid", "1234").as_json(),
        "data": {"amount_fen": 123_456_789, "deposit": Decimal("1000.50"), "项目名称": "某某市政道路工程"},
        "visibility": Visibility.parties(user_ids=[42], organisation_ids=[7]).as_json(),
        "time": TIME,
        "salt": SALT,
        "request": {"id": "req-1", "address": "203.0.113.9"},
    }
    fields.update(overrides)
    return canonical_entry(**fields)


def test_same_input_same_bytes_and_exact_layout():
    entry = make()
    assert entry == make()
    assert (
        entry
        == (
            '{"action":"trading.bid.submitted","actor":{"kind":"user","organisation_id":7,"role":"bidder","user_id":42},'
            '"data":{"amount_fen":123456789,"deposit":"1000.50","项目名称":"某某市政道路工程"},'
            '"request":{"address":"203.0.113.9","id":"req-1"},"salt":"AAECAwQFBgcICQoLDA0ODw==",'
            '"subject":{"context":"trading","id":"1234","type":"bid"},"time":"2026-11-30T08:53:31.123456Z","v":1,'
            '"visibility":{"kind":"parties","organisation_ids":[7],"user_ids":[42]}}'
        ).encode()
    )


def test_key_order_is_irrelevant():
    data = {"b": 1, "a": {"y": 2, "x": 3}}
    reordered = {"a": {"x": 3, "y": 2}, "b": 1}
    assert make(data=data) == make(data=reordered)


def test_chinese_text_is_kept_as_utf8():
    entry = make()
    assert "某某市政道路工程".encode() in entry
    assert b"\\u" not in entry
    assert parse_entry(entry)["data"]["项目名称"] == "某某市政道路工程"


def test_the_salt_makes_identical_facts_hash_differently():
    one, two = make(salt=new_salt()), make(salt=new_salt())
    assert one != two
    assert entry_leaf_hash(one) != entry_leaf_hash(two)
    assert entry_leaf_hash(one) == leaf_hash(one)
    with pytest.raises(ValueError, match="at least 16"):
        make(salt=b"short")


def test_times_are_utc_with_z_and_microseconds():
    shanghai = timezone(timedelta(hours=8))
    local = datetime(2026, 11, 30, 16, 53, 31, tzinfo=shanghai)
    assert format_time(local) == "2026-11-30T08:53:31.000000Z"
    assert parse_entry(make(time=local))["time"] == "2026-11-30T08:53:31.000000Z"
    with pytest.raises(ValueError, match="naive"):
        make(time=datetime(2026, 11, 30, 8, 0))


def test_value_conversions():
    assert to_json_value(Decimal("1E+3")) == "1000"
    assert to_json_value(Decimal("0.000001")) == "0.000001"
    assert to_json_value(Decimal("12.30")) == "12.30"
    assert to_json_value(date(2026, 2, 17)) == "2026-02-17"
    assert to_json_value(b"\x00\xff") == "AP8="
    assert to_json_value((1, [2, "三"], None, True)) == [1, [2, "三"], None, True]
    assert to_json_value({"at": TIME}) == {"at": "2026-11-30T08:53:31.123456Z"}


@pytest.mark.parametrize(
    ("value", "error", "reason"),
    [
        (1.5, TypeError, "money is integer fen or Decimal, never float"),
        ({"nested": [0.1]}, TypeError, "never float"),
        ({1: "x"}, TypeError, "keys must be strings"),
        ({1, 2}, TypeError, "cannot go into a ledger entry"),
        (object(), TypeError, "cannot go into a ledger entry"),
        (Decimal("NaN"), ValueError, "not a finite"),
        (2**53, ValueError, "too large"),
        (datetime(2026, 1, 1), ValueError, "naive"),
    ],
)
def test_refused_values(value, error, reason):
    with pytest.raises(error, match=reason):
        to_json_value(value)
    with pytest.raises(error, match=reason):
        make(data={"v": value})


def test_request_fields_and_action_are_checked():
    assert parse_entry(make(request={}))["request"] == {"id": None, "address": None}
    with pytest.raises(ValueError, match="only id and address"):
        make(request={"id": "r", "user_agent": "x"})
    with pytest.raises(ValueError, match="action"):
        make(action="")


def test_parse_entry_round_trip_and_refusals():
    parsed = parse_entry(make().decode())
    assert parsed["v"] == 1
    assert parsed["subject"] == {"context": "trading", "type": "bid", "id": "1234"}
    with pytest.raises(EntryError, match="not JSON"):
        parse_entry(b"{truncated")
    with pytest.raises(EntryError, match="not a JSON object"):
        parse_entry("[]")
    with pytest.raises(EntryError, match="version"):
        parse_entry(json.dumps({"v": 2}))
    with pytest.raises(EntryError, match="lacks field"):
        parse_entry(json.dumps({"v": 1, "action": "x"}))
