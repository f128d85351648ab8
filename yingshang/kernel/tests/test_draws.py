"""Draws anyone can recompute (yingshang.kernel.draws): known answers, byte layouts, properties.

The worked example of docs/draws.md is checked here value by value (``test_docs_worked_example``),
so the page cannot drift from the code.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from yingshang.kernel import draws
from yingshang.kernel.draws import DrawMismatch, DrawStream

FAST = settings(max_examples=150, deadline=None)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "draws.md"

# --- the worked example of docs/draws.md -------------------------------------------------------

SECRET = bytes(range(32))  # 00 01 02 ... 1f: a published test value, never a real secret
COEFFICIENTS = ["0.95", "0.96", "0.97", "0.98", "0.99"]
PARAMETERS = {"k": 1, "lot": "1", "subject": "trading:tender:88"}
BEACON = bytes.fromhex("79df464c756f2012735a93ec87e0e107f96b99393e2b5d73131c4957da3fcc0b")
CONTRIBUTION = "监督员 7f3a"
EXPERTS = [f"E{i:03d}" for i in range(1, 11)]

DIGEST = "187a12f19b110f93b6bda27c59a63a0df98ac946fdf64a65f2cca56463505855"
COMMITMENT = "0c15e4013fb48b6734920ae5274599113b0e413d6aa489ccfe6b759f8169f002"
SEED = "ddf63d0b6b3c69ada52eb8fb66f90c71220b456c14f60fe0587a9f75a7fc6e41"
BLOCK0 = "0f88575d54a5f8bd57bcc5ae6b19211215313cc9e2a66dce1ce28b435e087cc7"
SEED_WITHOUT_CONTRIBUTION = "d16aca3bd1fd8befd8ad974a21849be9dc1e40a9eb78eba1b42901c413807022"


def test_known_answers() -> None:
    assert draws.eligible_digest(COEFFICIENTS) == DIGEST
    assert (
        draws.commitment(SECRET, purpose="coefficient_draw", eligible=DIGEST, parameters=PARAMETERS)
        == COMMITMENT
    )
    seed = draws.seed(secret=SECRET, beacon=BEACON, contributions=[CONTRIBUTION.encode("utf-8")])
    assert seed.hex() == SEED
    assert DrawStream(seed).read(32).hex() == BLOCK0
    # 5 values: 3 bits, 1 byte per try: 0x0f & 7 = 7 (rejected), 0x88 & 7 = 0 -> "0.95"
    assert draws.sample(seed, COEFFICIENTS, 1) == ["0.95"]
    assert draws.choose(seed, COEFFICIENTS) == "0.95"
    # 10 experts, 3 drawn: 0x0f&15=15 rejected, 0x88&15=8 -> E009; 0x57&15=7 -> E001; 0x5d&7=5 -> E008
    assert draws.sample(seed, EXPERTS, 3) == ["E009", "E001", "E008"]
    without = draws.seed(secret=SECRET, beacon=BEACON)
    assert without.hex() == SEED_WITHOUT_CONTRIBUTION
    assert draws.choose(without, COEFFICIENTS) == "0.98"


def test_docs_worked_example() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for value in (DIGEST, COMMITMENT, SEED, BLOCK0, SEED_WITHOUT_CONTRIBUTION, BEACON.hex()):
        assert value in text, value
    example: Any = {"eligible": DIGEST, "parameters": PARAMETERS, "purpose": "coefficient_draw"}
    canonical = rfc8785.dumps(example)
    assert canonical.decode() in text
    assert "E009, E001, E008" in text
    assert CONTRIBUTION in text


def test_byte_layouts_match_the_documentation() -> None:
    """An independent re-implementation of each definition, straight from the docstrings."""
    assert draws.TAG_ELIGIBLE == b"yingshang-draw/1 eligible\x00"
    assert (
        draws.eligible_digest(COEFFICIENTS)
        == hashlib.sha256(
            b"yingshang-draw/1 eligible\x00" + b'["0.95","0.96","0.97","0.98","0.99"]'
        ).hexdigest()
    )
    body = (
        b'{"eligible":"'
        + DIGEST.encode()
        + b'","parameters":{"k":1,"lot":"1","subject":"trading:tender:88"},'
        b'"purpose":"coefficient_draw"}'
    )
    assert (
        COMMITMENT
        == hashlib.sha256(
            b"yingshang-draw/1 commitment\x00" + (32).to_bytes(4, "big") + SECRET + body
        ).hexdigest()
    )
    contribution = CONTRIBUTION.encode("utf-8")
    assert (
        SEED
        == hashlib.sha256(
            b"yingshang-draw/1 seed\x00"
            + (32).to_bytes(4, "big")
            + SECRET
            + (32).to_bytes(4, "big")
            + BEACON
            + (1).to_bytes(4, "big")
            + len(contribution).to_bytes(4, "big")
            + contribution
        ).hexdigest()
    )
    seed = bytes.fromhex(SEED)
    stream = DrawStream(seed).read(100)
    expected = b"".join(
        hashlib.sha256(b"yingshang-draw/1 stream\x00" + seed + i.to_bytes(8, "big")).digest()
        for i in range(4)
    )
    assert stream == expected[:100]


def test_eligible_digest_is_order_sensitive_and_typed() -> None:
    assert draws.eligible_digest(["a", "b"]) != draws.eligible_digest(["b", "a"])
    assert draws.eligible_digest(["ab"]) != draws.eligible_digest(["a", "b"])
    with pytest.raises(TypeError):
        draws.eligible_digest("ab")
    with pytest.raises(TypeError):
        draws.eligible_digest([1, 2])  # type: ignore[list-item]


def test_commitment_binds_every_input() -> None:
    base: dict[str, Any] = {"purpose": "coefficient_draw", "eligible": DIGEST, "parameters": PARAMETERS}
    reference = draws.commitment(SECRET, **base)
    assert draws.commitment(bytes(32), **base) != reference
    assert draws.commitment(SECRET, **{**base, "purpose": "expert_draw"}) != reference
    assert draws.commitment(SECRET, **{**base, "eligible": "0" * 64}) != reference
    assert draws.commitment(SECRET, **{**base, "parameters": {**PARAMETERS, "k": 2}}) != reference


def test_refusals() -> None:
    with pytest.raises(ValueError, match="secret"):
        draws.commitment(b"short", purpose="x", eligible=DIGEST, parameters={})
    with pytest.raises(ValueError, match="purpose"):
        draws.commitment(SECRET, purpose="Bad Purpose", eligible=DIGEST, parameters={})
    with pytest.raises(ValueError, match="eligible"):
        draws.commitment(SECRET, purpose="x", eligible="zz", parameters={})
    with pytest.raises(TypeError, match="float"):
        draws.commitment(SECRET, purpose="x", eligible=DIGEST, parameters={"rate": 0.5})
    with pytest.raises(ValueError, match="2\\^53"):
        draws.commitment(SECRET, purpose="x", eligible=DIGEST, parameters={"n": 2**60})
    with pytest.raises(ValueError, match="beacon"):
        draws.seed(secret=SECRET, beacon=b"")
    with pytest.raises(ValueError, match="contribution 0"):
        draws.seed(secret=SECRET, beacon=BEACON, contributions=[b""])
    seed = bytes.fromhex(SEED)
    with pytest.raises(ValueError, match="duplicates"):
        draws.sample(seed, ["a", "a", "b"], 1)
    with pytest.raises(ValueError, match="k must"):
        draws.sample(seed, ["a", "b"], 3)
    with pytest.raises(ValueError, match="k must"):
        draws.sample(seed, ["a", "b"], 0)
    with pytest.raises(ValueError, match="seed"):
        DrawStream(b"short")
    with pytest.raises(ValueError):
        DrawStream(seed).below(0)


def test_seed_parts_are_length_prefixed() -> None:
    """Moving a byte from one part to the next changes the seed (no ambiguous concatenation)."""
    one = draws.seed(secret=SECRET, beacon=BEACON, contributions=[b"ab", b"c"])
    two = draws.seed(secret=SECRET, beacon=BEACON, contributions=[b"a", b"bc"])
    three = draws.seed(secret=SECRET, beacon=BEACON, contributions=[b"abc"])
    assert len({one, two, three}) == 3
    assert draws.seed(secret=SECRET, beacon=BEACON, contributions=[b"x", b"y"]) != draws.seed(
        secret=SECRET, beacon=BEACON, contributions=[b"y", b"x"]
    )


# --- properties ------------------------------------------------------------------------------------

seeds = st.binary(min_size=32, max_size=32)
populations = st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=40, unique=True)


@FAST
@given(seed=seeds, population=populations, data=st.data())
def test_sample_is_k_distinct_members_and_deterministic(
    seed: bytes, population: list[str], data: Any
) -> None:
    k = data.draw(st.integers(min_value=1, max_value=len(population)))
    drawn = draws.sample(seed, population, k)
    assert len(drawn) == k == len(set(drawn))
    assert set(drawn) <= set(population)
    assert drawn == draws.sample(seed, population, k)
    # a longer draw extends a shorter one (partial Fisher-Yates)
    assert draws.sample(seed, population, len(population))[:k] == drawn
    assert draws.choose(seed, population) == drawn[0]


@FAST
@given(seed=seeds, n=st.integers(min_value=1, max_value=2**40))
def test_below_is_in_range(seed: bytes, n: int) -> None:
    stream = DrawStream(seed)
    for _ in range(5):
        assert 0 <= stream.below(n) < n


@FAST
@given(seed=seeds, sizes=st.lists(st.integers(min_value=0, max_value=70), max_size=8))
def test_stream_reads_are_one_sequence(seed: bytes, sizes: list[int]) -> None:
    pieces = DrawStream(seed)
    joined = b"".join(pieces.read(size) for size in sizes)
    assert joined == DrawStream(seed).read(sum(sizes))


@FAST
@given(
    secret=st.binary(min_size=16, max_size=64),
    items=st.lists(st.text(max_size=10), max_size=10),
    parameters=st.dictionaries(
        st.text(max_size=5), st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=5)
    ),
)
def test_commitment_is_a_function_of_its_inputs(
    secret: bytes, items: list[str], parameters: dict[str, Any]
) -> None:
    digest = draws.eligible_digest(items)
    first = draws.commitment(secret, purpose="expert_draw", eligible=digest, parameters=parameters)
    # key order of the parameters does not matter (canonical JSON)
    reordered = dict(reversed(list(parameters.items())))
    assert draws.commitment(secret, purpose="expert_draw", eligible=digest, parameters=reordered) == first
    assert len(first) == 64


def test_below_is_unbiased() -> None:
    """Chi-squared over 60,000 draws of below(6) (6 does not divide 256: modulo would be biased),
    and every permutation of 4 items appears with sample(..., 4), roughly equally often."""
    stream = DrawStream(hashlib.sha256(b"uniformity").digest())
    counts = Counter(stream.below(6) for _ in range(60_000))
    expected = 10_000
    chi2 = sum((counts[v] - expected) ** 2 / expected for v in range(6))
    assert chi2 < 20.5  # p = 0.001 for 5 degrees of freedom
    perms: Counter[tuple[str, ...]] = Counter()
    for i in range(4_800):
        seed = hashlib.sha256(i.to_bytes(4, "big")).digest()
        perms[tuple(draws.sample(seed, ["a", "b", "c", "d"], 4))] += 1
    assert set(perms) == set(itertools.permutations("abcd"))
    chi2 = sum((count - 200) ** 2 / 200 for count in perms.values())
    assert chi2 < 49.7  # p = 0.001 for 23 degrees of freedom
    assert math.isfinite(chi2)


def test_rejection_sampling_rejects_out_of_range_values() -> None:
    """For n = 5 the first byte 0x0f gives 7 (>= 5) and is rejected; the next byte decides."""
    seed = bytes.fromhex(SEED)
    stream = DrawStream(seed)
    assert stream.below(5) == 0
    assert DrawStream(seed).read(2) == bytes.fromhex("0f88")


# --- verify ----------------------------------------------------------------------------------------


def performed_record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "format": draws.FORMAT,
        "draw": "4b1c7c3e-0000-4000-8000-000000000001",
        "purpose": "coefficient_draw",
        "status": "performed",
        "parameters": PARAMETERS,
        "eligible": COEFFICIENTS,
        "eligible_digest": DIGEST,
        "commitment": COMMITMENT,
        "secret": SECRET.hex(),
        "commitment_entry": {"hash": "ab" * 32, "index": 3},
        "beacon": {"size": 5, "root": BEACON.hex()},
        "contributions": [{"value": CONTRIBUTION, "entry_hash": "cd" * 32, "index": 4}],
        "result": ["0.95"],
    }
    record.update(changes)
    return record


def test_verify_recomputes_the_worked_example() -> None:
    verified = draws.verify(performed_record())
    assert verified.result == ("0.95",)
    assert verified.seed == SEED
    assert (verified.k, verified.eligible_count, verified.beacon_size) == (1, 5, 5)
    assert verified.contributions == (CONTRIBUTION,)
    assert draws.verify(performed_record(contributions=[], result=["0.98"])).result == ("0.98",)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"format": "other"}, "format"),
        ({"status": "prepared"}, "not been performed"),
        ({"secret": bytes(32).hex()}, "commitment differs"),
        ({"eligible": [*COEFFICIENTS[::-1]]}, "eligible digest differs"),
        ({"parameters": {**PARAMETERS, "k": 2}}, "commitment differs"),
        ({"result": ["0.99"]}, "result differs"),
        ({"beacon": {"size": 5, "root": "00" * 32}}, "result differs"),
        ({"beacon": {"size": 4, "root": BEACON.hex()}}, "not between"),
        ({"commitment_entry": {"hash": "ab" * 32, "index": 5}}, "not inside"),
        ({"contributions": [{"value": "other", "entry_hash": "cd" * 32, "index": 4}]}, "result differs"),
        ({"contributions": [{"value": CONTRIBUTION, "entry_hash": "cd" * 32, "index": 2}]}, "not between"),
        ({"secret": "zz"}, "not hex"),
        ({"beacon": "x"}, "wrong type"),
    ],
)
def test_verify_names_what_differs(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(DrawMismatch, match=reason):
        draws.verify(performed_record(**changes))


def test_verify_refuses_a_record_without_fields() -> None:
    record = performed_record()
    del record["result"]
    with pytest.raises(DrawMismatch, match="missing field 'result'"):
        draws.verify(record)
    with pytest.raises(DrawMismatch, match="JSON object"):
        draws.verify([])  # type: ignore[arg-type]
