"""Sealing, verifying and opening envelopes, streaming with bounded memory. Pure.

Content encryption (docs/envelope.md "Chunks"): AES-256-GCM under the fresh 32-byte content key K;
chunk ``i`` (0-based) uses nonce ``nonce_prefix (4) || uint64_be(i)`` and additional data
``"yingshang.envelope.v1.chunk" || key_commitment (32) || uint64_be(i) || final (1 byte: 1 on the last
chunk, else 0)``, so a chunk moved, dropped, repeated, or a stream cut at a chunk boundary fails to
authenticate. Key commitment: HMAC-SHA256 keyed with K over the envelope parameters (:func:`key_commitment`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from yingshang.envelope import shamir
from yingshang.envelope.errors import EnvelopeError
from yingshang.envelope.header import (
    CIPHER,
    DEFAULT_CHUNK_SIZE,
    FORMAT_VERSION,
    MAX_CHUNK_SIZE,
    MAX_CUSTODIANS,
    MIN_CHUNK_SIZE,
    CustodianShare,
    Header,
    Recipient,
    _read_exactly,
    chunk_count_for,
    read_prefix,
    valid_text,
)
from yingshang.envelope.shamir import Share
from yingshang.envelope.signatures import (
    ED25519,
    PrivateKey,
    public_key_of_certificate,
    sign,
    signature_algorithm,
    verify,
)
from yingshang.envelope.wrapping import unwrap_key, wrap_algorithm, wrap_key

__all__ = [
    "CONTENT_KEY_SIZE",
    "SealResult",
    "check_content_key",
    "key_commitment",
    "open_envelope",
    "recover_content_key",
    "seal",
    "unwrap_content_key",
    "unwrap_share",
    "verify_envelope",
]

Rng = Callable[[int], bytes]
CONTENT_KEY_SIZE = 32
NONCE_PREFIX_SIZE = 4
COMMITMENT_LABEL = b"yingshang.envelope.v1.key-commitment"
CHUNK_LABEL = b"yingshang.envelope.v1.chunk"
COPY_BLOCK = 1024 * 1024


@dataclass(frozen=True, repr=False)
class SealResult:
    """What :func:`seal` produced. ``size`` and ``envelope_sha256`` describe the whole envelope file
    (what the upload API wants); keep ``content_key`` secret until the opening."""

    content_key: bytes
    header: Header
    ciphertext_sha256: str
    size: int
    envelope_sha256: str

    def __repr__(self) -> str:
        return f"SealResult(size={self.size}, envelope_sha256={self.envelope_sha256!r}, content_key=<secret>)"


def _lp(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def key_commitment(
    content_key: bytes, *, tender: str, lot: str, bidder: str, chunk_size: int, nonce_prefix: bytes
) -> bytes:
    """HMAC-SHA256(key = content key, message = "yingshang.envelope.v1.key-commitment" ||
    uint16_be(version) || lp("AES-256-GCM") || uint32_be(chunk_size) || nonce_prefix (4) || lp(tender) ||
    lp(lot) || lp(bidder)), lp(s) = uint32_be(len(utf8(s))) || utf8(s). 32 bytes."""
    message = (
        COMMITMENT_LABEL
        + struct.pack(">H", FORMAT_VERSION)
        + _lp(CIPHER)
        + struct.pack(">I", chunk_size)
        + nonce_prefix
        + _lp(tender)
        + _lp(lot)
        + _lp(bidder)
    )
    return hmac.new(content_key, message, hashlib.sha256).digest()


def _commitment_of(header: Header, content_key: bytes) -> bytes:
    return key_commitment(
        content_key,
        tender=header.tender,
        lot=header.lot,
        bidder=header.bidder,
        chunk_size=header.chunk_size,
        nonce_prefix=header.nonce_prefix,
    )


def check_content_key(header: Header, content_key: bytes) -> None:
    """Raise ``commitment_mismatch`` unless ``content_key`` is the key the header commits to."""
    if not isinstance(content_key, bytes) or len(content_key) != CONTENT_KEY_SIZE:
        raise EnvelopeError("commitment_mismatch", "a content key is 32 bytes")
    if not hmac.compare_digest(_commitment_of(header, content_key), header.key_commitment):
        raise EnvelopeError("commitment_mismatch", "this key is not the key the envelope commits to")


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">Q", index)


def _aad(commitment: bytes, index: int, final: bool) -> bytes:
    return CHUNK_LABEL + commitment + struct.pack(">QB", index, 1 if final else 0)


def _read_chunk(stream: BinaryIO, size: int) -> bytes:
    return _read_exactly(stream, size)


def _check_parameters(tender: str, lot: str, bidder: str, chunk_size: int) -> None:
    for name, value in (("tender", tender), ("lot", lot), ("bidder", bidder)):
        if not valid_text(value):
            raise EnvelopeError("invalid_argument", f"{name} must be 1..200 printable characters")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise EnvelopeError("invalid_argument", f"chunk_size must be in [{MIN_CHUNK_SIZE}, {MAX_CHUNK_SIZE}]")


def _signer_check(signer_key: PrivateKey, signer_chain: Sequence[bytes]) -> None:
    if not signer_chain:
        raise EnvelopeError("invalid_argument", "signer_chain needs the signing certificate first")
    if signature_algorithm(signer_key) == ED25519:
        raise EnvelopeError("unsupported_algorithm", "Ed25519 keys do not sign envelopes")
    leaf = public_key_of_certificate(signer_chain[0])
    probe = b"yingshang.envelope.v1.key-check"
    try:
        verify(leaf, probe, sign(signer_key, probe))
    except EnvelopeError as exc:
        raise EnvelopeError("invalid_argument", "the signing key does not match signer_chain[0]") from exc


def seal(
    package: BinaryIO,
    out: BinaryIO,
    *,
    tender: str,
    lot: str,
    bidder: str,
    signer_key: PrivateKey,
    signer_chain: Sequence[bytes],
    recipient_certificate: bytes,
    custodians: Sequence[bytes] = (),
    threshold: int = 0,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    created_at: datetime | None = None,
    rng: Rng | None = None,
    spool_dir: str | None = None,
) -> SealResult:
    """Encrypt ``package`` (read to its end) into an envelope written to ``out``.

    Memory stays around two chunks whatever the package size: the ciphertext is spooled to an anonymous
    temporary file (in ``spool_dir``; unlinked at once, so nothing is left behind even on a crash), then
    the signed header and the ciphertext are written to ``out``. ``rng`` (n -> n random bytes) and
    ``created_at`` are for tests and the documented vectors only; the order in which ``rng`` is drawn is
    in docs/envelope.md. ``custodians`` (certificates, DER) with ``threshold`` k (1 <= k <= n) add a k-of-n
    Shamir backup of the content key; with no custodians ``threshold`` must be 0.
    """
    _check_parameters(tender, lot, bidder, chunk_size)
    if custodians:
        if not 1 <= threshold <= len(custodians) <= MAX_CUSTODIANS:
            raise EnvelopeError("invalid_argument", "custodian threshold must be in 1..number of custodians")
    elif threshold:
        raise EnvelopeError("invalid_argument", "a threshold needs custodians")
    _signer_check(signer_key, signer_chain)
    source: Rng = rng or os.urandom
    content_key = source(CONTENT_KEY_SIZE)
    nonce_prefix = source(NONCE_PREFIX_SIZE)
    if len(content_key) != CONTENT_KEY_SIZE or len(nonce_prefix) != NONCE_PREFIX_SIZE:
        raise EnvelopeError("invalid_argument", "the random source returned the wrong length")
    commitment = key_commitment(
        content_key, tender=tender, lot=lot, bidder=bidder, chunk_size=chunk_size, nonce_prefix=nonce_prefix
    )
    recipient = wrap_key(recipient_certificate, content_key, rng=rng)
    shares: list[CustodianShare] = []
    if custodians:
        for share, certificate in zip(
            shamir.split(content_key, threshold, len(custodians), rng=rng), custodians, strict=True
        ):
            wrapped = wrap_key(certificate, share.value, rng=rng)
            shares.append(
                CustodianShare(wrapped.algorithm, wrapped.certificate, wrapped.value, index=share.index)
            )

    aead = AESGCM(content_key)
    digest = hashlib.sha256()
    plaintext_size = 0
    index = 0
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        current = _read_chunk(package, chunk_size)
        while True:
            following = _read_chunk(package, chunk_size) if len(current) == chunk_size else b""
            final = not following
            sealed = aead.encrypt(_nonce(nonce_prefix, index), current, _aad(commitment, index, final))
            spool.write(sealed)
            digest.update(sealed)
            plaintext_size += len(current)
            index += 1
            if final:
                break
            current = following
        header = Header(
            version=FORMAT_VERSION,
            cipher=CIPHER,
            chunk_size=chunk_size,
            chunk_count=index,
            plaintext_size=plaintext_size,
            nonce_prefix=nonce_prefix,
            tender=tender,
            lot=lot,
            bidder=bidder,
            ciphertext_sha256=digest.hexdigest(),
            key_commitment=commitment,
            recipients=(Recipient(recipient.algorithm, recipient.certificate, recipient.value),),
            custodian_threshold=threshold if custodians else 0,
            custodians=tuple(shares),
            signer_chain=tuple(signer_chain),
            created_at=(created_at or datetime.now(UTC)).replace(microsecond=0),
        )
        assert index == chunk_count_for(plaintext_size, chunk_size)
        header = header.with_signature(sign(signer_key, header.signed_bytes(), rng=rng))
        prefix = header.encode()
        whole = hashlib.sha256(prefix)
        out.write(prefix)
        spool.seek(0)
        while block := spool.read(COPY_BLOCK):
            whole.update(block)
            out.write(block)
    return SealResult(
        content_key=content_key,
        header=header,
        ciphertext_sha256=header.ciphertext_sha256,
        size=len(prefix) + header.ciphertext_size,
        envelope_sha256=whole.hexdigest(),
    )


def _check_header(header: Header) -> None:
    """The checks that need keys and certificates: wrap algorithms fit their certificates, the signature
    is the leaf certificate's (no trust decision)."""
    for wrapped in (*header.recipients, *header.custodians):
        try:
            key = public_key_of_certificate(wrapped.certificate)
            fits = wrap_algorithm(key) == wrapped.algorithm
        except EnvelopeError as exc:
            raise EnvelopeError(exc.code, f"a recipient certificate: {exc.message}") from exc
        if not fits:
            raise EnvelopeError(
                "algorithm_mismatch", "a wrapped key's algorithm does not fit its certificate"
            )
    leaf = public_key_of_certificate(header.signer_certificate)
    if header.signature.algorithm == ED25519:
        raise EnvelopeError("unsupported_algorithm", "Ed25519 does not sign envelopes")
    verify(leaf, header.signed_bytes(), header.signature)


def _finish(stream: BinaryIO, digest: hashlib._Hash, header: Header) -> None:
    if stream.read(1):
        raise EnvelopeError("trailing_data", "data follows the last chunk")
    if not hmac.compare_digest(digest.hexdigest(), header.ciphertext_sha256):
        raise EnvelopeError("hash_mismatch", "the ciphertext does not match the signed hash")


def verify_envelope(stream: BinaryIO) -> Header:
    """Structure, signature (by ``signer_chain[0]``'s key, no trust decision: the server validates the
    chain), chunk framing and the streamed ciphertext SHA-256. Reads the stream to its end."""
    header, _prefix = read_prefix(stream)
    _check_header(header)
    digest = hashlib.sha256()
    for index in range(header.chunk_count):
        length = header.chunk_length(index)
        remaining = length
        while remaining:
            block = stream.read(min(remaining, COPY_BLOCK))
            if not block:
                raise EnvelopeError("truncated", f"the file ends inside chunk {index}")
            digest.update(block)
            remaining -= len(block)
    _finish(stream, digest, header)
    return header


def _diagnose(aead: AESGCM, header: Header, index: int, sealed: bytes) -> EnvelopeError:
    """Why chunk ``index`` failed: a chunk from the right envelope in the wrong place, or damage."""
    final = index == header.chunk_count - 1
    tries: list[tuple[int, bool, str]] = [(index, not final, "truncated" if final else "chunk_order")]
    for other in (index - 2, index - 1, index + 1, index + 2):
        if 0 <= other:
            tries += [(other, False, "chunk_order"), (other, True, "chunk_order")]
    for other, other_final, code in tries:
        try:
            aead.decrypt(
                _nonce(header.nonce_prefix, other), sealed, _aad(header.key_commitment, other, other_final)
            )
        except InvalidTag:
            continue
        if code == "truncated":
            return EnvelopeError("truncated", f"chunk {index} is not the last chunk: the package was cut")
        return EnvelopeError("chunk_order", f"chunk {index} is chunk {other} of this envelope: order changed")
    return EnvelopeError("tampered", f"chunk {index} does not authenticate")


def open_envelope(stream: BinaryIO, out: BinaryIO, *, content_key: bytes, check_hash: bool = True) -> Header:
    """Decrypt the envelope into ``out``. Checks the structure, the signature and the key commitment
    FIRST, then decrypts chunk by chunk (each authenticated before it is written) and finally the
    ciphertext hash and the end of file. On any error ``out`` holds a partial plaintext that the caller
    must discard. A chunk that fails is reported as ``hash_mismatch`` when the file differs from what was
    signed, else ``chunk_order``, ``truncated`` or ``tampered`` (the signer sealed it that way).

    ``check_hash=False`` skips the ciphertext SHA-256 (one pass over the bytes fewer) for a caller
    that checks the whole file's SHA-256 against a value it verified earlier (the server at the
    opening, against the receipt: the file was verified, hash included, when it was accepted); a
    failing chunk is then reported as ``chunk_order``, ``truncated`` or ``tampered`` only."""
    header, _prefix = read_prefix(stream)
    _check_header(header)
    check_content_key(header, content_key)
    aead = AESGCM(content_key)
    digest = hashlib.sha256()
    failure: EnvelopeError | None = None
    for index in range(header.chunk_count):
        length = header.chunk_length(index)
        sealed = _read_chunk(stream, length)
        if check_hash:
            digest.update(sealed)
        if len(sealed) < length:
            raise EnvelopeError("truncated", f"the file ends inside chunk {index}")
        if failure is not None:
            if not check_hash:
                break
            continue  # keep hashing: was the file changed after signing?
        final = index == header.chunk_count - 1
        try:
            plain = aead.decrypt(
                _nonce(header.nonce_prefix, index), sealed, _aad(header.key_commitment, index, final)
            )
        except InvalidTag:
            failure = _diagnose(aead, header, index, sealed)
            continue
        out.write(plain)
    if check_hash:
        _finish(stream, digest, header)
    elif failure is None and stream.read(1):
        raise EnvelopeError("trailing_data", "data follows the last chunk")
    if failure is not None:
        raise failure
    return header


def unwrap_content_key(header: Header, private_key: PrivateKey) -> bytes:
    """The content key from the recipient entry that ``private_key`` opens, checked against the
    commitment (``wrong_key`` when no entry opens, ``commitment_mismatch`` when the wrapped key is not
    the committed one)."""
    for recipient in header.recipients:
        try:
            key = unwrap_key(recipient, private_key)
        except EnvelopeError:
            continue
        check_content_key(header, key)
        return key
    raise EnvelopeError("wrong_key", "this private key opens none of the envelope's wrapped keys")


def unwrap_share(header: Header, private_key: PrivateKey) -> Share:
    """A custodian's share of the content key (``wrong_key`` when ``private_key`` opens no share)."""
    for share in header.custodians:
        try:
            value = unwrap_key(share, private_key)
        except EnvelopeError:
            continue
        return Share(share.index, value)
    raise EnvelopeError("wrong_key", "this private key opens none of the envelope's custodian shares")


def recover_content_key(header: Header, shares: Sequence[Share]) -> bytes:
    """The content key from at least ``header.custodian_threshold`` distinct shares, checked against
    the commitment (``not_enough_shares``, ``commitment_mismatch``)."""
    if header.custodian_threshold == 0:
        raise EnvelopeError("not_enough_shares", "this envelope has no custodian backup")
    distinct = {share.index: share for share in shares}
    if len(distinct) < header.custodian_threshold:
        raise EnvelopeError(
            "not_enough_shares", f"{header.custodian_threshold} shares are needed, {len(distinct)} given"
        )
    key = shamir.combine(list(distinct.values()))
    check_content_key(header, key)
    return key
