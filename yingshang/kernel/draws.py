"""Draws anyone can recompute: commitments, seeds, unbiased sampling. Pure: imports no Django.

A draw (浮动系数抽取 ``coefficient_draw``, 专家抽取 ``expert_draw``) takes its randomness from a
seed nobody can choose alone (docs/draws.md explains the protocol):

1. before the draw the platform picks a random ``secret`` and publishes
   ``commitment(secret, purpose=..., eligible=eligible_digest(items), parameters=...)`` in the
   evidence ledger;
2. the *beacon* is fixed only after that: the root hash of the first signed ledger checkpoint
   whose tree includes the commitment entry; participants may add ``contributions`` before it;
3. ``seed(secret=..., beacon=..., contributions=...)`` feeds a SHA-256 counter-mode stream of
   unbiased integers; ``sample(seed, population, k)`` is a partial Fisher-Yates shuffle;
4. after the draw the secret is revealed and :func:`verify` recomputes the whole record.

Every hash is SHA-256 with a domain-separation tag (:data:`TAG_ELIGIBLE` ...), so a value of
one kind can never be passed off as another. JSON is RFC 8785 (JCS) canonical, UTF-8.
Byte-by-byte definitions are in each function's docstring and in docs/draws.md; the test vectors
in ``yingshang/kernel/tests/test_draws.py`` pin them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from yingshang.kernel.streams import is_sha256_hex

__all__ = [
    "FORMAT",
    "MAX_SAFE_INTEGER",
    "MIN_SECRET_BYTES",
    "TAG_COMMITMENT",
    "TAG_ELIGIBLE",
    "TAG_SEED",
    "TAG_STREAM",
    "DrawMismatch",
    "DrawStream",
    "VerifiedDraw",
    "canonical_json",
    "check_json",
    "choose",
    "commitment",
    "eligible_digest",
    "sample",
    "seed",
    "verify",
]

#: The published record's format name (docs/draws.md, "The record").
FORMAT = "yingshang-draw/1"

#: Domain-separation tags: ASCII text ending in one NUL byte, prefixed to every hash input.
TAG_ELIGIBLE = b"yingshang-draw/1 eligible\x00"
TAG_COMMITMENT = b"yingshang-draw/1 commitment\x00"
TAG_SEED = b"yingshang-draw/1 seed\x00"
TAG_STREAM = b"yingshang-draw/1 stream\x00"

#: A secret shorter than this could be guessed from its commitment.
MIN_SECRET_BYTES = 16
#: Integers in JSON parameters must be exact in every JSON reader (RFC 8785, I-JSON).
MAX_SAFE_INTEGER = 2**53 - 1
#: A beacon or a contribution longer than this is refused (they are hashes and short strings).
MAX_INPUT_BYTES = 4096

_PURPOSE = re.compile(r"[a-z][a-z0-9_.]{0,63}")


class DrawMismatch(ValueError):
    """A draw record that does not recompute: ``reason`` says what differs (English, one line)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def check_json(value: Any, where: str = "parameters") -> None:
    """Refuse anything but JSON values without floats: ``dict`` with ``str`` keys, ``list``/``tuple``,
    ``str``, ``bool``, ``None`` and ``int`` with |n| <= 2^53 - 1 (``TypeError``/``ValueError``
    naming the place). Money is integer fen or a decimal string, never a float."""
    if value is None or isinstance(value, (str, bool)):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"{where}: integer {value} is beyond 2^53 - 1; send it as a string")
        return
    if isinstance(value, float):
        raise TypeError(f"{where}: floats are refused ({value!r}); use an integer or a decimal string")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: object keys must be strings, not {type(key).__name__}")
            check_json(item, f"{where}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            check_json(item, f"{where}[{position}]")
        return
    raise TypeError(f"{where}: {type(value).__name__} is not a JSON value")


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON (UTF-8) of a JSON value checked by :func:`check_json`."""
    check_json(value, "value")
    return rfc8785.dumps(_plain(value))


def eligible_digest(items: Sequence[str]) -> str:
    """The digest of the eligible list, order-sensitive (lower-case hex)::

        SHA-256( TAG_ELIGIBLE || JCS(items as a JSON array of strings) )

    ``["a", "b"]`` and ``["b", "a"]`` differ: the order is part of what is committed, because
    :func:`sample` draws positions of this list."""
    if isinstance(items, (str, bytes)):
        raise TypeError("items must be a sequence of strings, not a single string")
    listed = list(items)
    for position, item in enumerate(listed):
        if not isinstance(item, str):
            raise TypeError(f"items[{position}] must be a string, not {type(item).__name__}")
    return hashlib.sha256(TAG_ELIGIBLE + rfc8785.dumps(listed)).hexdigest()


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes):
        raise TypeError("secret must be bytes")
    if not MIN_SECRET_BYTES <= len(secret) <= MAX_INPUT_BYTES:
        raise ValueError(f"secret must be {MIN_SECRET_BYTES} to {MAX_INPUT_BYTES} bytes, got {len(secret)}")


def commitment(secret: bytes, *, purpose: str, eligible: str, parameters: Mapping[str, Any]) -> str:
    """The commitment to a draw (lower-case hex)::

        SHA-256( TAG_COMMITMENT || u32(len(secret)) || secret
                 || JCS({"eligible": eligible, "parameters": parameters, "purpose": purpose}) )

    ``u32`` is 4 bytes big-endian; ``eligible`` is :func:`eligible_digest` of the list (64 hex
    digits); ``purpose`` a code such as ``coefficient_draw``; ``parameters`` a JSON object (no
    floats). Publishing it reveals nothing of the secret (32 random bytes in practice) and binds
    the platform to the secret, the list and the parameters."""
    _check_secret(secret)
    if not isinstance(purpose, str) or not _PURPOSE.fullmatch(purpose):
        raise ValueError(f"purpose must match {_PURPOSE.pattern}, got {purpose!r}")
    if not is_sha256_hex(eligible):
        raise ValueError("eligible must be an eligible_digest (64 lower-case hex digits)")
    if not isinstance(parameters, Mapping):
        raise TypeError("parameters must be a JSON object")
    body = canonical_json({"eligible": eligible, "parameters": parameters, "purpose": purpose})
    return hashlib.sha256(TAG_COMMITMENT + _u32(len(secret)) + secret + body).hexdigest()


def seed(*, secret: bytes, beacon: bytes, contributions: Sequence[bytes] = ()) -> bytes:
    """The draw's 32-byte seed::

        SHA-256( TAG_SEED || u32(len(secret)) || secret || u32(len(beacon)) || beacon
                 || u32(n) || u32(len(c_1)) || c_1 || ... || u32(len(c_n)) || c_n )

    ``beacon`` is the raw root hash (32 bytes) of the first signed checkpoint including the
    commitment entry; ``contributions`` are the participants' values (UTF-8 bytes of the strings
    they gave), in ledger order. Every part is length-prefixed, so no two different inputs give
    the same byte string."""
    _check_secret(secret)
    if not isinstance(beacon, bytes) or not 1 <= len(beacon) <= MAX_INPUT_BYTES:
        raise ValueError("beacon must be 1 to 4096 bytes")
    parts = [TAG_SEED, _u32(len(secret)), secret, _u32(len(beacon)), beacon, _u32(len(contributions))]
    for position, value in enumerate(contributions):
        if not isinstance(value, bytes) or not 1 <= len(value) <= MAX_INPUT_BYTES:
            raise ValueError(f"contribution {position} must be 1 to 4096 bytes")
        parts += [_u32(len(value)), value]
    return hashlib.sha256(b"".join(parts)).digest()


class DrawStream:
    """Deterministic random bytes and unbiased integers from a seed (SHA-256 in counter mode).

    Block ``i`` (``i = 0, 1, 2, ...``) is ``SHA-256(TAG_STREAM || seed || u64(i))`` (``u64``: 8
    bytes big-endian); the stream is block 0, block 1, ... concatenated and read front to back.
    """

    def __init__(self, seed: bytes) -> None:
        if not isinstance(seed, bytes) or len(seed) != 32:
            raise ValueError("seed must be 32 bytes")
        self._seed = seed
        self._counter = 0
        self._buffer = b""

    def read(self, n: int) -> bytes:
        """The next ``n`` bytes of the stream."""
        if n < 0:
            raise ValueError("n must be >= 0")
        while len(self._buffer) < n:
            block = hashlib.sha256(TAG_STREAM + self._seed + self._counter.to_bytes(8, "big")).digest()
            self._buffer += block
            self._counter += 1
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def below(self, n: int) -> int:
        """A uniform integer in ``[0, n)`` by rejection sampling (no modulo bias).

        ``n == 1`` gives 0 and reads nothing. Otherwise, with ``bits = bit_length(n - 1)`` and
        ``m = ceil(bits / 8)``: read ``m`` bytes as a big-endian integer, keep its low ``bits``
        bits (``v & (2^bits - 1)``); if ``v < n`` that is the answer, else read ``m`` more bytes
        and try again. Each try succeeds with probability ``n / 2^bits > 1/2``."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if n == 1:
            return 0
        bits = (n - 1).bit_length()
        size = (bits + 7) // 8
        mask = (1 << bits) - 1
        while True:
            value = int.from_bytes(self.read(size), "big") & mask
            if value < n:
                return value

    def integers(self, n: int) -> Iterator[int]:
        """An endless iterator of :meth:`below` ``(n)``."""
        while True:
            yield self.below(n)


def _population(population: Sequence[str]) -> list[str]:
    if isinstance(population, (str, bytes)):
        raise TypeError("population must be a sequence of strings, not a single string")
    items = list(population)
    for position, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"population[{position}] must be a string, not {type(item).__name__}")
    if len(set(items)) != len(items):
        raise ValueError("population has duplicates: a draw needs distinct items")
    return items


def sample(seed: bytes, population: Sequence[str], k: int) -> list[str]:
    """``k`` distinct items of ``population`` in the order drawn (partial Fisher-Yates).

    ``a = list(population)``; for ``i = 0 .. k-1``: ``j = i + below(n - i)``, swap ``a[i]`` and
    ``a[j]``; the answer is ``a[0:k]``. Each ordered k-subset is equally likely. The population
    must be distinct strings and ``1 <= k <= len(population)`` (else ``ValueError``)."""
    items = _population(population)
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= len(items):
        raise ValueError(f"k must be between 1 and {len(items)}, got {k!r}")
    stream = DrawStream(seed)
    n = len(items)
    for i in range(k):
        j = i + stream.below(n - i)
        items[i], items[j] = items[j], items[i]
    return items[:k]


def choose(seed: bytes, values: Sequence[str]) -> str:
    """One value: ``values[below(len(values))]``, the same as ``sample(seed, values, 1)[0]``."""
    return sample(seed, values, 1)[0]


@dataclass(frozen=True)
class VerifiedDraw:
    """What :func:`verify` recomputed from a published record."""

    draw: str
    purpose: str
    k: int
    eligible_count: int
    eligible_digest: str
    commitment: str
    beacon_size: int
    beacon_root: str
    contributions: tuple[str, ...]
    seed: str
    result: tuple[str, ...]


def _field(record: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    if name not in record:
        raise DrawMismatch(f"missing field {name!r}")
    value = record[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise DrawMismatch(f"field {name!r} has the wrong type")
    return value


def _hex(value: Any, name: str, length: int | None = 64) -> bytes:
    if not isinstance(value, str) or (length is not None and len(value) != length):
        raise DrawMismatch(f"{name} is not {length} hex digits")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise DrawMismatch(f"{name} is not hex") from None


def _beacon(record: Mapping[str, Any]) -> tuple[int, bytes]:
    beacon = _field(record, "beacon", Mapping)
    size = beacon.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise DrawMismatch("beacon.size must be a positive integer")
    return size, _hex(beacon.get("root"), "beacon.root")


def _contributions(record: Mapping[str, Any], size: int) -> list[str]:
    """The contribution values, checked to lie between the commitment entry and the beacon."""
    entry = _field(record, "commitment_entry", Mapping)
    entry_index = entry.get("index")
    if not isinstance(entry_index, int) or isinstance(entry_index, bool) or not 0 <= entry_index < size:
        raise DrawMismatch("the commitment entry is not inside the beacon's tree (index >= size)")
    _hex(entry.get("hash"), "commitment_entry.hash")
    values: list[str] = []
    previous = entry_index
    for position, item in enumerate(_field(record, "contributions", list)):
        if not isinstance(item, Mapping) or not isinstance(item.get("value"), str):
            raise DrawMismatch(f"contribution {position} is malformed")
        index = item.get("index")
        if not isinstance(index, int) or isinstance(index, bool) or not previous < index < size:
            raise DrawMismatch(
                f"contribution {position} is not between the commitment and the beacon "
                "(indexes must increase and stay below the beacon's size)"
            )
        previous = index
        values.append(item["value"])
    return values


def verify(record: Mapping[str, Any]) -> VerifiedDraw:
    """Recompute a performed draw record (format ``yingshang-draw/1``, docs/draws.md).

    Checks, in order: the format and status; the eligible digest of ``eligible``; the commitment
    from the revealed ``secret``, ``purpose``, digest and ``parameters``; ``parameters.k``; that
    the commitment entry and every contribution lie inside the beacon's tree (index < size) in
    increasing index order; the seed from secret, beacon root and contributions; and the result
    (``sample``). Raises :class:`DrawMismatch` naming the first difference. The beacon note's
    signature and the inclusion proof need the ledger's verifier key:
    ``yingshang.draws.verification.verify_published`` checks those too."""
    if not isinstance(record, Mapping):
        raise DrawMismatch("the record is not a JSON object")
    if record.get("format") != FORMAT:
        raise DrawMismatch(f"format is not {FORMAT!r}")
    if record.get("status") != "performed":
        raise DrawMismatch("the draw has not been performed (status is not 'performed')")
    draw = str(_field(record, "draw", str))
    purpose = _field(record, "purpose", str)
    parameters = _field(record, "parameters", Mapping)
    eligible = _field(record, "eligible", list)
    claimed_digest = _field(record, "eligible_digest", str)
    claimed_commitment = _field(record, "commitment", str)
    secret = _hex(_field(record, "secret", str), "secret", None)
    try:
        digest = eligible_digest(eligible)
    except (TypeError, ValueError) as exc:
        raise DrawMismatch(f"eligible list: {exc}") from None
    if digest != claimed_digest:
        raise DrawMismatch(
            f"eligible digest differs: the list hashes to {digest}, the record says {claimed_digest}"
        )
    try:
        recomputed = commitment(secret, purpose=purpose, eligible=digest, parameters=parameters)
    except (TypeError, ValueError) as exc:
        raise DrawMismatch(f"commitment inputs: {exc}") from None
    if recomputed != claimed_commitment:
        raise DrawMismatch(
            f"commitment differs: the revealed secret gives {recomputed}, the record says {claimed_commitment}"
        )
    k = parameters.get("k")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= len(eligible):
        raise DrawMismatch(f"parameters.k must be between 1 and {len(eligible)}")

    size, root = _beacon(record)
    values = _contributions(record, size)
    try:
        drawn_seed = seed(secret=secret, beacon=root, contributions=[v.encode("utf-8") for v in values])
        result = sample(drawn_seed, eligible, k)
    except (TypeError, ValueError) as exc:
        raise DrawMismatch(f"cannot draw: {exc}") from None
    claimed_result = _field(record, "result", list)
    if claimed_result != result:
        raise DrawMismatch(f"result differs: recomputed {result}, the record says {claimed_result}")
    return VerifiedDraw(
        draw=draw,
        purpose=purpose,
        k=k,
        eligible_count=len(eligible),
        eligible_digest=digest,
        commitment=recomputed,
        beacon_size=size,
        beacon_root=root.hex(),
        contributions=tuple(values),
        seed=drawn_seed.hex(),
        result=tuple(result),
    )
