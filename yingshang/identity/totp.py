"""Time-based one-time passwords (RFC 6238) with replay protection. Pure: no Django.

Codes are 6 digits over 30-second time steps of the **wall clock** (never the domain clock: a
sandbox that runs time faster must not change which code is valid). A code is accepted for the
current step and one step either side (clock drift), and only for a step later than the last
one used, so a code seen over a shoulder cannot be replayed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re

import pyotp

from yingshang.kernel.text import Text

__all__ = [
    "DIGITS",
    "STEP_SECONDS",
    "InvalidSecret",
    "code_at_step",
    "matching_step",
    "new_secret",
    "normalise_secret",
    "provisioning_uri",
    "step_at",
]

STEP_SECONDS = 30
DIGITS = 6
#: Steps accepted either side of the current one.
DRIFT_STEPS = 1
#: At least 128 bits of secret (RFC 4226 recommends 160; we generate 160).
MIN_SECRET_BYTES = 16
_CODE = re.compile(rf"^\d{{{DIGITS}}}$")


class InvalidSecret(ValueError):
    def __init__(self, message: Text) -> None:
        self.message = message
        super().__init__(str(message))

    def __str__(self) -> str:
        return str(self.message)


def new_secret() -> str:
    """A fresh random base32 secret of 160 bits (32 characters)."""
    return pyotp.random_base32(length=32)


def normalise_secret(secret: str) -> str:
    """The secret upper-cased without spaces; :class:`InvalidSecret` unless valid base32 of
    at least 128 bits."""
    cleaned = re.sub(r"[\s-]", "", secret or "").upper()
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        bad = sorted({c for c in cleaned if c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"})
        raise InvalidSecret(
            Text(
                zh="TOTP 密钥必须是 Base32 编码（A-Z 和 2-7），不能包含：%(chars)s",
                en="A TOTP secret must be base32 (A-Z and 2-7); it must not contain: %(chars)s",
                params={"chars": " ".join(bad) or "="},
            )
        ) from None
    if len(raw) < MIN_SECRET_BYTES:
        raise InvalidSecret(
            Text(
                zh="TOTP 密钥太短：至少需要 %(n)s 位（%(chars)s 个 Base32 字符）。",
                en="The TOTP secret is too short: it needs at least %(n)s bits (%(chars)s base32 characters).",
                params={"n": MIN_SECRET_BYTES * 8, "chars": MIN_SECRET_BYTES * 8 // 5 + 1},
            )
        )
    return cleaned


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(step * STEP_SECONDS)


def matching_step(secret: str, code: str, *, unix_time: float, after_step: int | None) -> int | None:
    """The time step whose code equals ``code`` (within the drift window and later than
    ``after_step``), or ``None``. Comparison is constant-time."""
    code = (code or "").strip().replace(" ", "")
    if not _CODE.match(code):
        return None
    now_step = step_at(unix_time)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(code_at_step(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI authenticator apps read from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )
