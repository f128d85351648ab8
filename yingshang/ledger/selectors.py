"""Reads of the evidence ledger: checkpoints, leaves, proofs, and entries filtered by visibility.

Proofs come from the stored subtree hashes (``TreeNode``, and ``LogEntry`` for level 0), O(log n)
rows each, through the pure
``merkle.*_from(fetch, ...)`` functions. Entry reads go through :func:`readable_entry` /
:func:`visible_entries`, which apply ``permissions.entries``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connection

from yingshang.kernel.policy import Principal
from yingshang.ledger import merkle
from yingshang.ledger.contracts import Subject
from yingshang.ledger.models import Checkpoint, Cosignature, LedgerEvent, LogEntry, Witness
from yingshang.ledger.permissions import Readable
from yingshang.ledger.permissions import entries as entry_policy

#: At most this many leaf hashes per ``leaves()`` call.
MAX_LEAVES = 1000


@dataclass(frozen=True)
class WitnessedCheckpoint:
    checkpoint: Checkpoint
    witnesses: list[Cosignature]


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()


def checkpoints_after(size: int, limit: int = 100) -> list[Checkpoint]:
    """Signed checkpoints of trees larger than ``size``, smallest first (a page of the live stream)."""
    return list(Checkpoint.objects.filter(size__gt=size).order_by("size")[:limit])


def checkpoint_of_size(size: int) -> Checkpoint | None:
    return Checkpoint.objects.filter(size=size).first()


def first_checkpoint_covering(index: int) -> Checkpoint | None:
    """The first (smallest) signed checkpoint whose tree includes leaf ``index`` (size > index)."""
    return Checkpoint.objects.filter(size__gt=index).order_by("size").first()


def cosignatures_of(checkpoint: Checkpoint) -> list[Cosignature]:
    return list(
        Cosignature.objects.filter(checkpoint=checkpoint).select_related("witness").order_by("witness__name")
    )


def recent_checkpoints(limit: int = 10) -> list[WitnessedCheckpoint]:
    checkpoints = list(Checkpoint.objects.order_by("-size")[:limit])
    by_checkpoint: dict[int, list[Cosignature]] = {cp.pk: [] for cp in checkpoints}
    for cosignature in Cosignature.objects.filter(checkpoint__in=checkpoints).select_related("witness"):
        by_checkpoint[cosignature.checkpoint_id].append(cosignature)
    return [WitnessedCheckpoint(cp, by_checkpoint[cp.pk]) for cp in checkpoints]


def tree_size() -> int:
    """The size of the latest signed checkpoint (0 when there is none)."""
    checkpoint = latest_checkpoint()
    return checkpoint.size if checkpoint is not None else 0


#: PostgreSQL: one statement text for every fetch, so the server plans it once per connection
#: (a prepared statement); level 0 (a leaf) comes from the log's own leaf hash.
_PG_FETCH = (
    "SELECT t.level, t.position, t.hash FROM unnest(%s::int[], %s::bigint[]) AS k(l, p) "
    "JOIN ledger_treenode t ON t.level = k.l AND t.position = k.p "
    "UNION ALL SELECT 0, e.index, decode(e.leaf_hash, 'hex') FROM ledger_logentry e "
    "WHERE e.index = ANY(%s::bigint[])"
)


def int_array(values: Sequence[int]) -> str:
    """A PostgreSQL array literal of integers, passed as text: one parameter type whatever the
    values (psycopg would dump a list as int2[], int4[] or int8[]) and far cheaper to adapt."""
    return "{" + ",".join(map(str, values)) + "}"


def fetch_nodes(keys: Sequence[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
    """Stored subtree hashes by (level, position): the ``fetch`` the merkle functions call.

    Level 0 (a leaf) comes from ``LogEntry.leaf_hash``, higher levels from ``TreeNode``; one
    query either way. Proofs are a hot read (bench/ledger.py holds them to a 1 ms p99), so this
    goes below the ORM to the driver: on PostgreSQL a prepared statement with server-side
    binding, on SQLite the ``sqlite3`` statement cache."""
    if not keys:
        return {}
    leaves = [position for level, position in keys if level == 0]
    inner = [(level, position) for level, position in keys if level]
    connection.ensure_connection()
    raw: Any = connection.connection
    if connection.vendor == "postgresql":
        with psycopg.Cursor(raw) as cursor:  # server-side binding, unlike Django's own cursors
            cursor.execute(
                _PG_FETCH,
                # array literals as text: one parameter type whatever the values, so one
                # prepared statement (lists of ints would be dumped as int2[], int4[] or int8[])
                [
                    int_array([level for level, _ in inner]),
                    int_array([p for _, p in inner]),
                    int_array(leaves),
                ],
                prepare=True,
            )
            rows = cursor.fetchall()
        return {(level, position): bytes(digest) for level, position, digest in rows}
    parts: list[str] = []
    params: list[int] = []
    if inner:
        parts.append(
            "SELECT level, position, hash FROM ledger_treenode WHERE "  # noqa: S608 (no input in the text)
            + " OR ".join(["(level = ? AND position = ?)"] * len(inner))
        )
        params += [value for key in inner for value in key]
    if leaves:
        parts.append(
            'SELECT 0, "index", leaf_hash FROM ledger_logentry WHERE "index" IN ('  # noqa: S608
            + ", ".join(["?"] * len(leaves))
            + ")"
        )
        params += leaves
    cursor = raw.cursor()
    try:
        rows = cursor.execute(" UNION ALL ".join(parts), params).fetchall()
    finally:
        cursor.close()
    return {
        (level, position): bytes.fromhex(digest) if isinstance(digest, str) else bytes(digest)
        for level, position, digest in rows
    }


def inclusion_proof(index: int, size: int) -> list[bytes]:
    return list(merkle.inclusion_proof_from(fetch_nodes, index, size))


def consistency_proof(first: int, second: int) -> list[bytes]:
    return list(merkle.consistency_proof_from(fetch_nodes, first, second))


def root_at(size: int) -> bytes:
    return merkle.root_from(fetch_nodes, size)


def leaf_hashes(start: int, end: int) -> list[str]:
    """Hex leaf hashes of indexes ``[start, end)``."""
    return list(
        LogEntry.objects.filter(index__gte=start, index__lt=end)
        .order_by("index")
        .values_list("leaf_hash", flat=True)
    )


def index_of_leaf(leaf_hash: str) -> int | None:
    return LogEntry.objects.filter(leaf_hash=leaf_hash.lower()).values_list("index", flat=True).first()


def entry_at(index: int) -> LogEntry | None:
    return LogEntry.objects.filter(index=index).first()


def is_published(event: str | None, subject: Mapping[str, Any] | None) -> bool:
    """Whether ``mark_event`` recorded ``event`` for ``subject`` (the stored JSON form)."""
    if not event or not subject:
        return False
    return LedgerEvent.objects.filter(
        event=event,
        subject_context=str(subject.get("context", "")),
        subject_type=str(subject.get("type", "")),
        subject_id=str(subject.get("id", "")),
    ).exists()


def readable(entry: LogEntry) -> Readable:
    visibility = entry.visibility or {}
    published = visibility.get("kind") == "public_from" and is_published(
        visibility.get("event"), visibility.get("event_subject")
    )
    return Readable(visibility=visibility, published=published)


def may_read(principal: Principal, entry: LogEntry) -> bool:
    return entry_policy.allows(principal, "view", readable(entry))


def readable_entry(principal: Principal, index: int) -> LogEntry | None:
    """The entry at ``index`` if ``principal`` may read it; ``None`` if absent or hidden alike."""
    entry = entry_at(index)
    if entry is None or not may_read(principal, entry):
        return None
    return entry


def visible_entries(principal: Principal, entries: Iterable[LogEntry]) -> list[LogEntry]:
    published: dict[tuple[str, str], bool] = {}
    out = []
    for entry in entries:
        visibility = entry.visibility or {}
        flag = False
        if visibility.get("kind") == "public_from":
            key = (
                str(visibility.get("event")),
                repr(sorted((visibility.get("event_subject") or {}).items())),
            )
            if key not in published:
                published[key] = is_published(visibility.get("event"), visibility.get("event_subject"))
            flag = published[key]
        if entry_policy.allows(principal, "view", Readable(visibility=visibility, published=flag)):
            out.append(entry)
    return out


def subject_entries(subject: Subject) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            subject_context=subject.context, subject_type=subject.type, subject_id=str(subject.id)
        ).order_by("index")
    )


def subject_history(principal: Principal, subject: Subject) -> list[LogEntry]:
    """The subject's sequenced entries that ``principal`` may read, oldest first."""
    return visible_entries(principal, subject_entries(subject))


def entries_at(indexes: Iterable[int]) -> list[LogEntry]:
    return list(LogEntry.objects.filter(index__in=list(indexes)).order_by("index"))


def witness(witness_id: int) -> Witness | None:
    return Witness.objects.filter(pk=witness_id).first()


def witnesses() -> list[Witness]:
    return list(Witness.objects.order_by("name"))


def last_cosigned(witness: Witness) -> Checkpoint | None:
    cosignature = (
        Cosignature.objects.filter(witness=witness).select_related("checkpoint").order_by("-checkpoint__size")
    )
    first = cosignature.first()
    return first.checkpoint if first is not None else None
