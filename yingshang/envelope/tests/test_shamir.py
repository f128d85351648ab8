"""Shamir k-of-n over GF(2^8): any k shares recover, k - 1 reveal nothing."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingshang.envelope import EnvelopeError
from yingshang.envelope.shamir import Share, _mul, combine, split


@settings(max_examples=60, deadline=None)
@given(
    secret=st.binary(min_size=1, max_size=40),
    count=st.integers(min_value=1, max_value=7),
    data=st.data(),
)
def test_any_k_shares_recover_the_secret(secret, count, data):
    threshold = data.draw(st.integers(min_value=1, max_value=count))
    shares = split(secret, threshold, count)
    subset = data.draw(st.permutations(shares)).copy()[: data.draw(st.integers(threshold, count))]
    assert combine(subset) == secret
    if threshold > 1 and len(secret) >= 16:
        # k - 1 shares interpolate some other value (equal only with probability 2^-128)
        assert combine(subset[: threshold - 1]) != secret


def test_every_subset_of_size_k_recovers():
    secret = bytes(range(32))
    shares = split(secret, 3, 5)
    for subset in itertools.combinations(shares, 3):
        assert combine(list(subset)) == secret


def constant(value: bytes) -> Callable[[int], bytes]:
    return lambda n: value


def test_k_minus_one_shares_are_independent_of_the_secret():
    """Perfect secrecy, exhaustively for k = 2 and one byte: for every secret, share x = 3 takes every
    value exactly once as the random coefficient runs over the field, so it says nothing of the secret."""
    for secret in range(256):
        values = {split(bytes([secret]), 2, 3, rng=constant(bytes([a])))[2].value[0] for a in range(256)}
        assert len(values) == 256
    # k = 3: any two shares, for every pair of values, fit every secret (one polynomial each)
    for secret in (0, 1, 200):
        seen = set()
        for a1 in range(0, 256, 17):
            for a2 in range(256):
                shares = split(bytes([secret]), 3, 3, rng=constant(bytes([a1, a2])))
                seen.add((shares[0].value[0], shares[1].value[0]))
        assert len(seen) == 16 * 256


def test_field_multiplication_is_a_field():
    for a in range(1, 256):
        assert sum(1 for b in range(1, 256) if _mul(a, b) == 1) == 1


def test_bad_arguments():
    with pytest.raises(EnvelopeError):
        split(b"x", 3, 2)
    with pytest.raises(EnvelopeError):
        split(b"", 1, 1)
    with pytest.raises(EnvelopeError):
        combine([Share(1, b"a"), Share(1, b"b")])
    with pytest.raises(EnvelopeError):
        combine([])
