"""Wrapping a 32-byte key (the content key or a Shamir share) to a certificate's public key. Pure.

* ``RSA-OAEP-SHA256``: RSA-OAEP, SHA-256 and MGF1-SHA256, empty label; value = the OAEP ciphertext
  (modulus length). RSA >= 2048 bits.
* ``ECDH-P256-HKDF-SHA256-A256KW``: an ephemeral P-256 key ``e`` (scalar = 1 + (int(rng(40)) mod (n - 1)));
  Z = x coordinate of ECDH(e, recipient) (32 bytes);
  KEK = HKDF-SHA256(IKM = Z, salt = "yingshang.envelope.v1.ecdh-salt",
  info = "yingshang.envelope.v1.kek" || E || R, L = 32) with E and R the uncompressed ephemeral and
  recipient points (65 bytes each); value = E (65) || AES-256 key wrap (RFC 3394) of the key (40) = 105 bytes.
* ``SM2-ENC``: SM2 public-key encryption (GB/T 32918.4, SM3, KDF of the standard), ciphertext in the order
  C1 || C3 || C2 = 04 || x1 || y1 (65) || SM3 hash (32) || masked key (32) = 129 bytes.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass

import gmalg
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from yingshang.envelope.errors import EnvelopeError
from yingshang.envelope.signatures import RSA_MIN_BITS, PrivateKey, PublicKey, public_key_of_certificate
from yingshang.envelope.sm2 import Sm2PrivateKey, Sm2PublicKey, gmalg_random

__all__ = [
    "ECDH_P256_HKDF_SHA256_A256KW",
    "HKDF_INFO_PREFIX",
    "HKDF_SALT",
    "RSA_OAEP_SHA256",
    "SM2_ENC",
    "WRAP_ALGORITHMS",
    "unwrap_key",
    "wrap_algorithm",
    "wrap_key",
]

RSA_OAEP_SHA256 = "RSA-OAEP-SHA256"
ECDH_P256_HKDF_SHA256_A256KW = "ECDH-P256-HKDF-SHA256-A256KW"
SM2_ENC = "SM2-ENC"
WRAP_ALGORITHMS = (RSA_OAEP_SHA256, ECDH_P256_HKDF_SHA256_A256KW, SM2_ENC)
HKDF_SALT = b"yingshang.envelope.v1.ecdh-salt"
HKDF_INFO_PREFIX = b"yingshang.envelope.v1.kek"
WRAPPED_KEY_SIZE = 32
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass(frozen=True)
class Wrapped:
    """A key wrapped to one certificate."""

    algorithm: str
    certificate: bytes  # DER
    value: bytes

    def to_json(self, value_name: str) -> dict[str, str]:
        return {
            "algorithm": self.algorithm,
            "certificate": base64.b64encode(self.certificate).decode("ascii"),
            value_name: base64.b64encode(self.value).decode("ascii"),
        }


def wrap_algorithm(key: PublicKey | PrivateKey) -> str:
    """The key-wrap algorithm for a (public or private) key: RSA, EC P-256 or SM2."""
    if isinstance(key, Sm2PublicKey | Sm2PrivateKey):
        return SM2_ENC
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise EnvelopeError("unsupported_algorithm", f"EC curve {key.curve.name} cannot receive keys")
        return ECDH_P256_HKDF_SHA256_A256KW
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if key.key_size < RSA_MIN_BITS:
            raise EnvelopeError("weak_key", f"RSA keys need at least {RSA_MIN_BITS} bits")
        return RSA_OAEP_SHA256
    raise EnvelopeError("unsupported_algorithm", f"a {type(key).__name__} cannot receive keys")


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _kek(shared: bytes, ephemeral_point: bytes, recipient_point: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=HKDF_SALT,
        info=HKDF_INFO_PREFIX + ephemeral_point + recipient_point,
    ).derive(shared)


def wrap_key(certificate: bytes, key: bytes, *, rng: Callable[[int], bytes] | None = None) -> Wrapped:
    """Wrap the 32-byte ``key`` to the certificate's public key (algorithm from the key type).
    ``rng`` makes ECDH and SM2 wrapping reproducible (tests, vectors); RSA-OAEP is always random."""
    if len(key) != WRAPPED_KEY_SIZE:
        raise EnvelopeError("invalid_argument", "only 32-byte keys are wrapped")
    public = public_key_of_certificate(certificate)
    algorithm = wrap_algorithm(public)
    if isinstance(public, rsa.RSAPublicKey):
        value = public.encrypt(key, _oaep())
    elif isinstance(public, ec.EllipticCurvePublicKey):
        scalar = 1 + int.from_bytes((rng or os.urandom)(40), "big") % (P256_ORDER - 1)
        ephemeral = ec.derive_private_key(scalar, ec.SECP256R1())
        ephemeral_point = _point(ephemeral.public_key())
        kek = _kek(ephemeral.exchange(ec.ECDH(), public), ephemeral_point, _point(public))
        value = ephemeral_point + aes_key_wrap(kek, key)
    else:
        assert isinstance(public, Sm2PublicKey)
        value = gmalg.SM2(pk=public.point, rnd_fn=gmalg_random(rng)).encrypt(key)
    return Wrapped(algorithm, certificate, value)


def unwrap_key(wrapped: Wrapped, private_key: PrivateKey) -> bytes:
    """The 32-byte key, or ``wrong_key`` when ``private_key`` cannot open it."""
    try:
        algorithm = wrap_algorithm(private_key)
    except EnvelopeError as exc:
        raise EnvelopeError("wrong_key", exc.message) from exc
    if algorithm != wrapped.algorithm:
        raise EnvelopeError("wrong_key", f"a {algorithm} key cannot open a {wrapped.algorithm} wrapping")
    value = wrapped.value
    key: bytes | None = None
    try:
        if isinstance(private_key, rsa.RSAPrivateKey):
            key = private_key.decrypt(value, _oaep())
        elif isinstance(private_key, ec.EllipticCurvePrivateKey):
            if len(value) == 65 + 40:
                ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), value[:65])
                kek = _kek(
                    private_key.exchange(ec.ECDH(), ephemeral), value[:65], _point(private_key.public_key())
                )
                key = aes_key_unwrap(kek, value[65:])
        elif isinstance(private_key, Sm2PrivateKey) and len(value) == 65 + 32 + 32 and value[0] == 4:
            key = gmalg.SM2(sk=private_key.scalar).decrypt(value)
    except (ValueError, InvalidUnwrap):
        key = None
    except Exception:  # gmalg raises assorted errors (bad points, hash check)
        key = None
    if key is None or len(key) != WRAPPED_KEY_SIZE:
        raise EnvelopeError("wrong_key", "this private key does not open the wrapped key")
    return bytes(key)
