"""Signatures and keys for envelopes, sign-in challenges and receipts. Pure.

Algorithms (docs/envelope.md "Algorithms"): ``ECDSA-P256-SHA256`` (DER signature),
``RSA-PSS-SHA256`` (RSA >= 2048 bits, MGF1-SHA256, salt 32), ``SM2-SM3`` (user id
``1234567812345678``, signature ``r || s``, 64 bytes) and ``Ed25519``. The algorithm follows from the
key type; a key that does not fit (another curve, RSA below 2048 bits) is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gmalg
from asn1crypto import pem, x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from yingshang.envelope.errors import EnvelopeError, SignatureError
from yingshang.envelope.sm2 import SM2_USER_ID, Sm2PrivateKey, Sm2PublicKey, gmalg_random, is_sm2_algorithm

__all__ = [
    "ECDSA_P256_SHA256",
    "ED25519",
    "RSA_PSS_SHA256",
    "SIGNATURE_ALGORITHMS",
    "SM2_SM3",
    "PrivateKey",
    "PublicKey",
    "Signature",
    "certificate_sha256",
    "load_private_key",
    "public_key_of_certificate",
    "sign",
    "signature_algorithm",
    "verify",
]

ECDSA_P256_SHA256 = "ECDSA-P256-SHA256"
RSA_PSS_SHA256 = "RSA-PSS-SHA256"
SM2_SM3 = "SM2-SM3"
ED25519 = "Ed25519"
SIGNATURE_ALGORITHMS = (ECDSA_P256_SHA256, RSA_PSS_SHA256, SM2_SM3, ED25519)
RSA_MIN_BITS = 2048
PSS_SALT_LENGTH = 32

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | Ed25519PrivateKey | Sm2PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | Ed25519PublicKey | Sm2PublicKey


@dataclass(frozen=True)
class Signature:
    """A signature value with its algorithm name."""

    algorithm: str
    value: bytes

    def to_json(self) -> dict[str, str]:
        """``{"algorithm": ..., "value": base64}`` (the form used in headers and the API)."""
        return {"algorithm": self.algorithm, "value": base64.b64encode(self.value).decode("ascii")}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Signature:
        if not isinstance(data, Mapping) or set(data) != {"algorithm", "value"}:
            raise EnvelopeError("malformed_header", "a signature is {algorithm, value}")
        algorithm, value = data["algorithm"], data["value"]
        if not isinstance(algorithm, str) or not isinstance(value, str):
            raise EnvelopeError("malformed_header", "a signature's algorithm and value are strings")
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise EnvelopeError("malformed_header", "a signature value is base64") from exc
        return cls(algorithm, raw)


def _public(key: PrivateKey | PublicKey) -> PublicKey:
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | Ed25519PrivateKey | Sm2PrivateKey):
        return key.public_key()
    return key


def signature_algorithm(key: PrivateKey | PublicKey) -> str:
    """The signature algorithm name for ``key`` (private or public); refuses keys that do not fit."""
    public = _public(key)
    if isinstance(public, Sm2PublicKey):
        return SM2_SM3
    if isinstance(public, Ed25519PublicKey):
        return ED25519
    if isinstance(public, ec.EllipticCurvePublicKey):
        if not isinstance(public.curve, ec.SECP256R1):
            raise SignatureError("unsupported_algorithm", f"EC curve {public.curve.name} is not supported")
        return ECDSA_P256_SHA256
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < RSA_MIN_BITS:
            raise SignatureError("weak_key", f"RSA keys need at least {RSA_MIN_BITS} bits")
        return RSA_PSS_SHA256
    raise SignatureError("unsupported_algorithm", f"unsupported key type {type(public).__name__}")


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH)


def sign(private_key: PrivateKey, data: bytes, *, rng: Callable[[int], bytes] | None = None) -> Signature:
    """Sign ``data``. With ``rng`` (tests and vectors only) signing is reproducible: ECDSA uses RFC 6979
    deterministic nonces, SM2 draws its nonce from ``rng``; RSA-PSS salts always come from the OS."""
    algorithm = signature_algorithm(private_key)
    if isinstance(private_key, Sm2PrivateKey):
        signer = gmalg.SM2(
            sk=private_key.scalar,
            uid=SM2_USER_ID,
            pk=private_key.public_key().point,
            rnd_fn=gmalg_random(rng),
        )
        r, s = signer.sign(data)
        return Signature(algorithm, r.rjust(32, b"\x00") + s.rjust(32, b"\x00"))
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        ecdsa = ec.ECDSA(hashes.SHA256(), deterministic_signing=rng is not None)
        return Signature(algorithm, private_key.sign(data, ecdsa))
    if isinstance(private_key, rsa.RSAPrivateKey):
        return Signature(algorithm, private_key.sign(data, _pss(), hashes.SHA256()))
    if isinstance(private_key, Ed25519PrivateKey):
        return Signature(algorithm, private_key.sign(data))
    raise SignatureError("unsupported_algorithm", "not a private key")  # pragma: no cover


def verify(public_key: PublicKey, data: bytes, signature: Signature) -> None:
    """Check ``signature`` over ``data``; raises :class:`SignatureError` (``bad_signature``,
    ``algorithm_mismatch``, ``unsupported_algorithm``, ``weak_key``)."""
    if signature.algorithm not in SIGNATURE_ALGORITHMS:
        raise SignatureError("unsupported_algorithm", f"unknown signature algorithm {signature.algorithm!r}")
    algorithm = signature_algorithm(public_key)
    if signature.algorithm != algorithm:
        raise SignatureError(
            "algorithm_mismatch", f"a {algorithm} key cannot check a {signature.algorithm} signature"
        )
    try:
        if isinstance(public_key, Sm2PublicKey):
            value = signature.value
            ok = len(value) == 64 and bool(
                gmalg.SM2(pk=public_key.point, uid=SM2_USER_ID).verify(data, value[:32], value[32:])
            )
            if not ok:
                raise InvalidSignature
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature.value, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature.value, data, _pss(), hashes.SHA256())
        else:
            public_key.verify(signature.value, data)
    except (InvalidSignature, ValueError) as exc:
        raise SignatureError("bad_signature", "the signature does not verify") from exc


def _der(data: bytes) -> bytes:
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            _kind, _headers, der = pem.unarmor(data.lstrip())
        except Exception as exc:
            raise EnvelopeError("bad_key", "malformed PEM") from exc
        return bytes(der)
    return data


def certificate_sha256(der: bytes) -> str:
    """The certificate fingerprint used everywhere: SHA-256 of the DER, lowercase hex."""
    return hashlib.sha256(der).hexdigest()


def public_key_of_certificate(der: bytes) -> PublicKey:
    """The subject public key of an X.509 certificate (DER): RSA, EC P-256, Ed25519 or SM2.

    Only parses; no validity, usage or trust decision. Raises ``bad_certificate`` or ``bad_key``.
    """
    try:
        certificate = x509.Certificate.load(der)
        info = certificate["tbs_certificate"]["subject_public_key_info"]
        algorithm = info["algorithm"]
        algorithm.native  # noqa: B018 - forces the parse
        spki = bytes(info.dump())
    except Exception as exc:
        raise EnvelopeError("bad_certificate", "not a DER X.509 certificate") from exc
    if is_sm2_algorithm(algorithm):
        return Sm2PublicKey.from_spki(info)
    try:
        key = serialization.load_der_public_key(spki)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise EnvelopeError("bad_key", "unsupported or malformed certificate public key") from exc
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | Ed25519PublicKey):
        raise EnvelopeError("unsupported_algorithm", f"unsupported key type {type(key).__name__}")
    signature_algorithm(key)
    return key


def load_private_key(pem_or_der: bytes, password: bytes | None = None) -> PrivateKey:
    """Load an RSA, EC P-256 or Ed25519 key (PEM or DER, PKCS#8/PKCS#1/SEC1, optionally encrypted)
    through ``cryptography``, or an SM2 key (PKCS#8, PBES2-encrypted with ``password``, or SEC1 naming
    the SM2 curve).
    Raises ``bad_key``, ``unsupported_algorithm`` or ``weak_key``."""
    der = _der(pem_or_der)
    try:
        key = serialization.load_der_private_key(der, password)
    except (ValueError, UnsupportedAlgorithm, TypeError) as exc:
        try:
            return Sm2PrivateKey.from_der(der, password)
        except EnvelopeError as sm2_error:
            if isinstance(exc, UnsupportedAlgorithm):  # cryptography read it but knows no SM2
                raise sm2_error from exc
            raise EnvelopeError("bad_key", f"cannot load the private key ({exc})") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | Ed25519PrivateKey):
        raise EnvelopeError("unsupported_algorithm", f"unsupported key type {type(key).__name__}")
    signature_algorithm(key)
    return key
