"""``yingshang ledger verify``: recompute the whole log from its entries and check everything stored.

Streams the log in index order (memory independent of its size) and checks, stopping at the
first failure (:class:`LogCheckError`, whose message names it):

- indexes run 0, 1, 2, ... with no gap;
- each entry's leaf hash is SHA-256(0x00 || its text) and matches the stored leaf hash;
- every complete subtree hash the recomputation yields is stored, with the same value, and no
  other node is stored;
- every checkpoint's note carries a valid signature by the key of its period in the key history
  (``keyring``: after a rotation, older checkpoints by the older keys), and its origin, size and
  root match the row and the recomputed root at that size;
- each checkpoint is consistent with the one before it (a consistency proof built from the
  stored nodes verifies);
- no checkpoint claims more entries than the log holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from yingshang.ledger import merkle, verifier
from yingshang.ledger.keyring import KeyPeriod, key_for_size
from yingshang.ledger.models import Checkpoint, LogEntry, TreeNode
from yingshang.ledger.selectors import fetch_nodes

#: Entries read per query.
CHUNK = 5000


class LogCheckError(Exception):
    """The first disagreement found, named in the message."""


@dataclass(frozen=True)
class LogCheckReport:
    entries: int
    nodes: int
    checkpoints: int
    root: bytes
    sm2_signed: int = 0

    def summary(self) -> str:
        sm2 = f" ({self.sm2_signed} with a valid SM2 signature)" if self.sm2_signed else ""
        return (
            f"ok: {self.entries} entries, {self.nodes} tree nodes and {self.checkpoints} checkpoints{sm2} "
            f"verified; root {self.root.hex()}"
        )


def _entries() -> Iterator[tuple[int, str, str]]:
    start = 0
    while True:
        rows = list(
            LogEntry.objects.filter(index__gte=start)
            .order_by("index")
            .values_list("index", "leaf_hash", "entry")[:CHUNK]
        )
        yield from rows
        if len(rows) < CHUNK:
            return
        start = rows[-1][0] + 1


def _check_nodes(computed: list[tuple[int, int, bytes]]) -> None:
    """Compare computed nodes with the stored ones (one range query per level)."""
    by_level: dict[int, dict[int, bytes]] = {}
    for level, position, digest in computed:
        by_level.setdefault(level, {})[position] = digest
    for level, wanted in sorted(by_level.items()):
        stored = {
            position: bytes(digest)
            for position, digest in TreeNode.objects.filter(
                level=level, position__gte=min(wanted), position__lte=max(wanted)
            ).values_list("position", "hash")
        }
        for position, digest in sorted(wanted.items()):
            if position not in stored:
                raise LogCheckError(f"tree node (level {level}, position {position}) is missing")
            if stored[position] != digest:
                raise LogCheckError(
                    f"tree node (level {level}, position {position}) does not match the leaves under it"
                )


class _Checkpoints:
    """Checkpoints in size order, each checked when the recomputation reaches its size."""

    def __init__(
        self, periods: Sequence[KeyPeriod], origin: str, extra: Sequence[verifier.Verifier] = ()
    ) -> None:
        self.periods = list(periods)
        self.extra = list(extra)
        self.extra_signed = 0
        self.keys = {p.key_id: verifier.parse_verifier_key(p.verifier_key) for p in self.periods}
        self.origin = origin
        self.rows = (
            Checkpoint.objects.order_by("size").values_list("size", "root", "note").iterator(chunk_size=1000)
        )
        self.count = 0
        self.previous: tuple[int, bytes] | None = None
        self.next = next(self.rows, None)

    def reached(self, size: int, root: bytes) -> None:
        while self.next is not None and self.next[0] == size:
            self._check(size, root, self.next[1], self.next[2])
            self.next = next(self.rows, None)

    def _check(self, size: int, root: bytes, root_hex: str, note: str) -> None:
        where = f"checkpoint {size}"
        try:
            verified = verifier.verify_note(note, [*self.keys.values(), *self.extra])
            body = verifier.parse_checkpoint(verified.body)
        except verifier.NoteError as error:
            raise LogCheckError(f"{where}: {error}") from error
        signed_by = {s.key_id.hex() for s in verified.signatures if s.key_id.hex() in self.keys}
        extra_ids = {v.key_id for v in self.extra}
        if any(s.key_id in extra_ids for s in verified.signatures):
            self.extra_signed += 1  # verify_note raised if such a signature were invalid
        period = key_for_size(self.periods, size)
        if period is None or period.key_id not in signed_by:
            by = ", ".join(sorted(signed_by))
            due = period.describe() if period is not None else "no key of the history"
            raise LogCheckError(f"{where}: signed by key {by}, but its tree size belongs to {due}")
        if body.origin != self.origin:
            raise LogCheckError(f"{where}: its origin {body.origin!r} is not the log's {self.origin!r}")
        if body.size != size or body.root.hex() != root_hex:
            raise LogCheckError(f"{where}: the signed note disagrees with the stored size or root")
        if body.root != root:
            raise LogCheckError(f"{where}: its root does not match the root recomputed from the entries")
        if self.previous is not None and self.previous[0] > 0:
            old_size, old_root = self.previous
            try:
                proof = merkle.consistency_proof_from(fetch_nodes, old_size, size)
                merkle.verify_consistency(old_size, size, old_root, root, proof)
            except (merkle.ProofError, merkle.MissingNodeError) as error:
                raise LogCheckError(f"{where}: not consistent with checkpoint {old_size}: {error}") from error
        self.previous = (size, root)
        self.count += 1


def verify_log(
    *,
    vkey: str,
    origin: str,
    history: Sequence[KeyPeriod] | None = None,
    extra: Sequence[verifier.Verifier] = (),
) -> LogCheckReport:
    """Recompute and check the whole stored log; raise :class:`LogCheckError` at the first failure.

    ``history``: the checkpoint keys with their tree-size periods (``keyring.history``); without
    it every checkpoint must be signed by ``vkey``. ``extra``: further keys whose signatures are
    checked wherever a checkpoint carries one (the SM2 key when the operator configured one);
    a checkpoint signed before such a key existed simply has no line of it."""
    periods = list(history) if history else [KeyPeriod(verifier_key=vkey, first_size=0, last_size=None)]
    checkpoints = _Checkpoints(periods, origin, extra)
    frontier = merkle.Frontier.empty()
    checkpoints.reached(0, frontier.root())
    pending: list[tuple[int, int, bytes]] = []
    nodes = 0
    for index, leaf_hex, text in _entries():
        if index != frontier.size:
            raise LogCheckError(f"entry {frontier.size} is missing (the next stored entry is {index})")
        leaf = merkle.leaf_hash(text.encode())
        if leaf.hex() != leaf_hex:
            raise LogCheckError(f"entry {index}: leaf hash does not match its text")
        pending.extend(frontier.append(leaf)[1:])  # level 0 is the entry's own leaf hash, checked above
        if (checkpoints.next is not None and checkpoints.next[0] == frontier.size) or len(
            pending
        ) >= 2 * CHUNK:
            _check_nodes(pending)
            nodes += len(pending)
            pending = []
            checkpoints.reached(frontier.size, frontier.root())
    _check_nodes(pending)
    nodes += len(pending)
    if checkpoints.next is not None:
        raise LogCheckError(
            f"checkpoint {checkpoints.next[0]}: claims more entries than the log's {frontier.size}"
        )
    stored = TreeNode.objects.count()
    if stored != nodes:
        raise LogCheckError(f"{stored - nodes} tree nodes are stored that no entry accounts for")
    return LogCheckReport(
        entries=frontier.size,
        nodes=nodes,
        checkpoints=checkpoints.count,
        root=frontier.root(),
        sm2_signed=checkpoints.extra_signed,
    )
