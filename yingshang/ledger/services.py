"""Writes of the evidence ledger: ``record()`` into the outbox, the sequencer, checkpoint signing.

``record`` runs inside the caller's transaction: the fact and its evidence commit together or not
at all. The sequencer (:func:`sequence_once`, one process at a time, see ``locks``) moves
committed outbox rows into the insert-only log in the order it sees them, batch by batch; each
batch is one transaction that appends the leaves, stores the new complete subtree hashes, deletes
exactly the outbox rows it moved, proves the new tree consistent with the last checkpoint and
signs a new checkpoint. A crash anywhere rolls the batch back: nothing lost, nothing duplicated.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from yingshang.kernel import clock, keys, request_context
from yingshang.ledger import actions, entry, merkle, note
from yingshang.ledger.contracts import JSON, Actor, EntryPromise, Subject, Visibility
from yingshang.ledger.locks import sequencer_lock
from yingshang.ledger.models import Checkpoint, LogEntry, OutboxEntry, TreeNode
from yingshang.ledger.selectors import fetch_nodes

__all__ = [
    "LedgerUsageError",
    "SequenceResult",
    "SequencerError",
    "key_id",
    "origin",
    "record",
    "sequence_once",
    "sign_checkpoint",
    "verifier_key",
]

#: Bytes of random salt in every entry (so a leaf hash reveals nothing about the entry).
SALT_BYTES = 16
#: Rows per INSERT statement (well below SQLite's 32,766 bound variables).
INSERT_CHUNK = 500


class LedgerUsageError(RuntimeError):
    """``record()`` misused by a caller (a programming error, never the user's)."""


class SequencerError(RuntimeError):
    """The stored log disagrees with itself; the sequencer refuses to extend it."""


# --- keys and origin ---------------------------------------------------------------------------


def origin() -> str:
    """The log's origin line (``settings.YINGSHANG["LEDGER_ORIGIN"]``), also the key's name."""
    return str(settings.YINGSHANG["LEDGER_ORIGIN"])


@lru_cache(maxsize=1)
def _ensure_key() -> None:
    keys.ensure_signing_key()


def _private_key() -> Ed25519PrivateKey:
    """The platform signing key, created at first use (checked once per process)."""
    _ensure_key()
    return keys.platform_signing_key()


@lru_cache(maxsize=4)
def _signer_for(name: str, private_key: Ed25519PrivateKey) -> note.NoteSigner:
    return note.NoteSigner(name, private_key)


def _signer() -> note.NoteSigner:
    return _signer_for(origin(), _private_key())


def key_id() -> str:
    """The signed-note key id (4 bytes, hex) of the platform key under the log's origin."""
    return _signer().key_id.hex()


def verifier_key() -> str:
    """The platform key in signed-note verifier-key form (``<origin>+<key id>+<base64>``)."""
    return _signer().verifier_key


# --- record ------------------------------------------------------------------------------------


def record(
    *,
    action: str,
    actor: Actor,
    subject: Subject,
    data: Mapping[str, JSON],
    visibility: Visibility,
) -> EntryPromise:
    """Record a fact in the ledger's outbox, inside the caller's transaction; return the promise.

    Raises :class:`LedgerUsageError` outside ``transaction.atomic()``, ``actions.UnknownAction``
    for an unregistered code and ``TypeError`` for data that is not JSON (floats included).
    """
    if not connection.in_atomic_block:
        raise LedgerUsageError(
            "ledger.record() must run inside the caller's transaction.atomic() block, so the fact "
            f"and its evidence commit together ({action!r} was recorded outside one)"
        )
    actions.require(action)
    time = clock.now()
    context = request_context.current()
    text = entry.canonical_entry(
        action=action,
        actor=actor.as_json(),
        subject=subject.as_json(),
        data=data,
        visibility=visibility.as_json(),
        time=time,
        salt=secrets.token_bytes(SALT_BYTES),
        request={"id": context.request_id or None, "address": context.client_address or None},
    )
    leaf = merkle.leaf_hash(text)
    row = OutboxEntry.objects.create(entry=text.decode(), leaf_hash=leaf.hex(), recorded_at=time)
    signer = _signer()
    promise = note.promise_text(origin=signer.name, leaf_hash=leaf, time=entry.format_time(time))
    return EntryPromise(
        entry_hash=leaf.hex(),
        time=time,
        origin=signer.name,
        key_id=signer.key_id.hex(),
        signature=note.sign_promise(signer.private_key, promise),
        outbox_id=row.pk,
    )


# --- checkpoints -------------------------------------------------------------------------------


def sign_checkpoint(size: int, root: bytes) -> str:
    """The C2SP checkpoint note for (size, root), signed with the platform key."""
    signer = _signer()
    return note.sign_note(note.checkpoint_body(signer.name, size, root), [signer])


def _store_checkpoint(size: int, root: bytes) -> Checkpoint:
    return Checkpoint.objects.create(
        size=size,
        root=root.hex(),
        note=sign_checkpoint(size, root),
        key_id=key_id(),
        created_at=timezone.now(),
    )


# --- the sequencer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SequenceResult:
    """One sequencer pass: entries moved, the tree size after it, the last checkpoint signed.

    ``already_running`` is true (and nothing was done) when another sequencer holds the lock.
    """

    sequenced: int
    size: int
    checkpoint: Checkpoint | None
    already_running: bool = False


def _log_size() -> int:
    last = LogEntry.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


def _load_frontier(size: int) -> merkle.Frontier:
    try:
        return merkle.Frontier.load(fetch_nodes, size)
    except merkle.MissingNodeError as error:
        raise SequencerError(
            f"the stored tree of size {size} is damaged: {error}; run `yingshang ledger verify`"
        ) from error


def _copy_field(value: Any) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _insert(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows with few statements (COPY on PostgreSQL, multi-row INSERT on SQLite).

    Table and column names come from our models, never from input (hence the S608 waivers)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            data = "".join("\t".join(map(_copy_field, row)) + "\n" for row in rows).encode()
            with cursor.cursor.copy(f"COPY {quote(table)} ({column_list}) FROM STDIN") as copy:
                copy.write(data)
            return
        placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            params = [value for row in chunk for value in row]
            cursor.execute(
                f"INSERT INTO {quote(table)} ({column_list}) VALUES {', '.join([placeholder] * len(chunk))}",  # noqa: S608
                params,
            )


def _delete_outbox(ids: Sequence[int]) -> None:
    table = connection.ops.quote_name(OutboxEntry._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [list(ids)])  # noqa: S608
            return
        for start in range(0, len(ids), INSERT_CHUNK):
            chunk = ids[start : start + INSERT_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({marks})", list(chunk))  # noqa: S608


def _adapt_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _stored_time(rfc3339: str, vendor: str) -> str:
    """An entry's time (always ``YYYY-MM-DDTHH:MM:SS.ffffffZ``) as the database column takes it."""
    if vendor == "postgresql":
        return rfc3339
    return f"{rfc3339[:10]} {rfc3339[11:26]}"  # Django's SQLite form: naive UTC


def _log_row(index: int, leaf_hex: str, text: str, sequenced_at: Any, vendor: str = "") -> tuple[Any, ...]:
    parsed = json.loads(text)
    actor = parsed["actor"]
    subject = parsed["subject"]
    return (
        index,
        leaf_hex,
        text,
        parsed["action"],
        subject["context"],
        subject["type"],
        subject["id"],
        actor.get("user_id"),
        actor.get("organisation_id"),
        json.dumps(parsed["visibility"], ensure_ascii=False, separators=(",", ":")),
        _stored_time(parsed["time"], vendor or connection.vendor),
        sequenced_at,
    )


LOG_COLUMNS = (
    "index",
    "leaf_hash",
    "entry",
    "action",
    "subject_context",
    "subject_type",
    "subject_id",
    "actor_user_id",
    "actor_organisation_id",
    "visibility",
    "time",
    "sequenced_at",
)
NODE_COLUMNS = ("level", "position", "hash")


def _sequence_batch(batch_size: int) -> tuple[int, int, Checkpoint | None]:
    """One transaction: move up to ``batch_size`` committed outbox rows into the log and sign."""
    with transaction.atomic():
        previous = Checkpoint.objects.order_by("-size").first()
        size = _log_size()
        if (previous.size if previous else 0) != size:
            raise SequencerError(
                f"the log holds {size} entries but the latest checkpoint is of size "
                f"{previous.size if previous else 0}; run `yingshang ledger verify`"
            )
        frontier = _load_frontier(size)
        if previous is not None and frontier.root().hex() != previous.root:
            raise SequencerError(
                f"the stored tree's root at size {size} differs from the signed checkpoint's; "
                "run `yingshang ledger verify`"
            )
        pending = list(
            OutboxEntry.objects.order_by("id").values_list("id", "entry", "leaf_hash")[:batch_size]
        )
        if not pending:
            if previous is None:
                return 0, 0, _store_checkpoint(0, frontier.root())
            return 0, size, None
        sequenced_at = _adapt_time(timezone.now())
        vendor = connection.vendor
        log_rows: list[tuple[Any, ...]] = []
        node_rows: list[tuple[int, int, bytes]] = []
        for offset, (_id, text, leaf_hex) in enumerate(pending):
            leaf = merkle.leaf_hash(text.encode())
            if leaf.hex() != leaf_hex:
                raise SequencerError(f"outbox row {_id}: its leaf hash does not match its text")
            log_rows.append(_log_row(size + offset, leaf_hex, text, sequenced_at, vendor))
            node_rows.extend(frontier.append(leaf))
        _insert(LogEntry._meta.db_table, LOG_COLUMNS, log_rows)
        _insert(TreeNode._meta.db_table, NODE_COLUMNS, node_rows)
        _delete_outbox([row[0] for row in pending])
        new_size, new_root = frontier.size, frontier.root()
        if previous is not None and previous.size > 0:
            proof = merkle.consistency_proof_from(fetch_nodes, previous.size, new_size)
            try:
                merkle.verify_consistency(
                    previous.size, new_size, bytes.fromhex(previous.root), new_root, proof
                )
            except merkle.ProofError as error:
                raise SequencerError(
                    f"the tree of size {new_size} is not consistent with checkpoint {previous.size}: {error}"
                ) from error
        return len(pending), new_size, _store_checkpoint(new_size, new_root)


def sequence_once(
    *,
    batch_size: int = 5000,
    progress: Callable[[int, Checkpoint], None] | None = None,
) -> SequenceResult:
    """Sequence every committed outbox row, ``batch_size`` per transaction, then return.

    Exactly one sequencer runs at a time: if another holds the lock, returns at once with
    ``already_running=True``. ``progress(sequenced_in_batch, checkpoint)`` is called after each
    committed batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    with sequencer_lock() as acquired:
        if not acquired:
            return SequenceResult(0, _log_size(), None, already_running=True)
        total, size, last = 0, 0, None
        while True:
            moved, size, checkpoint = _sequence_batch(batch_size)
            if checkpoint is not None:
                last = checkpoint
                if progress is not None and moved:
                    progress(moved, checkpoint)
            total += moved
            if moved < batch_size:
                return SequenceResult(total, size, last)
