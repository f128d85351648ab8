"""Test certificates: real X.509 DER built with cryptography (RSA, P-256, Ed25519) or asn1crypto + gmalg
(SM2, signed with SM2-SM3). Self-signed: the envelope makes no trust decision."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import cache

import gmalg
from asn1crypto import algos, core, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from yingshang.envelope.signatures import PrivateKey
from yingshang.envelope.sm2 import SM2_SIGNATURE_OID, SM2_USER_ID, Sm2PrivateKey

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)


def certificate(key: PrivateKey, name: str = "Test Enterprise") -> bytes:
    """A self-signed certificate (DER) for ``key``."""
    if isinstance(key, Sm2PrivateKey):
        return sm2_certificate(key, name)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big"))
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_BEFORE + timedelta(days=3650))
    )
    algorithm = None if isinstance(key, Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.DER)


def sm2_certificate(key: Sm2PrivateKey, name: str) -> bytes:
    signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": SM2_SIGNATURE_OID})
    subject = asn1_x509.Name.build({"common_name": name})
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": 1,
            "signature": signature_algorithm,
            "issuer": subject,
            "validity": {
                "not_before": asn1_x509.Time({"utc_time": NOT_BEFORE}),
                "not_after": asn1_x509.Time({"utc_time": NOT_BEFORE + timedelta(days=3650)}),
            },
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(key.public_key().public_bytes_der()),
        }
    )
    signer = gmalg.SM2(sk=key.scalar, uid=SM2_USER_ID, pk=key.public_key().point)
    r, s = signer.sign(tbs.dump())
    value = algos.DSASignature({"r": int.from_bytes(r, "big"), "s": int.from_bytes(s, "big")}).dump()
    cert = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": signature_algorithm,
            "signature_value": core.OctetBitString(value),
        }
    )
    return bytes(cert.dump())


@cache
def rsa_key(bits: int = 2048, number: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@cache
def ec_key(number: int = 0) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(1000 + number, ec.SECP256R1())


@cache
def sm2_key(number: int = 0) -> Sm2PrivateKey:
    return Sm2PrivateKey((2000 + number).to_bytes(32, "big"))


def ed25519_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def key_of(kind: str, number: int = 0) -> PrivateKey:
    if kind == "rsa":
        return rsa_key(2048, number)
    if kind == "ec":
        return ec_key(number)
    if kind == "sm2":
        return sm2_key(number)
    raise ValueError(kind)
