"""The platform key that turns feature codes into keyed hashes at the opening.

Feature codes (machine and document fingerprints, docs/bidder-tool.md) travel raw inside the
sealed package; the opening replaces every value by ``HMAC-SHA256(platform key, value)`` before
anything is stored, so equal fingerprints of different bidders still match (collusion checks,
实施条例 40) while the raw values are kept nowhere. The key is 32 random bytes created at first use
under ``KEYS_DIR`` (``opening-feature-hmac.key``, mode 0600 in a 0700 directory) or read from
``YINGSHANG_FEATURE_KEY_PATH``. Losing it only means later hashes no longer match earlier ones.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

FEATURE_KEY_FILE = "opening-feature-hmac.key"
#: Members of the feature codes kept as they are (not fingerprints: labels and structure).
PLAIN_MEMBERS = frozenset({"path", "format", "tool_version", "unavailable"})


def feature_key_path() -> Path:
    override = os.environ.get("YINGSHANG_FEATURE_KEY_PATH")
    return Path(override) if override else Path(settings.KEYS_DIR) / FEATURE_KEY_FILE


@lru_cache(maxsize=4)
def _key_at(path: str) -> bytes:
    target = Path(path)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(os.urandom(32))
    if target.stat().st_mode & 0o077:
        raise PermissionError(f"{target} is readable by others; chmod 600 it")
    key = target.read_bytes()
    if len(key) != 32:
        raise ValueError(f"{target} must hold 32 bytes")
    return key


def feature_key() -> bytes:
    return _key_at(str(feature_key_path()))


def key_id() -> str:
    """A public name of the key (the first 16 hex digits of SHA-256 of an HMAC of a fixed label)."""
    return hashlib.sha256(hmac.new(feature_key(), b"key-id", hashlib.sha256).digest()).hexdigest()[:16]


def keyed_hash(value: Any) -> str:
    raw = value if isinstance(value, str) else repr(value)
    digest = hmac.new(feature_key(), raw.strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def hash_features(codes: Any, *, member: str = "") -> Any:
    """The feature codes with every fingerprint value replaced by its keyed hash (structure,
    paths, formats and the reasons a source was unavailable kept)."""
    if member in PLAIN_MEMBERS:
        return codes
    if isinstance(codes, dict):
        return {str(k): hash_features(v, member=str(k)) for k, v in codes.items()}
    if isinstance(codes, list):
        return [hash_features(v, member=member) for v in codes]
    if codes is None or codes == "":
        return codes
    return keyed_hash(codes)
