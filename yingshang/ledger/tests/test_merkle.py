"""RFC 9162 trees: published vectors, RFC edge cases, and property tests over random trees."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingshang.ledger import merkle
from yingshang.ledger.merkle import (
    EMPTY_ROOT,
    Frontier,
    MissingNodeError,
    NodeRef,
    ProofError,
    consistency_proof,
    consistency_proof_from,
    consistency_proof_refs,
    frontier_refs,
    inclusion_proof,
    inclusion_proof_from,
    inclusion_proof_refs,
    leaf_hash,
    node_hash,
    range_refs,
    root,
    root_from,
    verify_consistency,
    verify_inclusion,
)

# RFC 6962 / transparency-dev test data: eight entries and the roots of every prefix.
CT_DATA = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_LEAVES = [leaf_hash(d) for d in CT_DATA]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def reference_mth(leaves: Sequence[bytes]) -> bytes:
    """A literal transcription of RFC 9162 2.1.1, independent of the code under test."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + reference_mth(leaves[:k]) + reference_mth(leaves[k:])).digest()


def leaves_of(n: int, seed: int = 0) -> list[bytes]:
    return [leaf_hash(f"entry-{seed}-{i}".encode()) for i in range(n)]


def store_of(leaves: Sequence[bytes]) -> dict[NodeRef, bytes]:
    """Every complete subtree of the tree, as the sequencer's store would hold them."""
    store: dict[NodeRef, bytes] = {}
    frontier = Frontier.empty()
    for leaf in leaves:
        for level, position, h in frontier.append(leaf):
            store[(level, position)] = h
    return store


class CountingFetch:
    def __init__(self, store: Mapping[NodeRef, bytes]) -> None:
        self.store = store
        self.calls: list[list[NodeRef]] = []

    def __call__(self, refs: Sequence[NodeRef]) -> Mapping[NodeRef, bytes]:
        self.calls.append(list(refs))
        return {ref: self.store[ref] for ref in refs if ref in self.store}


# --- vectors ---------------------------------------------------------------------------------


def test_hashes_are_domain_separated():
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert leaf_hash(a + b) != node_hash(a, b)
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]


@pytest.mark.parametrize("n", range(9))
def test_roots_match_rfc6962_vectors(n):
    assert root(CT_LEAVES[:n]).hex() == CT_ROOTS[n]
    frontier = Frontier.empty()
    frontier.extend(CT_LEAVES[:n])
    assert frontier.root().hex() == CT_ROOTS[n]
    assert root_from(CountingFetch(store_of(CT_LEAVES[:n])), n).hex() == CT_ROOTS[n]


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_inclusion_proofs_match_vectors(index, size, expected):
    proof = inclusion_proof(CT_LEAVES[:size], index)
    assert [h.hex() for h in proof] == expected
    assert inclusion_proof_from(CountingFetch(store_of(CT_LEAVES[:size])), index, size) == proof
    verify_inclusion(CT_LEAVES[index], index, size, proof, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "expected"), CT_CONSISTENCY)
def test_consistency_proofs_match_vectors(old, new, expected):
    proof = consistency_proof(CT_LEAVES[:new], old)
    assert [h.hex() for h in proof] == expected
    assert consistency_proof_from(CountingFetch(store_of(CT_LEAVES[:new])), old, new) == proof
    verify_consistency(old, new, bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new]), proof)


# --- RFC 9162 edge cases -----------------------------------------------------------------------


def test_inclusion_edge_cases_are_refused_with_reasons():
    r8 = bytes.fromhex(CT_ROOTS[8])
    proof = inclusion_proof(CT_LEAVES, 5)
    with pytest.raises(ProofError, match="outside a tree of size 8"):
        verify_inclusion(CT_LEAVES[5], 8, 8, proof, r8)
    with pytest.raises(ProofError, match="negative"):
        verify_inclusion(CT_LEAVES[5], -1, 8, proof, r8)
    with pytest.raises(ProofError, match="outside a tree of size 0"):
        verify_inclusion(CT_LEAVES[5], 0, 0, [], EMPTY_ROOT)
    with pytest.raises(ProofError, match="leaf hash is 31 bytes"):
        verify_inclusion(CT_LEAVES[5][:31], 5, 8, proof, r8)
    with pytest.raises(ProofError, match="root hash is 33 bytes"):
        verify_inclusion(CT_LEAVES[5], 5, 8, proof, r8 + b"\x00")
    with pytest.raises(ProofError, match="proof hash 1 is 5 bytes"):
        verify_inclusion(CT_LEAVES[5], 5, 8, [proof[0], b"short", proof[2]], r8)
    with pytest.raises(ProofError, match="too short"):
        verify_inclusion(CT_LEAVES[5], 5, 8, proof[:-1], r8)
    with pytest.raises(ProofError, match="too long"):
        verify_inclusion(CT_LEAVES[5], 5, 8, [*proof, EMPTY_ROOT], r8)
    with pytest.raises(ProofError, match="does not lead to the root"):
        verify_inclusion(CT_LEAVES[4], 5, 8, proof, r8)
    with pytest.raises(ProofError, match="does not lead to the root"):
        verify_inclusion(CT_LEAVES[5], 5, 8, proof, bytes.fromhex(CT_ROOTS[7]))
    # a one-leaf tree: empty proof, root is the leaf hash
    verify_inclusion(CT_LEAVES[0], 0, 1, [], CT_LEAVES[0])


def test_consistency_edge_cases_are_refused_with_reasons():
    r6, r8 = bytes.fromhex(CT_ROOTS[6]), bytes.fromhex(CT_ROOTS[8])
    proof = consistency_proof(CT_LEAVES, 6)
    with pytest.raises(ProofError, match="went backwards"):
        verify_consistency(8, 6, r8, r6, proof)
    with pytest.raises(ProofError, match="empty tree is meaningless"):
        verify_consistency(0, 8, EMPTY_ROOT, r8, [])
    verify_consistency(8, 8, r8, r8, [])
    with pytest.raises(ProofError, match="equal size 8 need an empty"):
        verify_consistency(8, 8, r8, r8, [r8])
    with pytest.raises(ProofError, match="two different roots"):
        verify_consistency(8, 8, r6, r8, [])
    with pytest.raises(ProofError, match="too short"):
        verify_consistency(6, 8, r6, r8, proof[:-1])
    with pytest.raises(ProofError, match="too short"):
        verify_consistency(6, 8, r6, r8, [])
    with pytest.raises(ProofError, match="too long"):
        verify_consistency(6, 8, r6, r8, [*proof, r8])
    with pytest.raises(ProofError, match="old root"):
        verify_consistency(6, 8, r8, r8, proof)
    with pytest.raises(ProofError, match="new root"):
        verify_consistency(6, 8, r6, r6, proof)
    with pytest.raises(ProofError, match="old root hash is 3 bytes"):
        verify_consistency(6, 8, b"abc", r8, proof)


def test_generation_refuses_impossible_requests():
    with pytest.raises(ValueError, match="outside a tree"):
        inclusion_proof(CT_LEAVES, 8)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(CT_LEAVES, 0)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(CT_LEAVES, 9)
    assert consistency_proof(CT_LEAVES, 8) == []
    with pytest.raises(ValueError, match="not aligned"):
        range_refs(1, 3)


# --- the complete-subtree store ------------------------------------------------------------------


def test_frontier_refs_one_per_bit_largest_first():
    assert frontier_refs(0) == []
    assert frontier_refs(1) == [(0, 0)]
    assert frontier_refs(6) == [(2, 0), (1, 2)]
    assert frontier_refs(13) == [(3, 0), (2, 2), (0, 12)]
    assert range_refs(8, 13) == [(2, 2), (0, 12)]


def test_frontier_append_returns_exactly_the_new_complete_nodes():
    frontier = Frontier.empty()
    assert frontier.root() == EMPTY_ROOT
    assert frontier.append(CT_LEAVES[0]) == [(0, 0, CT_LEAVES[0])]
    new = frontier.append(CT_LEAVES[1])
    assert new == [(0, 1, CT_LEAVES[1]), (1, 0, node_hash(CT_LEAVES[0], CT_LEAVES[1]))]
    frontier.extend(CT_LEAVES[2:7])
    last = frontier.append(CT_LEAVES[7])
    assert [(level, position) for level, position, _ in last] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert last[-1][2].hex() == CT_ROOTS[8]
    assert frontier.size == 8
    assert frontier.hashes == (bytes.fromhex(CT_ROOTS[8]),)


@pytest.mark.parametrize(("start", "count"), [(0, 1), (0, 64), (5, 27), (13, 100), (127, 130)])
def test_extend_inner_is_append_without_the_leaves(start: int, count: int) -> None:
    leaves = leaves_of(start + count)
    one, many = Frontier.empty(), Frontier.empty()
    one.extend(leaves[:start])
    many.extend(leaves[:start])
    expected = [node for leaf in leaves[start:] for node in one.append(leaf) if node[0] > 0]
    assert many.extend_inner(leaves[start:]) == expected
    assert (many.size, many.hashes, many.root()) == (one.size, one.hashes, one.root())
    with pytest.raises(ValueError, match="32-byte leaf hash"):
        many.extend_inner([b"raw entry bytes"])
    assert many.size == one.size  # a bad leaf changes nothing


def test_frontier_refuses_inconsistent_state_and_bad_leaves():
    with pytest.raises(ValueError, match="has 2 hashes, not 1"):
        Frontier(3, [CT_LEAVES[0]])
    with pytest.raises(ValueError, match="32-byte leaf hash"):
        Frontier.empty().append(b"raw entry bytes")


def test_frontier_load_resumes_from_the_store():
    leaves = leaves_of(21)
    store = store_of(leaves)
    fetch = CountingFetch(store)
    resumed = Frontier.load(fetch, 13)
    assert len(fetch.calls) == 1
    assert fetch.calls[0] == frontier_refs(13)
    resumed.extend(leaves[13:])
    assert resumed.root() == root(leaves)


def test_store_proofs_fetch_once_and_only_complete_nodes():
    leaves = leaves_of(1000)
    store = store_of(leaves)
    fetch = CountingFetch(store)
    inclusion_proof_from(fetch, 777, 1000)
    consistency_proof_from(fetch, 333, 1000)
    assert len(fetch.calls) == 2
    assert set(fetch.calls[0]) == set(inclusion_proof_refs(777, 1000))
    assert set(fetch.calls[1]) == set(consistency_proof_refs(333, 1000))
    # O(log n) nodes, never a scan
    assert all(len(call) <= 2 * 10 for call in fetch.calls)
    for level, position in fetch.calls[0] + fetch.calls[1]:
        assert (position + 1) << level <= 1000


def test_a_missing_node_is_named():
    leaves = leaves_of(10)
    store = store_of(leaves)
    del store[(1, 4)]
    with pytest.raises(MissingNodeError, match=r"level 1, position 4"):
        inclusion_proof_from(CountingFetch(store), 2, 10)
    with pytest.raises(MissingNodeError):
        root_from(CountingFetch(store_of(leaves[:8])), 10)


# --- properties --------------------------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=3000)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=sizes)
def test_inclusion_proofs_verify_and_store_proofs_equal_memory_ones(data, size):
    leaves = leaves_of(size, seed=size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    tree_root = root(leaves)
    proof = inclusion_proof(leaves, index)
    verify_inclusion(leaves[index], index, size, proof, tree_root)
    fetch = CountingFetch(store_of(leaves))
    assert inclusion_proof_from(fetch, index, size) == proof
    assert root_from(fetch, size) == tree_root
    assert len(fetch.calls) == (2 if size > 1 else 1)  # a one-leaf tree's proof is empty: no fetch


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=sizes)
def test_consistency_proofs_verify_and_store_proofs_equal_memory_ones(data, size):
    leaves = leaves_of(size, seed=size)
    old = data.draw(st.integers(min_value=1, max_value=size))
    proof = consistency_proof(leaves, old)
    verify_consistency(old, size, root(leaves[:old]), root(leaves), proof)
    fetch = CountingFetch(store_of(leaves))
    assert consistency_proof_from(fetch, old, size) == proof
    assert len(fetch.calls) <= 1


@settings(max_examples=30, deadline=None)
@given(size=st.integers(min_value=0, max_value=150))
def test_frontier_root_and_new_nodes_agree_with_recomputation(size):
    leaves = leaves_of(size, seed=7)
    frontier = Frontier.empty()
    seen: set[NodeRef] = set()
    for i, leaf in enumerate(leaves):
        for level, position, h in frontier.append(leaf):
            assert (level, position) not in seen  # write-once nodes
            seen.add((level, position))
            assert h == reference_mth(leaves[position << level : (position + 1) << level])
        assert frontier.root() == reference_mth(leaves[: i + 1]) == root(leaves[: i + 1])
        assert len(frontier.hashes) == (i + 1).bit_count()
    # all complete subtrees and no other nodes
    assert len(seen) == sum(size >> level for level in range(size.bit_length() + 1))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(min_value=2, max_value=2000))
def test_mutated_inclusion_proofs_indexes_and_roots_fail(data, size):
    leaves = leaves_of(size, seed=3)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    tree_root = root(leaves)
    proof = inclusion_proof(leaves, index)
    position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    mutated = list(proof)
    flipped = bytearray(mutated[position])
    flipped[bit // 8] ^= 1 << (bit % 8)
    mutated[position] = bytes(flipped)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], index, size, mutated, tree_root)
    other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], other, size, proof, tree_root)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], index, size, proof, root(leaves[:-1]))
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], index, size, proof[:-1], tree_root)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(min_value=2, max_value=2000))
def test_mutated_consistency_proofs_and_roots_fail(data, size):
    leaves = leaves_of(size, seed=5)
    old = data.draw(st.integers(min_value=1, max_value=size - 1))
    old_root, new_root = root(leaves[:old]), root(leaves)
    proof = consistency_proof(leaves, old)
    position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    mutated = list(proof)
    mutated[position] = hashlib.sha256(mutated[position]).digest()
    with pytest.raises(ProofError):
        verify_consistency(old, size, old_root, new_root, mutated)
    with pytest.raises(ProofError):
        verify_consistency(old, size, root(leaves[: old - 1]) if old > 1 else new_root, new_root, proof)
    # a forked log: same old prefix, a different new leaf
    forked = [*leaves[:-1], leaf_hash(b"forged")]
    with pytest.raises(ProofError):
        verify_consistency(old, size, old_root, root(forked), proof)


def test_merkle_reexports_the_verifier_primitives():
    from yingshang.ledger import verifier

    for name in (
        "leaf_hash",
        "node_hash",
        "verify_inclusion",
        "verify_consistency",
        "ProofError",
        "EMPTY_ROOT",
    ):
        assert getattr(merkle, name) is getattr(verifier, name)
