"""SM2 certificates and CRLs (GB/T 35275 style: SM2 with SM3, OID 1.2.156.10197.1.501). Pure.

``cryptography`` can neither sign nor verify SM2, so certificates and CRLs are assembled with
``asn1crypto`` and signed with ``gmalg`` (through ``yingshang.envelope``'s SM2 keys; user id
``1234567812345678``). The signature value in a certificate is the DER ``SEQUENCE {r, s}``.

Used by :mod:`yingshang.pki` (``algorithm="SM2"``) and by the trust store's own SM2 path check
(:func:`verify_signed_by`, :func:`is_sm2`), since ``pyhanko-certvalidator`` does not know SM2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import gmalg
from asn1crypto import algos, core, crl, keys, x509

from yingshang.envelope.signatures import sign
from yingshang.envelope.sm2 import (
    SM2_SIGNATURE_OID,
    SM2_USER_ID,
    Sm2PrivateKey,
    Sm2PublicKey,
    is_sm2_algorithm,
)

__all__ = [
    "SM2_SIGNATURE_OID",
    "build_certificate",
    "build_crl",
    "is_sm2",
    "sm2_public_key",
    "verify_signed_by",
]


def _algorithm() -> algos.SignedDigestAlgorithm:
    return algos.SignedDigestAlgorithm({"algorithm": SM2_SIGNATURE_OID})


def _sign(key: Sm2PrivateKey, data: bytes) -> bytes:
    raw = sign(key, data).value
    return bytes(
        algos.DSASignature(
            {"r": int.from_bytes(raw[:32], "big"), "s": int.from_bytes(raw[32:], "big")}
        ).dump()
    )


def _time(value: dt.datetime) -> x509.Time:
    value = value.astimezone(dt.UTC)
    if 1950 <= value.year < 2050:
        return x509.Time({"utc_time": value})
    return x509.Time({"general_time": value})


def build_certificate(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: Sm2PublicKey,
    signer: Sm2PrivateKey,
    serial: int,
    not_before: dt.datetime,
    not_after: dt.datetime,
    extensions: Iterable[tuple[str, object, bool]],
) -> bytes:
    """A DER certificate signed with SM2-SM3. ``extensions``: (asn1crypto name or dotted OID,
    value (asn1crypto value or DER bytes for unknown OIDs), critical)."""
    built = []
    for name, value, critical in extensions:
        if isinstance(value, bytes):
            built.append(
                x509.Extension(
                    {"extn_id": name, "critical": critical, "extn_value": core.ParsableOctetString(value)}
                )
            )
        else:
            built.append(x509.Extension({"extn_id": name, "critical": critical, "extn_value": value}))
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": _algorithm(),
            "issuer": issuer,
            "validity": x509.Validity({"not_before": _time(not_before), "not_after": _time(not_after)}),
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(public_key.public_bytes_der()),
            "extensions": built,
        }
    )
    tbs_der = tbs.dump()
    certificate = x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": _algorithm(),
            "signature_value": _sign(signer, tbs_der),
        }
    )
    return bytes(certificate.dump())


def build_crl(
    *,
    issuer: x509.Name,
    signer: Sm2PrivateKey,
    this_update: dt.datetime,
    next_update: dt.datetime,
    revoked: Iterable[tuple[int, dt.datetime]],
) -> bytes:
    """A DER CRL (v2) signed with SM2-SM3."""
    entries = [
        crl.RevokedCertificate({"user_certificate": serial, "revocation_date": _time(when)})
        for serial, when in revoked
    ]
    tbs = crl.TbsCertList(
        {
            "version": "v2",
            "signature": _algorithm(),
            "issuer": issuer,
            "this_update": _time(this_update),
            "next_update": _time(next_update),
            "revoked_certificates": entries or None,
        }
    )
    if not entries:
        del tbs["revoked_certificates"]
    tbs_der = tbs.dump()
    signed = crl.CertificateList(
        {"tbs_cert_list": tbs, "signature_algorithm": _algorithm(), "signature": _sign(signer, tbs_der)}
    )
    return bytes(signed.dump())


def is_sm2(der: bytes) -> bool:
    """Whether a DER certificate has an SM2 key or an SM2 signature."""
    try:
        certificate = x509.Certificate.load(der)
        algorithm = certificate["signature_algorithm"]["algorithm"].dotted
        key_algorithm = certificate["tbs_certificate"]["subject_public_key_info"]["algorithm"]
        return algorithm == SM2_SIGNATURE_OID or is_sm2_algorithm(key_algorithm)
    except Exception:
        return False


def sm2_public_key(certificate_der: bytes) -> Sm2PublicKey | None:
    """The SM2 public key of a certificate, or ``None`` when it has another kind of key."""
    try:
        info = x509.Certificate.load(certificate_der)["tbs_certificate"]["subject_public_key_info"]
        if not is_sm2_algorithm(info["algorithm"]):
            return None
        return Sm2PublicKey.from_spki(info)
    except Exception:
        return None


def verify_signed_by(signed_der: bytes, issuer_certificate_der: bytes, *, kind: str = "certificate") -> bool:
    """Whether a DER certificate (``kind="certificate"``) or CRL (``kind="crl"``) carries a valid
    SM2-SM3 signature by the key of ``issuer_certificate_der``."""
    public_key = sm2_public_key(issuer_certificate_der)
    if public_key is None:
        return False
    try:
        if kind == "crl":
            signed_crl = crl.CertificateList.load(signed_der)
            tbs_der = signed_crl["tbs_cert_list"].dump()
            algorithm = signed_crl["signature_algorithm"]["algorithm"].dotted
            value = bytes(signed_crl["signature"].native)
        else:
            certificate = x509.Certificate.load(signed_der)
            tbs_der = certificate["tbs_certificate"].dump()
            algorithm = certificate["signature_algorithm"]["algorithm"].dotted
            value = bytes(certificate["signature_value"].native)
        if algorithm != SM2_SIGNATURE_OID:
            return False
        parsed = algos.DSASignature.load(value)
        r = int(parsed["r"].native).to_bytes(32, "big")
        s = int(parsed["s"].native).to_bytes(32, "big")
    except Exception:
        return False
    return bool(gmalg.SM2(pk=public_key.point, uid=SM2_USER_ID).verify(tbs_der, r, s))
