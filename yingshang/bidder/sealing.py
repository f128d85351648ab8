"""``seal`` and the content key file: the bid package encrypted with ``yingshang.envelope``.

The content key file (``<envelope>.key``, mode 0600) is what the bidder releases at the opening::

    {"format": "yingshang-content-key/1", "content_key": "<base64, 32 bytes>",
     "envelope_sha256": "<hex of the whole envelope file>", "ciphertext_sha256": "<hex>",
     "tender": "12", "lot": "3", "bidder": "<USCC>"}

Losing it is not fatal: the same key is wrapped to the bidder's encryption certificate inside the
envelope, so the encryption private key re-derives it (``content_key_for(..., enc_key=...)``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yingshang.bidder.errors import InputError, VerificationError
from yingshang.bidder.files import atomic_output, read_bytes, read_json, record_hash, write_json
from yingshang.bidder.packing import read_manifest
from yingshang.envelope import EnvelopeError, Header, PrivateKey, load_private_key, read_header, seal
from yingshang.envelope import check_content_key as _check_content_key
from yingshang.envelope import unwrap_content_key as _unwrap_content_key

KEY_FILE_FORMAT = "yingshang-content-key/1"
KEY_SUFFIX = ".key"
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL)


def envelope_error(exc: EnvelopeError, what: str) -> InputError:
    return InputError(f"{what}: {exc.message} ({exc.code})", code=exc.code)


def load_certificates(path: Path, what: str = "certificate") -> list[bytes]:
    """Every certificate in a PEM file (in order) or the single certificate of a DER file."""
    data = read_bytes(path, what)
    blocks = _PEM_CERT.findall(data)
    if blocks:
        try:
            return [base64.b64decode(b"".join(block.split()), validate=True) for block in blocks]
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{what} {path}: broken PEM", code="bad_certificate") from exc
    if data[:1] == b"\x30":  # a DER SEQUENCE
        return [data]
    raise InputError(f"{what} {path}: no certificate found (PEM or DER expected)", code="bad_certificate")


def load_key(path: Path, password: bytes | None = None, what: str = "private key") -> PrivateKey:
    data = read_bytes(path, what)
    try:
        return load_private_key(data, password)
    except EnvelopeError as exc:
        raise envelope_error(exc, f"{what} {path}") from exc
    except TypeError as exc:  # cryptography: a password given or missing
        raise InputError(f"{what} {path}: {exc}", code="bad_key") from exc


def key_file_for(envelope: Path) -> Path:
    return envelope.with_name(envelope.name + KEY_SUFFIX)


@dataclass(frozen=True)
class SealOutcome:
    envelope: Path
    key_file: Path
    envelope_sha256: str
    ciphertext_sha256: str
    size: int
    header: Header


def seal_package(
    package: Path,
    output: Path,
    *,
    signer_key: PrivateKey,
    signer_chain: Sequence[bytes],
    encryption_certificate: bytes,
    custodians: Sequence[bytes] = (),
    threshold: int = 0,
    overwrite: bool = False,
    key_file: Path | None = None,
) -> SealOutcome:
    """Seal ``package`` (made by ``pack``) into ``output``; write the content key file beside it.

    Tender, lot and bidder come from the package's manifest. Nothing is left under either name if
    anything fails (the key file is written, then the envelope renamed into place).
    """
    manifest = read_manifest(package)
    key_path = key_file or key_file_for(output)
    if not overwrite:
        for path in (output, key_path):
            if path.exists():
                raise InputError(f"{path} already exists (use --force to replace it)", code="exists")
    try:
        source = open(package, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"{package}: cannot read: {exc.strerror or exc}", code="unreadable") from exc
    with source, atomic_output(output) as out:
        try:
            result = seal(
                source,
                out,
                tender=str(manifest["tender"]),
                lot=str(manifest["lot"]),
                bidder=str(manifest["bidder"]),
                signer_key=signer_key,
                signer_chain=list(signer_chain),
                recipient_certificate=encryption_certificate,
                custodians=list(custodians),
                threshold=threshold,
                spool_dir=str(output.parent),
            )
        except EnvelopeError as exc:
            raise envelope_error(exc, "cannot seal") from exc
        write_json(
            key_path, key_file_json(result.content_key, result.header, result.envelope_sha256), secret=True
        )
    # ``submit`` then need not read the envelope again to learn its hash (a large bid, at the deadline).
    record_hash(output, result.envelope_sha256)
    return SealOutcome(
        envelope=output,
        key_file=key_path,
        envelope_sha256=result.envelope_sha256,
        ciphertext_sha256=result.ciphertext_sha256,
        size=result.size,
        header=result.header,
    )


def key_file_json(content_key: bytes, header: Header, envelope_sha256: str) -> dict[str, Any]:
    return {
        "format": KEY_FILE_FORMAT,
        "content_key": base64.b64encode(content_key).decode("ascii"),
        "envelope_sha256": envelope_sha256,
        "ciphertext_sha256": header.ciphertext_sha256,
        "tender": header.tender,
        "lot": header.lot,
        "bidder": header.bidder,
    }


def read_key_file(path: Path) -> bytes:
    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
        raise InputError(f"{path} is not a content key file", code="bad_key_file")
    try:
        key = base64.b64decode(str(data.get("content_key", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"{path}: the content key is not base64", code="bad_key_file") from exc
    if len(key) != 32:
        raise InputError(f"{path}: a content key is 32 bytes", code="bad_key_file")
    return key


def envelope_header(envelope: Path) -> Header:
    try:
        with open(envelope, "rb") as stream:
            return read_header(stream)
    except FileNotFoundError as exc:
        raise InputError(f"{envelope}: no such file", code="missing_file") from exc
    except OSError as exc:
        raise InputError(f"{envelope}: cannot read: {exc.strerror or exc}", code="unreadable") from exc
    except EnvelopeError as exc:
        raise envelope_error(exc, f"{envelope} is not a valid envelope") from exc


def content_key_for(
    envelope: Path, *, key_file: Path | None = None, enc_key: PrivateKey | None = None
) -> tuple[bytes, Header]:
    """The envelope's content key, from the key file or unwrapped with the encryption private key,
    checked against the envelope's key commitment."""
    header = envelope_header(envelope)
    if enc_key is not None:
        try:
            return _unwrap_content_key(header, enc_key), header
        except EnvelopeError as exc:
            raise VerificationError(
                f"the encryption key does not open {envelope}: {exc.message}", code=exc.code
            ) from exc
    path = key_file or key_file_for(envelope)
    if not path.exists():
        raise InputError(
            f"no key file {path}: give --key-file or --enc-key (the encryption private key)",
            code="missing_file",
        )
    key = read_key_file(path)
    try:
        _check_content_key(header, key)
    except EnvelopeError as exc:
        raise VerificationError(
            f"the key in {path} is not the key of {envelope} ({exc.message}); "
            "use --enc-key with the encryption private key to re-derive it",
            code=exc.code,
        ) from exc
    return key, header
