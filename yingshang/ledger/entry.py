"""The log entry: canonical JSON (RFC 8785) of one recorded fact. Pure.

An entry is the UTF-8 bytes of the RFC 8785 canonical JSON of::

    {"v": 1, "action": str, "actor": {...}, "subject": {"context", "type", "id"},
     "data": {...}, "visibility": {...}, "time": "YYYY-MM-DDTHH:MM:SS.ffffffZ",
     "salt": base64 of >= 16 random bytes, "request": {"id": str|null, "address": str|null}}

Its leaf hash is SHA-256(0x00 || entry). Values are converted by ``to_json_value``: decimals
become exact strings, times RFC 3339 UTC strings, bytes base64; floats are refused (money is
integer fen or Decimal). Format in full: docs/ledger-format.md.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import rfc8785

from yingshang.ledger.verifier import leaf_hash

__all__ = [
    "ENTRY_VERSION",
    "MAX_SAFE_INTEGER",
    "SALT_BYTES",
    "EntryError",
    "canonical_entry",
    "entry_leaf_hash",
    "format_time",
    "new_salt",
    "parse_entry",
    "to_json_value",
]

ENTRY_VERSION = 1
SALT_BYTES = 16
#: RFC 8785 numbers are IEEE 754 doubles: larger integers must travel as strings.
MAX_SAFE_INTEGER = 2**53 - 1
ENTRY_FIELDS = frozenset({"v", "action", "actor", "subject", "data", "visibility", "time", "salt", "request"})


class EntryError(ValueError):
    """Entry text that is not a version-1 ledger entry."""


def new_salt() -> bytes:
    """16 random bytes: makes two identical facts hash differently and hides guessable entries."""
    return os.urandom(SALT_BYTES)


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds and "Z": ``2026-11-30T08:53:31.000000Z``. Naive refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} refused: ledger times must carry a time zone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_json_value(value: Any) -> Any:
    """Convert a value for an entry: JSON types as they are, plus Decimal, datetime, date, bytes, tuple.

    Decimal -> exact string without exponent; datetime -> RFC 3339 UTC (naive refused); date ->
    ISO date; bytes -> base64; tuple/list -> list; mapping with str keys -> dict. Floats and any
    other type raise TypeError; integers beyond +-(2**53 - 1) raise ValueError (send a string).
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} is too large for canonical JSON; pass it as a string")
        return int(value)
    if isinstance(value, float):
        raise TypeError(
            f"float {value!r} refused in a ledger entry: money is integer fen or Decimal, never float; "
            "pass other measures as Decimal or a string"
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"Decimal {value} is not a finite number")
        return format(value, "f")
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"mapping key {key!r} refused: ledger entry keys must be strings")
            out[key] = to_json_value(item)
        return out
    raise TypeError(f"{type(value).__name__} value {value!r} cannot go into a ledger entry")


def canonical_entry(
    *,
    action: str,
    actor: Mapping[str, Any],
    subject: Mapping[str, Any],
    data: Mapping[str, Any],
    visibility: Mapping[str, Any],
    time: datetime,
    salt: bytes,
    request: Mapping[str, str | None],
) -> bytes:
    """The entry bytes: RFC 8785 canonical JSON (UTF-8) of the fact, its time, salt and request."""
    if not isinstance(action, str) or not action:
        raise ValueError("the entry's action must be a non-empty string")
    if not isinstance(salt, bytes) or len(salt) < SALT_BYTES:
        raise ValueError(f"the entry's salt must be at least {SALT_BYTES} random bytes")
    unknown = set(request) - {"id", "address"}
    if unknown:
        raise ValueError(f"unknown request field(s) {sorted(unknown)}: only id and address")
    value = {
        "v": ENTRY_VERSION,
        "action": action,
        "actor": to_json_value(actor),
        "subject": to_json_value(subject),
        "data": to_json_value(data),
        "visibility": to_json_value(visibility),
        "time": format_time(time),
        "salt": base64.b64encode(salt).decode("ascii"),
        "request": {"id": to_json_value(request.get("id")), "address": to_json_value(request.get("address"))},
    }
    return rfc8785.dumps(value)


def entry_leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry), the entry's RFC 9162 leaf hash."""
    return leaf_hash(entry)


def parse_entry(text: bytes | str) -> dict[str, Any]:
    """Parse entry text back into a dict; raise ``EntryError`` unless it is a version-1 entry."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EntryError(f"the entry is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise EntryError("the entry is not a JSON object")
    if value.get("v") != ENTRY_VERSION:
        raise EntryError(f"unknown entry version {value.get('v')!r}, expected {ENTRY_VERSION}")
    missing = ENTRY_FIELDS - set(value)
    if missing:
        raise EntryError(f"the entry lacks field(s) {sorted(missing)}")
    return value
