"""The evidence ledger's public face: the only module other contexts import (besides contracts).

Write side:

- ``record(*, action, actor, subject, data, visibility) -> EntryPromise``: inside the caller's
  transaction; see docs/ledger.md ("Recording a fact").
- ``register_action(code, zh, en)``, ``action_label(code) -> Text``, ``registered_actions()``.
- ``sequence_once(*, batch_size=5000) -> SequenceResult`` (the sequencer's pass).
- ``verifier_key() -> str``, ``origin() -> str``, ``latest_checkpoint_note() -> str | None``.

Read side for other contexts:

- ``indexes_of(entry_hashes) -> dict[str, int]``: the leaf index of each sequenced entry.
"""

from __future__ import annotations

from collections.abc import Iterable

from yingshang.ledger.actions import UnknownAction
from yingshang.ledger.actions import label as action_label
from yingshang.ledger.actions import register as register_action
from yingshang.ledger.actions import registered as registered_actions
from yingshang.ledger.contracts import JSON, Actor, EntryPromise, Subject, Visibility
from yingshang.ledger.models import Checkpoint, LogEntry
from yingshang.ledger.services import (
    LedgerUsageError,
    SequenceResult,
    origin,
    record,
    sequence_once,
    verifier_key,
)


def indexes_of(entry_hashes: Iterable[str]) -> dict[str, int]:
    """The leaf indexes of the entries (hex leaf hashes, as ``EntryPromise.entry_hash``) that the
    sequencer has already put in the log; an entry still in the outbox is absent."""
    wanted = {h.lower() for h in entry_hashes if h}
    if not wanted:
        return {}
    return dict(LogEntry.objects.filter(leaf_hash__in=wanted).values_list("leaf_hash", "index"))


def latest_checkpoint_note() -> str | None:
    """The latest signed checkpoint note, or None before the sequencer's first pass."""
    return Checkpoint.objects.order_by("-size").values_list("note", flat=True).first()


__all__ = [
    "JSON",
    "Actor",
    "EntryPromise",
    "LedgerUsageError",
    "SequenceResult",
    "Subject",
    "UnknownAction",
    "Visibility",
    "action_label",
    "indexes_of",
    "latest_checkpoint_note",
    "origin",
    "record",
    "register_action",
    "registered_actions",
    "sequence_once",
    "verifier_key",
]

# Read side (written by the read-side work) appends its imports below this line.
from yingshang.ledger.aggregates import Finding, audit, ledgered, record_change  # noqa: E402
from yingshang.ledger.publication import mark_event  # noqa: E402

__all__ += ["Finding", "audit", "ledgered", "mark_event", "record_change"]
