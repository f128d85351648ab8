"""TOTP secrets sealed at rest with a key derived from ``settings.SECRET_KEY`` (see
``secretbox``): HKDF-SHA256 with a purpose label, AES-256-GCM bound to the user's id.
``SECRET_KEY_FALLBACKS`` still open values sealed before a key rotation."""

from __future__ import annotations

from django.conf import settings

from yingshang.identity import secretbox
from yingshang.identity.models import TotpDevice

TOTP_PURPOSE = "yingshang.identity.totp-secret"


def _keys() -> list[bytes]:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [secretbox.derive_key(secret, TOTP_PURPOSE) for secret in secrets]


def _associated_data(user_id: int) -> bytes:
    return f"identity.totp:{user_id}".encode()


def seal_totp_secret(user_id: int, secret: str) -> bytes:
    return secretbox.seal(secret.encode(), key=_keys()[0], associated_data=_associated_data(user_id))


def open_totp_secret(device: TotpDevice) -> str:
    """The plain secret; ``secretbox.SealedValueError`` if no current or fallback key opens it."""
    return secretbox.open_sealed(
        device.sealed_secret, keys=_keys(), associated_data=_associated_data(device.user_id)
    ).decode()
