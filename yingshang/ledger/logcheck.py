"""``yingshang ledger verify``: recompute the whole log from its entries and check everything stored.

Streams the log in index order (memory independent of its size) and checks, stopping at the
first failure (:class:`LogCheckError`, whose message names it):

- indexes run 0, 1, 2, ... with no gap;
- each entry's leaf hash is SHA-256(0x00 || its text) and matches the stored leaf hash;
- every complete subtree hash the recomputation yields is stored, with the same value, and no
  other node is stored;
- every checkpoint's note carries a valid platform signature, and its origin, size and root
  match the row and the recomputed root at that size;
- each checkpoint is consistent with the one before it (a consistency proof built from the
  stored nodes verifies);
- no checkpoint claims more entries than the log holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from yingshang.ledger import merkle, verifier
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

    def summary(self) -> str:
        return (
            f"ok: {self.entries} entries, {self.nodes} tree nodes and {self.checkpoints} checkpoints "
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

    def __init__(self, vkey: str, origin: str) -> None:
        self.key = verifier.parse_verifier_key(vkey)
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
            body = verifier.parse_checkpoint(verifier.verify_note(note, [self.key]).body)
        except verifier.NoteError as error:
            raise LogCheckError(f"{where}: {error}") from error
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


def verify_log(*, vkey: str, origin: str) -> LogCheckReport:
    """Recompute and check the whole stored log; raise :class:`LogCheckError` at the first failure."""
    checkpoints = _Checkpoints(vkey, origin)
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
        pending.extend(frontier.append(leaf))
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
        entries=frontier.size, nodes=nodes, checkpoints=checkpoints.count, root=frontier.root()
    )
