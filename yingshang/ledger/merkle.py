"""RFC 9162 section 2 Merkle trees, in memory and over a store of complete subtrees. Pure.

Verification lives in ``verifier.py`` (the standalone file supervisors copy) and is
re-exported here: ``leaf_hash``, ``node_hash``, ``verify_inclusion``, ``verify_consistency``,
``ProofError``, ``EMPTY_ROOT``.

In memory (lists of leaf hashes): ``root``, ``inclusion_proof``, ``consistency_proof``
(RFC 9162 2.1.1, 2.1.3.1, 2.1.4.1).

Stored: node ``(level, position)`` is the hash of leaves ``[position * 2**level,
(position + 1) * 2**level)`` and exists (never changes) once those leaves exist. ``Frontier``
appends leaves keeping only the O(log n) right edge and returns every node that came into
existence; ``inclusion_proof_from``, ``consistency_proof_from`` and ``root_from`` build proofs
from stored nodes with one batched ``fetch``. Format: docs/ledger-format.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

from yingshang.ledger.verifier import (
    EMPTY_ROOT,
    HASH_SIZE,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "Fetch",
    "Frontier",
    "MissingNodeError",
    "NodeRef",
    "ProofError",
    "consistency_proof",
    "consistency_proof_from",
    "consistency_proof_refs",
    "consistency_ranges",
    "frontier_refs",
    "inclusion_proof",
    "inclusion_proof_from",
    "inclusion_proof_refs",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "range_refs",
    "root",
    "root_from",
    "verify_consistency",
    "verify_inclusion",
]

#: A SHA-256 state that has consumed the interior-node prefix 0x01 (copied, not rebuilt, per node).
_NODE_PREFIX = hashlib.sha256(b"\x01")

#: (level, position): the complete subtree over leaves [position * 2**level, (position + 1) * 2**level).
NodeRef = tuple[int, int]
#: Fetches stored nodes: given refs, returns a mapping holding (at least) each of them.
Fetch = Callable[[Sequence[NodeRef]], Mapping[NodeRef, bytes]]


class MissingNodeError(LookupError):
    """A node a proof needs is not in the store (the tree is smaller than claimed, or the store is damaged)."""


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# --------------------------------------------------------------------------------------------
# Ranges: which subtree hashes RFC 9162 proofs consist of
# --------------------------------------------------------------------------------------------


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[start, end)`` whose MTH make up PATH(index, D[0:size]), in proof order."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    out: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    out.reverse()
    return out


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make up PROOF(old_size, D[0:new_size]) (RFC 9162 2.1.4.1), in order."""
    if not 0 < old_size <= new_size:
        raise ValueError(
            f"no consistency proof from size {old_size} to size {new_size} (need 0 < old <= new)"
        )
    out: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while True:
        n = hi - lo
        if m == n:
            if not complete:
                out.append((lo, hi))
            break
        k = _split(n)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    out.reverse()
    return out


def range_refs(start: int, end: int) -> list[NodeRef]:
    """The complete subtrees, largest first, whose right fold is MTH(D[start:end]).

    ``start`` must be aligned as in every RFC 9162 subtree: a multiple of the largest power of
    two not above ``end - start``. MTH = node_hash(h0, node_hash(h1, ... node_hash(hk-1, hk))).
    """
    n = end - start
    if n <= 0 or start < 0:
        raise ValueError(f"empty or negative leaf range [{start}, {end})")
    if start % (1 << (n.bit_length() - 1)):
        raise ValueError(f"leaf range [{start}, {end}) is not aligned like an RFC 9162 subtree")
    refs: list[NodeRef] = []
    position = start
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            refs.append((level, position >> level))
            position += 1 << level
    return refs


def frontier_refs(size: int) -> list[NodeRef]:
    """The complete subtrees covering leaves [0, size), largest (leftmost) first: one per 1-bit."""
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    return range_refs(0, size) if size else []


def inclusion_proof_refs(index: int, size: int) -> list[NodeRef]:
    """Every stored node an inclusion proof for ``index`` in a tree of ``size`` needs."""
    return [ref for start, end in inclusion_ranges(index, size) for ref in range_refs(start, end)]


def consistency_proof_refs(old_size: int, new_size: int) -> list[NodeRef]:
    """Every stored node a consistency proof from ``old_size`` to ``new_size`` needs."""
    return [ref for start, end in consistency_ranges(old_size, new_size) for ref in range_refs(start, end)]


# --------------------------------------------------------------------------------------------
# In memory
# --------------------------------------------------------------------------------------------


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of complete-subtree hashes (largest first) into one MTH."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def _mth(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]) from leaf hashes, in O(end - start) with O(log n) memory."""
    frontier = Frontier.empty()
    for i in range(start, end):
        frontier.append(leaf_hashes[i])
    return frontier.root()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the tree with these leaf hashes (RFC 9162 2.1.1); EMPTY_ROOT for no leaves."""
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) (RFC 9162 2.1.3.1) for the tree with these leaf hashes."""
    return [_mth(leaf_hashes, start, end) for start, end in inclusion_ranges(index, len(leaf_hashes))]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) (RFC 9162 2.1.4.1); 0 < old_size <= n; empty when old_size == n."""
    return [_mth(leaf_hashes, start, end) for start, end in consistency_ranges(old_size, len(leaf_hashes))]


# --------------------------------------------------------------------------------------------
# The right edge, for appending
# --------------------------------------------------------------------------------------------


class Frontier:
    """The complete subtrees of ``frontier_refs(size)``: all an appender needs. O(log n) memory."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int, hashes: Sequence[bytes]) -> None:
        if size < 0:
            raise ValueError(f"negative tree size {size}")
        if len(hashes) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} hashes, not {len(hashes)}")
        for h in hashes:
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                raise ValueError(f"frontier hashes must be {HASH_SIZE} bytes")
        self._size = size
        self._hashes = list(hashes)

    @classmethod
    def empty(cls) -> Frontier:
        return cls(0, [])

    @classmethod
    def load(cls, fetch: Fetch, size: int) -> Frontier:
        """The frontier of a stored tree of ``size`` leaves, with one fetch."""
        refs = frontier_refs(size)
        return cls(size, _hashes_of(fetch, refs) if refs else [])

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def refs(self) -> list[NodeRef]:
        return frontier_refs(self._size)

    def root(self) -> bytes:
        """MTH of the whole tree, from the frontier alone."""
        return _fold(self._hashes) if self._hashes else EMPTY_ROOT

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append a LEAF HASH; return every new complete node (level, position, hash), leaf first."""
        if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
            raise ValueError(f"append takes a {HASH_SIZE}-byte leaf hash")
        size = self._size
        new = [(0, size, leaf)]
        h, level = leaf, 0
        while size >> level & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            new.append((level, size >> level, h))
        self._hashes.append(h)
        self._size = size + 1
        return new

    def extend_inner(self, leaves: Sequence[bytes]) -> list[tuple[int, int, bytes]]:
        """Append several leaf hashes; return the new nodes above the leaves (level >= 1) in
        order. The sequencer's hot path: the same result as ``append`` minus each level-0 node,
        with the node hash inlined."""
        for leaf in leaves:
            if type(leaf) is not bytes or len(leaf) != HASH_SIZE:
                raise ValueError(f"append takes a {HASH_SIZE}-byte leaf hash")
        out: list[tuple[int, int, bytes]] = []
        push = out.append
        stack = self._hashes
        pop, keep = stack.pop, stack.append
        prefix = _NODE_PREFIX.copy
        size = self._size
        for leaf in leaves:
            h, level = leaf, 0
            while size >> level & 1:
                node = prefix()
                node.update(pop() + h)
                h = node.digest()
                level += 1
                push((level, size >> level, h))
            keep(h)
            size += 1
        self._size = size
        return out

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[int, int, bytes]]:
        """Append several leaf hashes; return all new nodes in order."""
        out: list[tuple[int, int, bytes]] = []
        for leaf in leaves:
            out.extend(self.append(leaf))
        return out

    def copy(self) -> Frontier:
        return Frontier(self._size, self._hashes)

    def __repr__(self) -> str:
        return f"Frontier(size={self._size})"


# --------------------------------------------------------------------------------------------
# From stored nodes, with one batched fetch
# --------------------------------------------------------------------------------------------


def _hashes_of(fetch: Fetch, refs: Sequence[NodeRef]) -> list[bytes]:
    found = fetch(refs)
    out = []
    for ref in refs:
        try:
            h = found[ref]
        except KeyError:
            raise MissingNodeError(
                f"tree node (level {ref[0]}, position {ref[1]}) is not in the store"
            ) from None
        out.append(bytes(h))
    return out


def _proof_from(fetch: Fetch, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    groups = [range_refs(start, end) for start, end in ranges]
    refs = list(dict.fromkeys(ref for group in groups for ref in group))
    if not refs:
        return []
    by_ref = dict(zip(refs, _hashes_of(fetch, refs), strict=True))
    return [_fold([by_ref[ref] for ref in group]) for group in groups]


def inclusion_proof_from(fetch: Fetch, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) from stored complete subtrees, calling ``fetch`` once."""
    return _proof_from(fetch, inclusion_ranges(index, size))


def consistency_proof_from(fetch: Fetch, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) from stored complete subtrees, calling ``fetch`` at most once."""
    return _proof_from(fetch, consistency_ranges(old_size, new_size))


def root_from(fetch: Fetch, size: int) -> bytes:
    """MTH(D[size]) from stored complete subtrees (EMPTY_ROOT for 0, without fetching)."""
    refs = frontier_refs(size)
    return _fold(_hashes_of(fetch, refs)) if refs else EMPTY_ROOT
