"""The envelope header: layout, canonical JSON encoding and strict parsing. Pure.

File layout (docs/envelope.md "Layout"):

    offset 0   8 bytes   magic 89 59 53 45 4E 56 0D 0A ("\\x89YSENV\\r\\n")
    offset 8   2 bytes   format version, unsigned big-endian (1)
    offset 10  4 bytes   header length L, unsigned big-endian (1 <= L <= 4 MiB)
    offset 14  L bytes   header: RFC 8785 canonical JSON, UTF-8 (byte-exact; anything else is refused)
    offset 14+L          chunk_count chunks: AES-256-GCM ciphertext of each plaintext chunk || 16-byte tag
    end of file          (nothing may follow the last chunk)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, BinaryIO

import rfc8785

from yingshang.envelope.errors import EnvelopeError
from yingshang.envelope.signatures import Signature
from yingshang.envelope.wrapping import WRAP_ALGORITHMS, Wrapped

__all__ = [
    "CIPHER",
    "DEFAULT_CHUNK_SIZE",
    "FORMAT_VERSION",
    "MAGIC",
    "MAX_CHUNK_SIZE",
    "MAX_HEADER_SIZE",
    "MIN_CHUNK_SIZE",
    "PREFIX_SIZE",
    "TAG_SIZE",
    "CustodianShare",
    "Header",
    "Recipient",
    "chunk_count_for",
    "read_header",
]

MAGIC = b"\x89YSENV\r\n"
FORMAT_VERSION = 1
PREFIX_SIZE = 14
MAX_HEADER_SIZE = 4 * 1024 * 1024
CIPHER = "AES-256-GCM"
TAG_SIZE = 16
DEFAULT_CHUNK_SIZE = 1024 * 1024
MIN_CHUNK_SIZE = 16
MAX_CHUNK_SIZE = 16 * 1024 * 1024
MAX_TEXT_LENGTH = 200
MAX_RECIPIENTS = 16
MAX_CUSTODIANS = 255
MAX_CHAIN = 8
MAX_SIZE = 2**53 - 1  # exact in JSON numbers
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX8 = re.compile(r"^[0-9a-f]{8}$")
_FIELDS = {
    "version",
    "cipher",
    "chunk_size",
    "chunk_count",
    "plaintext_size",
    "nonce_prefix",
    "tender",
    "lot",
    "bidder",
    "ciphertext_sha256",
    "key_commitment",
    "recipients",
    "custodians",
    "signer_chain",
    "created_at",
    "signature",
}


def chunk_count_for(plaintext_size: int, chunk_size: int) -> int:
    """Chunks for a package: ceil(size / chunk_size), and 1 for an empty package."""
    return max(1, -(-plaintext_size // chunk_size))


@dataclass(frozen=True)
class Recipient(Wrapped):
    """The content key wrapped to a recipient certificate (the bidder's encryption certificate).
    Fields: ``algorithm``, ``certificate`` (DER), ``value`` (the wrapped key; JSON name ``wrapped_key``)."""


@dataclass(frozen=True)
class CustodianShare(Wrapped):
    """Shamir share ``index`` of the content key wrapped to a custodian certificate
    (JSON: ``index``, ``algorithm``, ``certificate``, ``wrapped_share``)."""

    index: int = 0


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise EnvelopeError("invalid_argument", "created_at must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Header:
    """A parsed, structurally valid header. ``signature`` covers :meth:`signed_bytes`."""

    version: int
    cipher: str
    chunk_size: int
    chunk_count: int
    plaintext_size: int
    nonce_prefix: bytes
    tender: str
    lot: str
    bidder: str
    ciphertext_sha256: str
    key_commitment: bytes
    recipients: tuple[Recipient, ...]
    custodian_threshold: int
    custodians: tuple[CustodianShare, ...]
    signer_chain: tuple[bytes, ...]
    created_at: datetime
    signature: Signature = field(default_factory=lambda: Signature("", b""))

    # -- encoding -------------------------------------------------------------------------------

    def to_json(self, *, signed: bool = True) -> dict[str, Any]:
        """The header as a JSON object (without ``signature`` when ``signed`` is False)."""
        data: dict[str, Any] = {
            "version": self.version,
            "cipher": self.cipher,
            "chunk_size": self.chunk_size,
            "chunk_count": self.chunk_count,
            "plaintext_size": self.plaintext_size,
            "nonce_prefix": self.nonce_prefix.hex(),
            "tender": self.tender,
            "lot": self.lot,
            "bidder": self.bidder,
            "ciphertext_sha256": self.ciphertext_sha256,
            "key_commitment": self.key_commitment.hex(),
            "recipients": [recipient.to_json("wrapped_key") for recipient in self.recipients],
            "custodians": {
                "threshold": self.custodian_threshold,
                "shares": [
                    {**share.to_json("wrapped_share"), "index": share.index} for share in self.custodians
                ],
            },
            "signer_chain": [_b64(der) for der in self.signer_chain],
            "created_at": _format_time(self.created_at),
        }
        if signed:
            data["signature"] = self.signature.to_json()
        return data

    def signed_bytes(self) -> bytes:
        """What the bidder signs: ``"yingshang.envelope.v1.signed-header\\n"`` followed by the RFC 8785
        canonical JSON of every header field except ``signature``."""
        return SIGNED_PREFIX + rfc8785.dumps(self.to_json(signed=False))

    def encode(self) -> bytes:
        """Magic, version, length and the canonical JSON header: the bytes before the ciphertext."""
        body = rfc8785.dumps(self.to_json())
        if len(body) > MAX_HEADER_SIZE:
            raise EnvelopeError("invalid_argument", "the header is too large")
        return MAGIC + struct.pack(">HI", self.version, len(body)) + body

    @property
    def ciphertext_offset(self) -> int:
        """Byte offset of the first chunk in the envelope file."""
        return len(self.encode())

    @property
    def ciphertext_size(self) -> int:
        return self.plaintext_size + TAG_SIZE * self.chunk_count

    @property
    def envelope_size(self) -> int:
        """Total size of the envelope file."""
        return self.ciphertext_offset + self.ciphertext_size

    @property
    def signer_certificate(self) -> bytes:
        """The leaf of ``signer_chain`` (DER)."""
        return self.signer_chain[0]

    def chunk_length(self, index: int) -> int:
        """Ciphertext length of chunk ``index`` (including its tag)."""
        if index < self.chunk_count - 1:
            return self.chunk_size + TAG_SIZE
        return self.plaintext_size - self.chunk_size * (self.chunk_count - 1) + TAG_SIZE

    def with_signature(self, signature: Signature) -> Header:
        return replace(self, signature=signature)

    # -- parsing --------------------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Header:
        """Strict: exactly the version-1 fields, each of the right type and range."""
        if not isinstance(data, Mapping) or set(data) != _FIELDS:
            missing = sorted(_FIELDS - set(data)) if isinstance(data, Mapping) else []
            extra = sorted(set(data) - _FIELDS) if isinstance(data, Mapping) else []
            raise EnvelopeError(
                "malformed_header", f"header fields wrong (missing {missing}, unknown {extra})"
            )
        version = _int(data, "version", 0, 65535)
        if version != FORMAT_VERSION:
            raise EnvelopeError("unsupported_version", f"header version {version} is not supported")
        if data["cipher"] != CIPHER:
            raise EnvelopeError("unsupported_algorithm", f"cipher {data['cipher']!r} is not supported")
        chunk_size = _int(data, "chunk_size", MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)
        plaintext_size = _int(data, "plaintext_size", 0, MAX_SIZE)
        chunk_count = _int(data, "chunk_count", 1, MAX_SIZE)
        if chunk_count != chunk_count_for(plaintext_size, chunk_size):
            raise EnvelopeError("malformed_header", "chunk_count does not fit plaintext_size and chunk_size")
        custodians = data["custodians"]
        if not isinstance(custodians, Mapping) or set(custodians) != {"threshold", "shares"}:
            raise EnvelopeError("malformed_header", "custodians is {threshold, shares}")
        shares = _list(custodians, "shares", 0, MAX_CUSTODIANS)
        threshold = _int(custodians, "threshold", 0, MAX_CUSTODIANS)
        if (threshold == 0) != (not shares) or threshold > len(shares):
            raise EnvelopeError("malformed_header", "custodian threshold must be 1..n with shares, 0 without")
        parsed_shares = tuple(_share(item) for item in shares)
        if len({share.index for share in parsed_shares}) != len(parsed_shares):
            raise EnvelopeError("malformed_header", "custodian share indexes repeat")
        chain = _list(data, "signer_chain", 1, MAX_CHAIN)
        created_at = data["created_at"]
        if not isinstance(created_at, str) or not _TIME.match(created_at):
            raise EnvelopeError("malformed_header", "created_at is YYYY-MM-DDTHH:MM:SSZ")
        try:
            moment = datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError as exc:
            raise EnvelopeError("malformed_header", "created_at is not a valid time") from exc
        return cls(
            version=version,
            cipher=CIPHER,
            chunk_size=chunk_size,
            chunk_count=chunk_count,
            plaintext_size=plaintext_size,
            nonce_prefix=bytes.fromhex(_match(data, "nonce_prefix", _HEX8)),
            tender=_text(data, "tender"),
            lot=_text(data, "lot"),
            bidder=_text(data, "bidder"),
            ciphertext_sha256=_match(data, "ciphertext_sha256", _HEX64),
            key_commitment=bytes.fromhex(_match(data, "key_commitment", _HEX64)),
            recipients=tuple(_recipient(item) for item in _list(data, "recipients", 1, MAX_RECIPIENTS)),
            custodian_threshold=threshold,
            custodians=parsed_shares,
            signer_chain=tuple(_base64(value, "signer_chain") for value in chain),
            created_at=moment,
            signature=Signature.from_json(data["signature"]),
        )

    @classmethod
    def decode(cls, body: bytes) -> Header:
        """Parse the JSON header bytes; they must be exactly their RFC 8785 canonical form."""
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise EnvelopeError("malformed_header", "the header is not UTF-8 JSON") from exc
        header = cls.from_json(data)
        if rfc8785.dumps(header.to_json()) != body:
            raise EnvelopeError("malformed_header", "the header is not in canonical form")
        return header


SIGNED_PREFIX = b"yingshang.envelope.v1.signed-header\n"


def _int(data: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise EnvelopeError("malformed_header", f"{name} must be an integer in [{low}, {high}]")
    return value


def _list(data: Mapping[str, Any], name: str, low: int, high: int) -> list[Any]:
    value = data.get(name)
    if not isinstance(value, list) or not low <= len(value) <= high:
        raise EnvelopeError("malformed_header", f"{name} must be a list of {low} to {high} items")
    return value


def _match(data: Mapping[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not pattern.match(value):
        raise EnvelopeError("malformed_header", f"{name} must be lowercase hex of the right length")
    return value


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not valid_text(value):
        raise EnvelopeError("malformed_header", f"{name} must be 1..{MAX_TEXT_LENGTH} printable characters")
    assert isinstance(value, str)
    return value


def valid_text(value: object) -> bool:
    """Tender, lot and bidder: 1..200 characters, no control characters, no surrounding spaces."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_TEXT_LENGTH
        and value == value.strip()
        and all(ch.isprintable() for ch in value)
    )


def _base64(value: object, name: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise EnvelopeError("malformed_header", f"{name} must be base64")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeError("malformed_header", f"{name} must be base64") from exc
    return raw


def _wrapped_fields(item: object, value_name: str, extra: set[str]) -> tuple[str, bytes, bytes]:
    if not isinstance(item, Mapping) or set(item) != {"algorithm", "certificate", value_name} | extra:
        raise EnvelopeError("malformed_header", f"a wrapped key is {{algorithm, certificate, {value_name}}}")
    algorithm = item["algorithm"]
    if algorithm not in WRAP_ALGORITHMS:
        raise EnvelopeError("unsupported_algorithm", f"key-wrap algorithm {algorithm!r} is not supported")
    return algorithm, _base64(item["certificate"], "certificate"), _base64(item[value_name], value_name)


def _recipient(item: object) -> Recipient:
    algorithm, certificate, value = _wrapped_fields(item, "wrapped_key", set())
    return Recipient(algorithm, certificate, value)


def _share(item: object) -> CustodianShare:
    algorithm, certificate, value = _wrapped_fields(item, "wrapped_share", {"index"})
    assert isinstance(item, Mapping)
    return CustodianShare(algorithm, certificate, value, index=_int(item, "index", 1, 255))


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    parts = []
    remaining = size
    while remaining:
        data = stream.read(remaining)
        if not data:
            break
        parts.append(data)
        remaining -= len(data)
    return b"".join(parts)


def read_prefix(stream: BinaryIO) -> tuple[Header, bytes]:
    """Header and its raw prefix bytes (magic through JSON); the stream is left at the first chunk."""
    magic = _read_exactly(stream, len(MAGIC))
    if magic != MAGIC:
        if magic and MAGIC.startswith(magic) and len(magic) < len(MAGIC):
            raise EnvelopeError("truncated", "the file ends inside the envelope magic")
        raise EnvelopeError("not_an_envelope", "this file is not a sealed envelope (no envelope magic)")
    rest = _read_exactly(stream, PREFIX_SIZE - len(MAGIC))
    if len(rest) < PREFIX_SIZE - len(MAGIC):
        raise EnvelopeError("truncated", "the file ends inside the envelope prefix")
    version, length = struct.unpack(">HI", rest)
    if version != FORMAT_VERSION:
        raise EnvelopeError("unsupported_version", f"envelope format version {version} is not supported")
    if not 1 <= length <= MAX_HEADER_SIZE:
        raise EnvelopeError("malformed_header", f"header length {length} out of range")
    body = _read_exactly(stream, length)
    if len(body) < length:
        raise EnvelopeError("truncated", "the file ends inside the header")
    return Header.decode(body), magic + rest + body


def read_header(stream: BinaryIO) -> Header:
    """Read and parse the header (structure only: no signature, hash or key check). The stream is left
    at the first ciphertext chunk."""
    return read_prefix(stream)[0]


def header_sha256(header: Header) -> str:
    """SHA-256 (hex) of the encoded header prefix (magic through JSON)."""
    return hashlib.sha256(header.encode()).hexdigest()
