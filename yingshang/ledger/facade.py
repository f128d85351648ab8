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

# Beacons for draws (docs/draws.md): the first signed checkpoint that includes an entry.
from yingshang.ledger import keyring as _keyring  # noqa: E402
from yingshang.ledger import selectors as _selectors  # noqa: E402
from yingshang.ledger.contracts import Beacon  # noqa: E402


def _signing_key(key_id: str, size: int) -> str:
    """The verifier key that signed a checkpoint (as ``bundles.checkpoint_key``: after a key
    rotation, the key of the history whose id the checkpoint records)."""
    current = verifier_key()
    try:
        periods = _keyring.history(origin=origin(), current=current)
    except _keyring.KeyHistoryError:
        return current
    by_id = [p for p in periods if p.key_id == key_id]
    if by_id:
        return by_id[-1].verifier_key
    period = _keyring.key_for_size(periods, size)
    return period.verifier_key if period is not None else current


def inclusion_in(entry_hash: str, tree_size: int) -> tuple[int, tuple[bytes, ...]] | None:
    """The leaf index of a sequenced entry (hex leaf hash) and its RFC 9162 inclusion proof in
    the tree of ``tree_size`` (a signed checkpoint's size); None if the entry is not in that tree."""
    index = _selectors.index_of_leaf(entry_hash)
    if index is None or index >= tree_size:
        return None
    return index, tuple(_selectors.inclusion_proof(index, tree_size))


def beacon_for(entry_hash: str) -> Beacon | None:
    """The first signed checkpoint whose tree includes the entry (hex leaf hash, as
    ``EntryPromise.entry_hash``): its size, root hash, signed note, the entry's index and
    inclusion proof, and the verifier key that signed it. None while the entry is still in the
    outbox or the sequencer has not yet signed a checkpoint covering it."""
    index = _selectors.index_of_leaf(entry_hash)
    if index is None:
        return None
    checkpoint = _selectors.first_checkpoint_covering(index)
    if checkpoint is None:
        return None
    return Beacon(
        size=checkpoint.size,
        root=bytes.fromhex(checkpoint.root),
        note=checkpoint.note,
        entry_index=index,
        proof=tuple(_selectors.inclusion_proof(index, checkpoint.size)),
        verifier_key=_signing_key(checkpoint.key_id, checkpoint.size),
        created_at=checkpoint.created_at,
    )


__all__ += ["Beacon", "beacon_for", "inclusion_in"]
