"""Errors of the envelope format. Pure.

Every failure is an :class:`EnvelopeError` with a stable ``code`` (the server translates by code)
and an English ``message``. The codes are listed in docs/envelope.md ("Errors").
"""

from __future__ import annotations

__all__ = ["ERROR_CODES", "EnvelopeError", "SignatureError"]

ERROR_CODES = frozenset(
    {
        "not_an_envelope",
        "unsupported_version",
        "malformed_header",
        "truncated",
        "trailing_data",
        "hash_mismatch",
        "bad_signature",
        "bad_certificate",
        "bad_key",
        "unsupported_algorithm",
        "algorithm_mismatch",
        "weak_key",
        "wrong_key",
        "commitment_mismatch",
        "chunk_order",
        "tampered",
        "not_enough_shares",
        "invalid_argument",
    }
)


class EnvelopeError(Exception):
    """A refused envelope, key, certificate or argument. ``code`` is stable; ``message`` is English."""

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:  # pragma: no cover - programming error
            raise ValueError(f"unknown envelope error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SignatureError(EnvelopeError):
    """A signature that does not verify, or a key/algorithm that may not be used for it."""
