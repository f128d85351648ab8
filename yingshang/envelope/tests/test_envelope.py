"""Sealing, verifying and opening: every algorithm, every tampering, the two-keys attack."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from yingshang.envelope import (
    FORMAT_VERSION,
    MAGIC,
    EnvelopeError,
    certificate_sha256,
    check_content_key,
    key_commitment,
    open_envelope,
    read_header,
    recover_content_key,
    unwrap_content_key,
    unwrap_share,
    verify_envelope,
)
from yingshang.envelope.sealing import _aad, _nonce
from yingshang.envelope.tests.certs import certificate, ec_key, key_of, sm2_key
from yingshang.envelope.tests.helpers import (
    BIDDER,
    LOT,
    TENDER,
    chunks_of,
    fixed_rng,
    resign,
    seal_bytes,
    split_envelope,
)
from yingshang.envelope.wrapping import wrap_key

PACKAGE = bytes(range(256)) * 3 + b"tail"  # 772 bytes: 13 chunks of 64 (last one 4 bytes)


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(EnvelopeError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def open_bytes(envelope: bytes, content_key: bytes) -> bytes:
    out = io.BytesIO()
    open_envelope(io.BytesIO(envelope), out, content_key=content_key)
    return out.getvalue()


# -- round trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("signer", ["ec", "rsa", "sm2"])
@pytest.mark.parametrize("recipient", ["ec", "rsa", "sm2"])
def test_round_trip_every_signer_and_recipient(signer, recipient):
    result, envelope = seal_bytes(PACKAGE, signer=signer, recipient=recipient)
    header = verify_envelope(io.BytesIO(envelope))
    assert (header.version, header.tender, header.lot, header.bidder) == (FORMAT_VERSION, TENDER, LOT, BIDDER)
    assert header == result.header
    assert header.chunk_count == 13 and header.plaintext_size == len(PACKAGE)
    assert result.size == len(envelope) == header.envelope_size
    assert envelope.startswith(MAGIC)
    key = unwrap_content_key(header, key_of(recipient, 1))
    assert key == result.content_key
    assert open_bytes(envelope, key) == PACKAGE
    assert code_of(unwrap_content_key, header, key_of(recipient, 2)) == "wrong_key"


def test_seal_result_describes_the_file():
    import hashlib

    result, envelope = seal_bytes(PACKAGE)
    assert result.envelope_sha256 == hashlib.sha256(envelope).hexdigest()
    assert result.ciphertext_sha256 == hashlib.sha256(envelope[result.header.ciphertext_offset :]).hexdigest()
    assert "secret" in repr(result) and result.content_key.hex() not in repr(result)
    leaf = result.header.signer_certificate
    assert certificate_sha256(leaf) == hashlib.sha256(leaf).hexdigest()


def test_custodian_backup_k_of_n():
    custodians = [certificate(key_of(kind, 7), f"custodian {kind}") for kind in ("ec", "rsa", "sm2")]
    result, envelope = seal_bytes(PACKAGE, custodians=custodians, threshold=2)
    header = verify_envelope(io.BytesIO(envelope))
    assert header.custodian_threshold == 2 and [s.index for s in header.custodians] == [1, 2, 3]
    shares = [unwrap_share(header, key_of(kind, 7)) for kind in ("ec", "rsa", "sm2")]
    for pair in ([0, 1], [1, 2], [0, 2], [0, 1, 2]):
        assert recover_content_key(header, [shares[i] for i in pair]) == result.content_key
    assert code_of(recover_content_key, header, shares[:1]) == "not_enough_shares"
    assert code_of(recover_content_key, header, [shares[0], shares[0]]) == "not_enough_shares"
    assert code_of(unwrap_share, header, key_of("ec", 1)) == "wrong_key"
    assert (
        code_of(
            recover_content_key,
            result.header.__class__.from_json(
                {**header.to_json(), "custodians": {"threshold": 0, "shares": []}}
            ),
            shares,
        )
        == "not_enough_shares"
    )


def test_bad_seal_arguments():
    assert code_of(seal_bytes, b"x", tender="") == "invalid_argument"
    assert code_of(seal_bytes, b"x", lot="a\nb") == "invalid_argument"
    assert code_of(seal_bytes, b"x", chunk_size=8) == "invalid_argument"
    assert code_of(seal_bytes, b"x", threshold=1) == "invalid_argument"
    custodian = certificate(ec_key(7), "custodian")
    assert code_of(seal_bytes, b"x", custodians=[custodian], threshold=2) == "invalid_argument"
    # the signing key must be the leaf certificate's
    from yingshang.envelope import seal

    assert (
        code_of(
            seal,
            io.BytesIO(b"x"),
            io.BytesIO(),
            tender=TENDER,
            lot=LOT,
            bidder=BIDDER,
            signer_key=ec_key(0),
            signer_chain=[certificate(ec_key(5), "someone else")],
            recipient_certificate=certificate(ec_key(1)),
        )
        == "invalid_argument"
    )


@settings(max_examples=25, deadline=None)
@given(
    chunk_size=st.integers(16, 80),
    shape=st.sampled_from(["0", "1", "c-1", "c", "c+1", "2c", "2c+1"]),
    seed=st.integers(0, 255),
)
def test_chunk_boundaries(chunk_size, shape, seed):
    size = {
        "0": 0,
        "1": 1,
        "c-1": chunk_size - 1,
        "c": chunk_size,
        "c+1": chunk_size + 1,
        "2c": 2 * chunk_size,
        "2c+1": 2 * chunk_size + 1,
    }[shape]
    package = bytes((seed + i * 7) & 0xFF for i in range(size))
    result, envelope = seal_bytes(package, chunk_size=chunk_size)
    header = verify_envelope(io.BytesIO(envelope))
    assert header.chunk_count == max(1, -(-size // chunk_size))
    assert header.ciphertext_size == size + 16 * header.chunk_count
    assert open_bytes(envelope, result.content_key) == package
    # dropping the last chunk of any of them is noticed
    header, _ciphertext = split_envelope(envelope)
    assert code_of(verify_envelope, io.BytesIO(envelope[:-1])) == "truncated"


# -- not an envelope, malformed headers ---------------------------------------------------------------


def test_plain_files_are_not_envelopes():
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bid.txt", "price 100")
    for data in (pdf, buffer.getvalue(), b"", b"PK", b"\x89PNG\r\n\x1a\n...."):
        assert code_of(read_header, io.BytesIO(data)) == "not_an_envelope"
        assert code_of(verify_envelope, io.BytesIO(data)) == "not_an_envelope"
    assert code_of(read_header, io.BytesIO(MAGIC[:5])) == "truncated"


def test_prefix_and_header_problems():
    _result, envelope = seal_bytes(PACKAGE)
    offset = len(MAGIC)
    newer = envelope[:offset] + struct.pack(">H", 2) + envelope[offset + 2 :]
    assert code_of(verify_envelope, io.BytesIO(newer)) == "unsupported_version"
    assert code_of(verify_envelope, io.BytesIO(envelope[:20])) == "truncated"
    assert code_of(verify_envelope, io.BytesIO(envelope[:12])) == "truncated"
    huge = envelope[: offset + 2] + struct.pack(">I", 1 << 30) + envelope[offset + 6 :]
    assert code_of(verify_envelope, io.BytesIO(huge)) == "malformed_header"

    header, ciphertext = split_envelope(envelope)

    def with_json(data: dict, canonical: bool = False) -> bytes:
        import rfc8785

        body = rfc8785.dumps(data) if canonical else json.dumps(data).encode()
        return MAGIC + struct.pack(">HI", 1, len(body)) + body + ciphertext

    data = header.to_json()
    assert code_of(verify_envelope, io.BytesIO(with_json(data))) == "malformed_header"  # not canonical
    changes: list[dict[str, object]] = [
        {"extra": 1},
        {"chunk_count": 3},
        {"chunk_size": 4},
        {"nonce_prefix": "zz"},
        {"plaintext_size": True},
        {"recipients": []},
        {"signer_chain": []},
        {"created_at": "yesterday"},
        {"custodians": {"threshold": 1, "shares": []}},
        {"key_commitment": "AB" * 32},
        {"signature": {"algorithm": "SM2-SM3", "value": "%%%"}},
    ]
    for change in changes:
        assert (
            code_of(verify_envelope, io.BytesIO(with_json({**data, **change}, True))) == "malformed_header"
        ), change
    assert (
        code_of(verify_envelope, io.BytesIO(with_json({**data, "version": 2}, True))) == "unsupported_version"
    )
    assert (
        code_of(verify_envelope, io.BytesIO(with_json({**data, "cipher": "SM4-GCM"}, True)))
        == "unsupported_algorithm"
    )
    without = dict(data)
    del without["lot"]
    assert code_of(verify_envelope, io.BytesIO(with_json(without, True))) == "malformed_header"
    body = b"\xff\xfe not json"
    junk = MAGIC + struct.pack(">HI", 1, len(body)) + body
    assert code_of(read_header, io.BytesIO(junk)) == "malformed_header"


# -- tampering ----------------------------------------------------------------------------------------


def test_tampering_with_a_signed_header_field():
    result, envelope = seal_bytes(PACKAGE)
    needle = b'"lot":"2"'
    assert envelope.count(needle) == 1
    forged = envelope.replace(needle, b'"lot":"3"')
    assert code_of(verify_envelope, io.BytesIO(forged)) == "bad_signature"
    assert code_of(open_bytes, forged, result.content_key) == "bad_signature"
    # another signer's certificate in place of the bidder's
    header, ciphertext = split_envelope(envelope)
    other = header.__class__.from_json(
        {
            **header.to_json(),
            "signer_chain": [__import__("base64").b64encode(certificate(ec_key(9))).decode()],
        }
    )
    assert code_of(verify_envelope, io.BytesIO(other.encode() + ciphertext)) == "bad_signature"


def test_a_header_rewritten_for_another_tender_fails_the_commitment():
    """The bidder re-signs the header for another tender: the signature is good, the key commitment
    binds the content key to the original tender, so the key is refused."""
    result, envelope = seal_bytes(PACKAGE)
    header, ciphertext = split_envelope(envelope)
    moved = resign(header, ciphertext, key_of("ec"), tender="YS-2026-0099")
    assert verify_envelope(io.BytesIO(moved)).tender == "YS-2026-0099"
    assert code_of(open_bytes, moved, result.content_key) == "commitment_mismatch"
    assert (
        code_of(unwrap_content_key, read_header(io.BytesIO(moved)), key_of("ec", 1)) == "commitment_mismatch"
    )


def test_a_changed_ciphertext_byte():
    result, envelope = seal_bytes(PACKAGE)
    header, ciphertext = split_envelope(envelope)
    flipped = bytearray(ciphertext)
    flipped[100] ^= 0x01
    damaged = envelope[: header.ciphertext_offset] + bytes(flipped)
    assert code_of(verify_envelope, io.BytesIO(damaged)) == "hash_mismatch"
    assert code_of(open_bytes, damaged, result.content_key) == "hash_mismatch"
    resigned = resign(header, bytes(flipped), key_of("ec"))
    verify_envelope(io.BytesIO(resigned))  # the signer vouches for the damaged bytes...
    assert code_of(open_bytes, resigned, result.content_key) == "tampered"  # ...but they do not open


def test_swapped_duplicated_dropped_and_appended_chunks():
    result, envelope = seal_bytes(PACKAGE)
    header, ciphertext = split_envelope(envelope)
    chunks = chunks_of(header, ciphertext)
    signer = key_of("ec")

    swapped = chunks[:]
    swapped[3], swapped[4] = swapped[4], swapped[3]
    raw = header.encode() + b"".join(swapped)
    assert code_of(verify_envelope, io.BytesIO(raw)) == "hash_mismatch"
    assert code_of(open_bytes, raw, result.content_key) == "hash_mismatch"
    assert code_of(open_bytes, resign(header, b"".join(swapped), signer), result.content_key) == "chunk_order"

    duplicated = chunks[:]
    duplicated[5] = chunks[4]
    assert (
        code_of(open_bytes, resign(header, b"".join(duplicated), signer), result.content_key) == "chunk_order"
    )

    dropped = b"".join(chunks[:-1])
    assert code_of(verify_envelope, io.BytesIO(header.encode() + dropped)) == "truncated"
    assert code_of(open_bytes, header.encode() + dropped, result.content_key) == "truncated"
    # the signer shortens the header to match: the new last chunk was not sealed as the last one
    shorter = resign(header, dropped, signer, chunk_count=12, plaintext_size=12 * 64)
    verify_envelope(io.BytesIO(shorter))
    assert code_of(open_bytes, shorter, result.content_key) == "truncated"

    appended = envelope + b"\x00"
    assert code_of(verify_envelope, io.BytesIO(appended)) == "trailing_data"
    assert code_of(open_bytes, appended, result.content_key) == "trailing_data"


def test_wrong_content_key_is_refused_before_decrypting():
    result, envelope = seal_bytes(PACKAGE)
    header = read_header(io.BytesIO(envelope))
    wrong = bytes(32)
    out = io.BytesIO()
    assert code_of(open_envelope, io.BytesIO(envelope), out, content_key=wrong) == "commitment_mismatch"
    assert out.getvalue() == b""
    assert code_of(check_content_key, header, result.content_key[:16]) == "commitment_mismatch"
    check_content_key(header, result.content_key)


def test_a_wrapped_key_that_is_not_the_committed_key():
    _result, envelope = seal_bytes(PACKAGE)
    header, ciphertext = split_envelope(envelope)
    other = wrap_key(header.recipients[0].certificate, bytes(range(32)))
    recipient = header.recipients[0].__class__(other.algorithm, other.certificate, other.value)
    forged = resign(header, ciphertext, key_of("ec"), recipients=(recipient,))
    forged_header = verify_envelope(io.BytesIO(forged))
    assert code_of(unwrap_content_key, forged_header, key_of("ec", 1)) == "commitment_mismatch"


def test_wrap_algorithm_must_fit_the_certificate():
    _result, envelope = seal_bytes(PACKAGE)
    header, ciphertext = split_envelope(envelope)
    recipient = header.recipients[0]
    bent = recipient.__class__("SM2-ENC", recipient.certificate, recipient.value)
    forged = resign(header, ciphertext, key_of("ec"), recipients=(bent,))
    assert code_of(verify_envelope, io.BytesIO(forged)) == "algorithm_mismatch"


# -- the two-keys attack ------------------------------------------------------------------------------

_R = 0xE1 << 120


def _gf_mul(x: int, y: int) -> int:
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


def _gf_inverse(x: int) -> int:
    result, power, exponent = 1 << 127, x, (1 << 128) - 2  # 1 is the top bit in GCM's bit order
    while exponent:
        if exponent & 1:
            result = _gf_mul(result, power)
        power = _gf_mul(power, power)
        exponent >>= 1
    return result


def _aes_block(key: bytes, block: bytes) -> int:
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return int.from_bytes(encryptor.update(block) + encryptor.finalize(), "big")


def _blocks(data: bytes) -> list[int]:
    padded = data + b"\x00" * (-len(data) % 16)
    return [int.from_bytes(padded[i : i + 16], "big") for i in range(0, len(padded), 16)]


def _ghash(h: int, blocks: list[int]) -> int:
    y = 0
    for block in blocks:
        y = _gf_mul(y ^ block, h)
    return y


def two_key_ciphertext(key1: bytes, key2: bytes, nonce: bytes, aad: bytes) -> bytes:
    """A 32-byte GCM ciphertext with one tag valid under both keys (the "invisible salamander")."""
    h1, h2 = _aes_block(key1, bytes(16)), _aes_block(key2, bytes(16))
    j0 = nonce + b"\x00\x00\x00\x01"
    first = b"price: 1000000 fen".ljust(16)[:16]
    keystream = _aes_block(key1, nonce + b"\x00\x00\x00\x02").to_bytes(16, "big")
    c1 = bytes(a ^ b for a, b in zip(first, keystream, strict=True))
    length = int.from_bytes(struct.pack(">QQ", len(aad) * 8, 32 * 8), "big")
    base = [*_blocks(aad), int.from_bytes(c1, "big"), 0, length]
    s1, s2 = _ghash(h1, base), _ghash(h2, base)
    # the unknown block is second to last: its weight is H^2
    weight = _gf_mul(h1, h1) ^ _gf_mul(h2, h2)
    rhs = _aes_block(key1, j0) ^ _aes_block(key2, j0) ^ s1 ^ s2
    c2 = _gf_mul(rhs, _gf_inverse(weight))
    tag = _aes_block(key1, j0) ^ _ghash(h1, [*base[:-2], c2, length])
    return c1 + c2.to_bytes(16, "big") + tag.to_bytes(16, "big")


def test_gf_arithmetic_matches_aes_gcm():
    key, nonce, aad, plain = bytes(range(32)), bytes(12), b"associated", bytes(range(32))
    sealed = AESGCM(key).encrypt(nonce, plain, aad)
    h = _aes_block(key, bytes(16))
    length = int.from_bytes(struct.pack(">QQ", len(aad) * 8, len(plain) * 8), "big")
    tag = _aes_block(key, nonce + b"\x00\x00\x00\x01") ^ _ghash(
        h, [*_blocks(aad), *_blocks(sealed[:32]), length]
    )
    assert tag.to_bytes(16, "big") == sealed[32:]
    assert _gf_mul(h, _gf_inverse(h)) == 1 << 127


def test_two_keys_attack_is_refused_by_the_commitment():
    """A dishonest bidder seals one chunk that authenticates under two keys (so it could reveal either
    at the opening and choose between two plaintexts). The commitment accepts only the sealed key."""
    key1, key2 = bytes([0x11]) * 32, bytes([0x22]) * 32
    rest = fixed_rng()
    draws = iter([key1])  # the first draw is the content key (docs/envelope.md, randomness order)
    result, envelope = seal_bytes(b"x" * 32, chunk_size=32, rng=lambda n: next(draws, None) or rest(n))
    assert result.content_key == key1
    header, _ciphertext = split_envelope(envelope)
    nonce, aad = _nonce(header.nonce_prefix, 0), _aad(header.key_commitment, 0, True)
    evil = two_key_ciphertext(key1, key2, nonce, aad)
    first, second = AESGCM(key1).decrypt(nonce, evil, aad), AESGCM(key2).decrypt(nonce, evil, aad)
    assert first != second  # GCM alone accepts both keys
    forged = resign(header, evil, key_of("ec"))
    verify_envelope(io.BytesIO(forged))
    assert open_bytes(forged, key1) == first
    assert code_of(open_bytes, forged, key2) == "commitment_mismatch"
    assert (
        key_commitment(
            key2, tender=TENDER, lot=LOT, bidder=BIDDER, chunk_size=32, nonce_prefix=header.nonce_prefix
        )
        != header.key_commitment
    )


def test_sm2_signer_chain_and_ec_recipient_interplay():
    """An SM2-signed envelope verifies from the SM2 certificate alone (parsed with asn1crypto)."""
    _result, envelope = seal_bytes(b"sm2", signer="sm2", recipient="ec")
    header = verify_envelope(io.BytesIO(envelope))
    assert header.signature.algorithm == "SM2-SM3"
    assert isinstance(ec_key(1).public_key(), ec.EllipticCurvePublicKey)
    assert sm2_key().public_key().point[0] == 4
