"""Signatures, key loading and certificate public keys for every algorithm."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from yingshang.envelope import (
    ECDSA_P256_SHA256,
    ED25519,
    RSA_PSS_SHA256,
    SM2_SM3,
    EnvelopeError,
    Signature,
    SignatureError,
    Sm2PrivateKey,
    Sm2PublicKey,
    load_private_key,
    public_key_of_certificate,
    sign,
    signature_algorithm,
    verify,
)
from yingshang.envelope.tests.certs import certificate, ec_key, ed25519_key, key_of, rsa_key, sm2_key

DATA = b"challenge bytes \x00\xff"


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [
        (lambda: key_of("rsa"), RSA_PSS_SHA256),
        (lambda: key_of("ec"), ECDSA_P256_SHA256),
        (lambda: key_of("sm2"), SM2_SM3),
        (ed25519_key, ED25519),
    ],
)
def test_sign_verify_round_trip_through_the_certificate(key, algorithm):
    private = key()
    signature = sign(private, DATA)
    assert signature.algorithm == algorithm
    public = public_key_of_certificate(certificate(private))
    verify(public, DATA, signature)
    with pytest.raises(SignatureError) as caught:
        verify(public, DATA + b"!", signature)
    assert caught.value.code == "bad_signature"
    flipped = bytearray(signature.value)
    flipped[-1] ^= 1
    with pytest.raises(SignatureError) as caught:
        verify(public, DATA, Signature(algorithm, bytes(flipped)))
    assert caught.value.code == "bad_signature"


def test_sm2_signature_is_r_s_raw_and_json_round_trips():
    signature = sign(sm2_key(), DATA)
    assert len(signature.value) == 64
    assert Signature.from_json(signature.to_json()) == signature
    with pytest.raises(SignatureError) as caught:
        verify(sm2_key().public_key(), DATA, Signature(SM2_SM3, signature.value[:63]))
    assert caught.value.code == "bad_signature"


def test_algorithm_mismatch_is_refused():
    signature = sign(ec_key(), DATA)
    with pytest.raises(SignatureError) as caught:
        verify(sm2_key().public_key(), DATA, signature)
    assert caught.value.code == "algorithm_mismatch"
    with pytest.raises(SignatureError) as caught:
        verify(ec_key().public_key(), DATA, Signature("DSA-SHA1", signature.value))
    assert caught.value.code == "unsupported_algorithm"


def test_weak_rsa_and_other_curves_are_refused():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(SignatureError) as caught:
        sign(weak, DATA)
    assert caught.value.code == "weak_key"
    with pytest.raises(EnvelopeError) as refused:
        public_key_of_certificate(certificate(weak))
    assert refused.value.code == "weak_key"
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(SignatureError) as caught:
        signature_algorithm(p384)
    assert caught.value.code == "unsupported_algorithm"


def test_deterministic_signing_with_rng():
    first = sign(ec_key(), DATA, rng=lambda n: b"\x01" * n)
    assert first == sign(ec_key(), DATA, rng=lambda n: b"\x01" * n)
    counter = iter(range(1, 1000))
    sm2_first = sign(sm2_key(), DATA, rng=lambda n: next(counter).to_bytes(n, "big"))
    counter = iter(range(1, 1000))
    assert sm2_first == sign(sm2_key(), DATA, rng=lambda n: next(counter).to_bytes(n, "big"))


def test_sm2_keys_round_trip_pkcs8_pem_and_der():
    key = sm2_key(3)
    assert Sm2PrivateKey.from_pem(key.private_bytes_pem()) == key
    assert load_private_key(key.private_bytes_pem()) == key
    assert load_private_key(key.private_bytes_der()) == key
    public = key.public_key()
    assert Sm2PublicKey.from_der(public.public_bytes_der()) == public
    assert b"BEGIN PUBLIC KEY" in public.public_bytes_pem()
    assert "secret" in repr(key) and key.scalar.hex() not in repr(key)
    encrypted = key.private_bytes_pem(b"pass phrase")
    assert b"ENCRYPTED PRIVATE KEY" in encrypted
    assert load_private_key(encrypted, b"pass phrase") == key
    with pytest.raises(EnvelopeError) as caught:
        load_private_key(encrypted)
    assert caught.value.code == "bad_key"
    generated = Sm2PrivateKey.generate()
    assert load_private_key(generated.private_bytes_pem()) == generated


def test_sm2_sec1_key_is_accepted():
    key = sm2_key(4)
    from asn1crypto import keys

    info = keys.PrivateKeyInfo.load(key.private_bytes_der())
    ec_private = keys.ECPrivateKey.load(bytes(info["private_key"]))
    sec1 = keys.ECPrivateKey(
        {
            "version": "ecPrivkeyVer1",
            "private_key": ec_private["private_key"].native,
            "parameters": info["private_key_algorithm"]["parameters"],
            "public_key": ec_private["public_key"],
        }
    ).dump()
    assert load_private_key(sec1) == key


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_load_private_key_pem_der_and_encrypted(kind):
    key = key_of(kind)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
        plain = key.private_bytes(encoding, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        loaded = load_private_key(plain)
        assert isinstance(loaded, type(key))
        assert loaded.private_numbers() == key.private_numbers()  # type: ignore[union-attr]
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    decrypted = load_private_key(encrypted, b"secret")
    assert decrypted.private_numbers() == key.private_numbers()  # type: ignore[union-attr]
    with pytest.raises(EnvelopeError) as caught:
        load_private_key(encrypted, b"wrong")
    assert caught.value.code == "bad_key"


def test_garbage_keys_and_certificates_are_refused():
    with pytest.raises(EnvelopeError) as caught:
        load_private_key(b"not a key")
    assert caught.value.code == "bad_key"
    with pytest.raises(EnvelopeError) as caught:
        public_key_of_certificate(b"%PDF-1.7 not a certificate")
    assert caught.value.code == "bad_certificate"
    with pytest.raises(EnvelopeError) as caught:
        Sm2PublicKey(b"\x04" + b"\x01" * 64)
    assert caught.value.code == "bad_key"
    with pytest.raises(EnvelopeError):
        Sm2PrivateKey(b"\x00" * 32)


def test_certificate_public_keys_match_the_private_keys():
    assert public_key_of_certificate(certificate(sm2_key())) == sm2_key().public_key()
    ec_public = public_key_of_certificate(certificate(ec_key()))
    assert isinstance(ec_public, ec.EllipticCurvePublicKey)
    assert ec_public.public_numbers() == ec_key().public_key().public_numbers()
    rsa_public = public_key_of_certificate(certificate(rsa_key()))
    assert isinstance(rsa_public, rsa.RSAPublicKey)
    assert rsa_public.public_numbers() == rsa_key().public_key().public_numbers()
