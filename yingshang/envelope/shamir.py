"""Shamir secret sharing over GF(2^8), byte by byte. Pure.

Field: GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11B). For a secret of L bytes and
a threshold k, each byte ``s`` gets its own polynomial ``f(x) = s + a1 x + ... + a(k-1) x^(k-1)`` with
fresh uniformly random coefficients; share ``i`` (1 <= i <= n <= 255) is ``(i, f_1(i) || ... || f_L(i))``.
Any k shares give the secret by Lagrange interpolation at 0; k - 1 shares are uniformly distributed
whatever the secret (they reveal nothing). Randomness: ``rng((k - 1) * L)`` once, coefficient ``j`` of
byte ``b`` at offset ``b * (k - 1) + (j - 1)`` (docs/envelope.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from yingshang.envelope.errors import EnvelopeError

__all__ = ["Share", "combine", "split"]

_EXP = [0] * 512
_LOG = [0] * 256


def _init_tables() -> None:
    value = 1
    for power in range(255):
        _EXP[power] = value
        _LOG[value] = power
        # multiply by the generator 3 = x + 1
        doubled = value << 1
        if doubled & 0x100:
            doubled ^= 0x11B
        value = doubled ^ value
    for power in range(255, 512):
        _EXP[power] = _EXP[power - 255]


_init_tables()


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _div(a: int, b: int) -> int:
    if b == 0:  # pragma: no cover - indexes are distinct
        raise ZeroDivisionError
    if a == 0:
        return 0
    return _EXP[(_LOG[a] - _LOG[b]) % 255]


@dataclass(frozen=True, repr=False)
class Share:
    """One share: its x coordinate ``index`` (1..255) and the y bytes (as long as the secret)."""

    index: int
    value: bytes

    def __repr__(self) -> str:
        return f"Share(index={self.index}, <{len(self.value)} bytes>)"


def split(
    secret: bytes, threshold: int, count: int, rng: Callable[[int], bytes] | None = None
) -> list[Share]:
    """``count`` shares of ``secret``, any ``threshold`` of which recover it."""
    if not 1 <= threshold <= count <= 255:
        raise EnvelopeError("invalid_argument", "shares need 1 <= threshold <= count <= 255")
    if not secret:
        raise EnvelopeError("invalid_argument", "nothing to share")
    degree = threshold - 1
    source = rng or os.urandom
    randomness = source(degree * len(secret)) if degree else b""
    if len(randomness) != degree * len(secret):
        raise EnvelopeError("invalid_argument", "the random source returned the wrong length")
    shares = []
    for x in range(1, count + 1):
        out = bytearray()
        for position, byte in enumerate(secret):
            coefficients = randomness[position * degree : (position + 1) * degree]
            # Horner: ((a(k-1) x + a(k-2)) x + ... + a1) x + s
            y = 0
            for coefficient in reversed(coefficients):
                y = _mul(y, x) ^ coefficient
            out.append(_mul(y, x) ^ byte)
        shares.append(Share(x, bytes(out)))
    return shares


def combine(shares: Sequence[Share]) -> bytes:
    """The secret from shares (at least the threshold; with fewer the result is meaningless)."""
    if not shares:
        raise EnvelopeError("not_enough_shares", "no shares given")
    indexes = [share.index for share in shares]
    if len(set(indexes)) != len(indexes) or not all(1 <= x <= 255 for x in indexes):
        raise EnvelopeError("invalid_argument", "share indexes must be distinct and in 1..255")
    length = len(shares[0].value)
    if any(len(share.value) != length for share in shares):
        raise EnvelopeError("invalid_argument", "shares have different lengths")
    # Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); subtraction is XOR.
    basis = []
    for i, xi in enumerate(indexes):
        numerator, denominator = 1, 1
        for j, xj in enumerate(indexes):
            if i != j:
                numerator = _mul(numerator, xj)
                denominator = _mul(denominator, xj ^ xi)
        basis.append(_div(numerator, denominator))
    secret = bytearray(length)
    for share, weight in zip(shares, basis, strict=True):
        for position, y in enumerate(share.value):
            secret[position] ^= _mul(y, weight)
    return bytes(secret)
