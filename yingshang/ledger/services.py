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
from functools import lru_cache, partial
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from yingshang.kernel import broadcast, clock, request_context
from yingshang.ledger import actions, entry, keyring, merkle, note
from yingshang.ledger.contracts import JSON, Actor, EntryPromise, Subject, Visibility
from yingshang.ledger.locks import sequencer_lock
from yingshang.ledger.models import Checkpoint, LogEntry, OutboxEntry, TreeNode
from yingshang.ledger.selectors import fetch_nodes, int_array

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


def _private_key() -> Ed25519PrivateKey:
    """The platform signing key, created at first use, reloaded after ``ledger rotate-key``."""
    return keyring.signing_key()


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
    row = OutboxEntry.objects.create(
        entry=text.decode(), leaf_hash=leaf.hex(), recorded_at=time, **outbox_columns(text)
    )
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
    """The C2SP checkpoint note for (size, root), signed with the platform key, then with the
    operator's SM2 key when one is configured (``keyring.extra_signers``)."""
    signer = _signer()
    signers: list[note.NoteSigner | note.SM2NoteSigner] = [signer, *keyring.extra_signers(signer.name)]
    return note.sign_note(note.checkpoint_body(signer.name, size, root), signers)


#: The broadcast channel of new checkpoints (``GET /ledger/checkpoints/stream``, docs/streams.md).
CHECKPOINT_CHANNEL = "ledger.checkpoints"


def _store_checkpoint(size: int, root: bytes) -> Checkpoint:
    # Wake the live streams once the batch has committed (the stream reads the checkpoint table).
    transaction.on_commit(partial(broadcast.publish, CHECKPOINT_CHANNEL, size))
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
            if columns == NODE_COLUMNS:  # the hot path: (int, int, bytes) rows need no escaping
                data = "".join(
                    f"{level}\t{position}\t\\\\x{digest.hex()}\n" for level, position, digest in rows
                )
            else:
                data = "".join("\t".join(map(_copy_field, row)) + "\n" for row in rows)
            with cursor.cursor.copy(f"COPY {quote(table)} ({column_list}) FROM STDIN") as copy:
                copy.write(data.encode())
            return
        placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            params = [value for row in chunk for value in row]
            cursor.execute(
                f"INSERT INTO {quote(table)} ({column_list}) VALUES {', '.join([placeholder] * len(chunk))}",  # noqa: S608
                params,
            )


def _adapt_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def outbox_columns(text: bytes | str) -> dict[str, Any]:
    """The columns the log indexes, read from a canonical entry (``record()`` passes its own
    entry; bulk loaders such as the benchmark use it too, so every outbox row is complete)."""
    parsed = json.loads(text)
    actor, subject = parsed["actor"], parsed["subject"]
    return {
        "action": parsed["action"],
        "subject_context": subject["context"],
        "subject_type": subject["type"],
        "subject_id": subject["id"],
        "actor_user_id": actor.get("user_id"),
        "actor_organisation_id": actor.get("organisation_id"),
        "visibility": parsed["visibility"],
    }


#: Log columns filled from the outbox row of the same name (``time`` from ``recorded_at``, the
#: instant ``record()`` wrote into the entry).
MOVED_COLUMNS = (
    "leaf_hash",
    "entry",
    "action",
    "subject_context",
    "subject_type",
    "subject_id",
    "actor_user_id",
    "actor_organisation_id",
    "visibility",
)
LOG_COLUMNS = ("index", *MOVED_COLUMNS, "time", "sequenced_at")
#: Stored subtree hashes: levels 1 and up (level 0 is ``LogEntry.leaf_hash``).
NODE_COLUMNS = ("level", "position", "hash")


def _move_outbox_rows(ids: Sequence[int], first_index: int, sequenced_at: Any) -> int:
    """Copy the outbox rows ``ids`` into the log inside the database, the i-th id becoming leaf
    ``first_index + i``, and delete them from the outbox; return how many rows were moved.

    On PostgreSQL the database also recomputes every leaf hash from its entry (``sha256``), so a
    row whose text was changed after ``record()`` is never sequenced; on SQLite the caller checks
    the hashes (see ``_check_leaves``)."""
    quote = connection.ops.quote_name
    log, outbox = quote(LogEntry._meta.db_table), quote(OutboxEntry._meta.db_table)
    targets = ", ".join(quote(c) for c in LOG_COLUMNS)
    sources = ", ".join(f"o.{quote(c)}" for c in MOVED_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {log} ({targets}) "  # noqa: S608 (names from our models)
                f"SELECT %s + row_number() OVER (ORDER BY o.id) - 1, {sources}, o.recorded_at, %s "
                f"FROM {outbox} o WHERE o.id = ANY(%s::bigint[]) "  # an index scan of the batch only
                "AND o.leaf_hash = encode(sha256('\\x00'::bytea || convert_to(o.entry, 'UTF8')), 'hex') "
                "ORDER BY o.id",
                [first_index, sequenced_at, int_array(ids)],
            )
            moved = cursor.rowcount
            if moved != len(ids):
                raise _name_bad_leaf(ids)
            cursor.execute(f"DELETE FROM {outbox} WHERE id = ANY(%s::bigint[])", [int_array(ids)])  # noqa: S608
            return moved
        # SQLite: the sequencer holds the write lock from BEGIN IMMEDIATE, so the rows with ids up
        # to the batch's last are exactly the batch; row_number() follows the id order.
        last = ids[-1]
        cursor.execute(
            f"INSERT INTO {log} ({targets}) "  # noqa: S608
            f"SELECT %s + row_number() OVER (ORDER BY o.id) - 1, {sources}, o.recorded_at, %s "
            f"FROM {outbox} o WHERE o.id <= %s ORDER BY o.id",
            [first_index, sequenced_at, last],
        )
        moved = cursor.rowcount
        cursor.execute(f"DELETE FROM {outbox} WHERE id <= %s", [last])  # noqa: S608
        return moved


def _check_leaves(pending: Sequence[tuple[int, str, str | None]]) -> None:
    """SQLite: recompute each leaf hash from its entry (PostgreSQL does it in the INSERT)."""
    for row_id, leaf_hex, text in pending:
        if text is None or merkle.leaf_hash(text.encode()).hex() != leaf_hex:
            raise SequencerError(f"outbox row {row_id}: its leaf hash does not match its text")


def _name_bad_leaf(ids: Sequence[int]) -> SequencerError:
    """The error for a batch PostgreSQL refused to move whole: name the first bad row."""
    for row_id, leaf_hex, text in (
        OutboxEntry.objects.filter(id__in=ids).order_by("id").values_list("id", "leaf_hash", "entry")
    ):
        if merkle.leaf_hash(text.encode()).hex() != leaf_hex:
            return SequencerError(f"outbox row {row_id}: its leaf hash does not match its text")
    return SequencerError("the outbox changed while a batch was being sequenced")


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
        vendor = connection.vendor
        fields = ("id", "leaf_hash") if vendor == "postgresql" else ("id", "leaf_hash", "entry")
        pending = list(OutboxEntry.objects.order_by("id").values_list(*fields)[:batch_size])
        if not pending:
            if previous is None:
                return 0, 0, _store_checkpoint(0, frontier.root())
            return 0, size, None
        if vendor != "postgresql":
            _check_leaves(pending)
        node_rows = frontier.extend_inner([bytes.fromhex(row[1]) for row in pending])
        ids = [row[0] for row in pending]
        moved = _move_outbox_rows(ids, size, _adapt_time(timezone.now()))
        if moved != len(pending):
            raise _name_bad_leaf(ids)
        _insert(TreeNode._meta.db_table, NODE_COLUMNS, node_rows)
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
