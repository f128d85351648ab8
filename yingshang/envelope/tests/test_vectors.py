"""docs/envelope.md's test vectors are what the code produces, and an independent reading of the
document (primitives only, no envelope code) opens them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import struct
from pathlib import Path

import rfc8785
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap

from yingshang.envelope import (
    open_envelope,
    recover_content_key,
    unwrap_content_key,
    unwrap_share,
    verify,
    verify_envelope,
)
from yingshang.envelope.signatures import Signature, public_key_of_certificate
from yingshang.envelope.vectors import BEGIN, END, VECTORS, markdown, produce, vector_key

DOC = Path(__file__).resolve().parents[3] / "docs" / "envelope.md"


def test_the_document_holds_the_current_vectors():
    document = DOC.read_text(encoding="utf-8")
    section = document[document.index(BEGIN) : document.index(END) + len(END)]
    assert section == markdown(), (
        "run: .venv/bin/python -m yingshang.envelope.vectors --write docs/envelope.md"
    )


def test_vectors_are_reproducible_and_open():
    for vector in VECTORS:
        first, envelope = produce(vector)
        _second, again = produce(vector)
        assert envelope == again
        header = verify_envelope(io.BytesIO(envelope))
        key = unwrap_content_key(header, vector_key(*vector.recipient))
        assert key == first.content_key
        out = io.BytesIO()
        open_envelope(io.BytesIO(envelope), out, content_key=key)
        assert out.getvalue() == vector.plaintext
        if vector.custodians:
            shares = [unwrap_share(header, vector_key(*spec)) for spec in vector.custodians]
            assert recover_content_key(header, shares[-vector.threshold :]) == key


def _lp(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">I", len(data)) + data


def test_an_independent_reading_of_the_document_opens_the_p256_vector():
    vector = next(v for v in VECTORS if v.name == "p256")
    _result, envelope = produce(vector)
    # Layout
    assert envelope[:8] == bytes.fromhex("895953454e560d0a")
    version, length = struct.unpack(">HI", envelope[8:14])
    assert version == 1
    body = envelope[14 : 14 + length]
    header = json.loads(body)
    assert rfc8785.dumps(header) == body
    chunks = envelope[14 + length :]
    assert hashlib.sha256(chunks).hexdigest() == header["ciphertext_sha256"]
    # Signature: prefix || JCS(header without signature), ECDSA-P256-SHA256 DER
    unsigned = {name: value for name, value in header.items() if name != "signature"}
    signed = b"yingshang.envelope.v1.signed-header\n" + rfc8785.dumps(unsigned)
    leaf = public_key_of_certificate(base64.b64decode(header["signer_chain"][0]))
    verify(
        leaf,
        signed,
        Signature(header["signature"]["algorithm"], base64.b64decode(header["signature"]["value"])),
    )
    # Key wrapping: ECDH-P256-HKDF-SHA256-A256KW
    recipient = header["recipients"][0]
    assert recipient["algorithm"] == "ECDH-P256-HKDF-SHA256-A256KW"
    wrapped = base64.b64decode(recipient["wrapped_key"])
    private = vector_key(*vector.recipient)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), wrapped[:65])
    own = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    kek = HKDF(
        hashes.SHA256(),
        32,
        b"yingshang.envelope.v1.ecdh-salt",
        b"yingshang.envelope.v1.kek" + wrapped[:65] + own,
    ).derive(private.exchange(ec.ECDH(), ephemeral))
    key = aes_key_unwrap(kek, wrapped[65:])
    # Key commitment
    nonce_prefix = bytes.fromhex(header["nonce_prefix"])
    message = (
        b"yingshang.envelope.v1.key-commitment"
        + struct.pack(">H", 1)
        + _lp("AES-256-GCM")
        + struct.pack(">I", header["chunk_size"])
        + nonce_prefix
        + _lp(header["tender"])
        + _lp(header["lot"])
        + _lp(header["bidder"])
    )
    commitment = hmac.new(key, message, hashlib.sha256).digest()
    assert commitment.hex() == header["key_commitment"]
    # Chunks
    plain, offset, size = b"", 0, header["plaintext_size"]
    for index in range(header["chunk_count"]):
        final = index == header["chunk_count"] - 1
        length = (size - header["chunk_size"] * index if final else header["chunk_size"]) + 16
        nonce = nonce_prefix + struct.pack(">Q", index)
        aad = (
            b"yingshang.envelope.v1.chunk"
            + commitment
            + struct.pack(">Q", index)
            + (b"\x01" if final else b"\x00")
        )
        plain += AESGCM(key).decrypt(nonce, chunks[offset : offset + length], aad)
        offset += length
    assert offset == len(chunks)
    assert plain == vector.plaintext
