"""PDF signatures the platform makes and checks: PAdES baseline B-B with pyHanko. Pure (no Django).

A signed PDF carries its signature inside the file (ISO 32000 ``/Sig`` field, sub-filter
``ETSI.CAdES.detached``, SHA-256): any PDF reader shows it in its signature panel, and anyone
holding the issuing CA's certificate can check it (``pyhanko sign validate --trust ca.pem f.pdf``).

- :func:`sign_pdf` signs with a key and certificate given as arguments; the signing time
  (``/M`` of the signature dictionary) is the caller's, normally the platform's domain clock.
  The signature field is invisible; the signature covers the whole file as signed.
- :func:`verify_pdf` checks the last signature of a PDF against the given trust roots and
  says whether it is intact, cryptographically valid, trusted, and covers the whole document.
- :func:`make_ca` and :func:`issue_document_signer` build the platform's small CA and its
  document-signing certificate with ``cryptography`` (``yingshang.kernel.keys`` stores them);
  a deployment replaces both with a certificate bought from a CA vendor.

The platform's own identity is used through ``yingshang.kernel.keys.sign_platform_pdf``.
See docs/keys.md ("Signed PDFs") and docs/adr/0012-signed-pdfs.md.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any, TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

__all__ = [
    "DOCUMENT_SIGNING_EKUS",
    "CertificateLike",
    "PdfSignatureCheck",
    "PdfSignatureError",
    "SigningKey",
    "issue_document_signer",
    "load_certificates",
    "make_ca",
    "sign_pdf",
    "verify_pdf",
]

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
#: A certificate as a ``cryptography`` object, DER bytes or PEM bytes.
CertificateLike = x509.Certificate | bytes

#: id-kp-documentSigning (RFC 9336) and Microsoft Document Signing (which Adobe Acrobat accepts).
DOCUMENT_SIGNING_EKUS = (
    ObjectIdentifier("1.3.6.1.5.5.7.3.36"),
    ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),
)

FIELD_PREFIX = "YingshangPlatformSignature"

T = TypeVar("T")


class PdfSignatureError(ValueError):
    """The PDF or the signing material cannot be used (not a PDF, wrong key for the certificate...)."""


# --- certificates -----------------------------------------------------------------------------


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in ``data``: one DER certificate or any number of PEM blocks."""
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def _certificate(value: CertificateLike) -> x509.Certificate:
    if isinstance(value, x509.Certificate):
        return value
    loaded = load_certificates(value)
    if len(loaded) != 1:
        raise PdfSignatureError(f"expected one certificate, found {len(loaded)}")
    return loaded[0]


def _name(common_name: str, organisation: str, unit: str) -> x509.Name:
    # X.509 bounds a common name at 64 characters and ``cryptography`` counts UTF-8 bytes (a CJK
    # character is 3): keep the Chinese name in CN and an English description in OU.
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _serial() -> int:
    return x509.random_serial_number()


def make_ca(
    *, common_name: str, organisation: str, unit: str = "", now: datetime, years: int = 20
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed ECDSA P-256 root CA (keyCertSign, cRLSign; path length 0).

    ``now``: the wall clock (certificate validity is security time, not domain time).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name, organisation, unit)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(_serial())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def issue_document_signer(
    *,
    ca_key: SigningKey,
    ca_certificate: x509.Certificate,
    common_name: str,
    organisation: str,
    unit: str = "",
    now: datetime,
    years: int = 5,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """An ECDSA P-256 end-entity certificate for signing documents, issued by ``ca_certificate``.

    Key usage digitalSignature + nonRepudiation (critical), extended key usage documentSigning
    (RFC 9336) and Microsoft Document Signing, not a CA.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    not_after = min(now + timedelta(days=365 * years), ca_certificate.not_valid_after_utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation, unit))
        .issuer_name(ca_certificate.subject)
        .public_key(public)
        .serial_number(_serial())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(list(DOCUMENT_SIGNING_EKUS)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, certificate


# --- pyHanko plumbing -------------------------------------------------------------------------


def _off_event_loop(function: Callable[[], T]) -> T:
    """Run ``function`` here, or in a worker thread when an event loop runs in this thread.

    pyHanko's synchronous API calls ``asyncio.run``, which refuses to run inside a running
    loop (an async view, an ASGI handler).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdfsign") as pool:
        return pool.submit(function).result()


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: SigningKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)


def _aware_utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _public_der(key: Any) -> bytes:
    return bytes(
        key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


# --- signing ----------------------------------------------------------------------------------


def sign_pdf(
    pdf: bytes,
    *,
    key: SigningKey,
    certificate: CertificateLike,
    chain: Sequence[CertificateLike],
    reason: str,
    location: str,
    signed_at: datetime,
) -> bytes:
    """``pdf`` with a PAdES B-B signature appended as an incremental update (SHA-256).

    ``chain``: the issuing certificates (intermediates, then the root), embedded in the
    signature so a reader can build the path. ``signed_at`` (aware) becomes the signature's
    claimed signing time (``/M``); B-B has no trusted time stamp, the time is the platform's word.
    Raises :class:`PdfSignatureError` if ``pdf`` is not a PDF or ``key`` does not match
    ``certificate``.
    """
    leaf = _certificate(certificate)
    if _public_der(leaf.public_key()) != _public_der(key.public_key()):
        raise PdfSignatureError("the private key does not belong to the signing certificate")
    issuers = [_certificate(item) for item in chain]
    at = _aware_utc(signed_at, "signed_at")
    return _off_event_loop(
        lambda: _sign(
            pdf, key=key, leaf=leaf, issuers=issuers, reason=reason, location=location, signed_at=at
        )
    )


def _sign(
    pdf: bytes,
    *,
    key: SigningKey,
    leaf: x509.Certificate,
    issuers: list[x509.Certificate],
    reason: str,
    location: str,
    signed_at: datetime,
) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    class _SignerAt(signers.PdfSigner):
        """pyHanko's signer with the signing time given instead of read from the system clock."""

        def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
            session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
            session.system_time = signed_at
            return session

    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        taken = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev)}
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise PdfSignatureError(f"not a readable PDF: {exc}") from exc
    number = 1
    while f"{FIELD_PREFIX}{number}" in taken:
        number += 1
    signer = signers.SimpleSigner(
        signing_cert=_asn1_certificate(leaf),
        signing_key=_asn1_key(key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_certificate(c) for c in issuers]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=f"{FIELD_PREFIX}{number}",
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    output = _SignerAt(meta, signer=signer).sign_pdf(writer)
    return bytes(output.getvalue())


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfSignatureCheck:
    """What :func:`verify_pdf` found about the last signature of a PDF.

    ``ok`` only if it is there, intact (the signed bytes are unchanged), valid (the signature
    matches the signer's certificate), trusted (the certificate chains to one of the given
    roots and was valid when checked) and covers the whole document (nothing appended after it).
    """

    signed: bool
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_document: bool
    signature_count: int = 0
    field_name: str | None = None
    signer_subject: str | None = None
    signer_fingerprint: str | None = None  # SHA-256 of the signer certificate's DER, hex
    signing_time: datetime | None = None
    reason: str | None = None
    location: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.valid and self.trusted and self.covers_whole_document


def verify_pdf(
    pdf: bytes, *, trust_roots: Sequence[CertificateLike], at: datetime | None = None
) -> PdfSignatureCheck:
    """Check the last signature of ``pdf`` against ``trust_roots`` (never raises on a bad PDF).

    ``at``: when to judge the certificates' validity (aware); the current time if omitted.
    Nothing is fetched from the network (no OCSP, no CRL download: revocation is soft-fail).
    """
    roots = [_certificate(root) for root in trust_roots]
    moment = _aware_utc(at, "at") if at is not None else None
    return _off_event_loop(lambda: _verify(pdf, roots, moment))


def _verify(pdf: bytes, roots: list[x509.Certificate], moment: datetime | None) -> PdfSignatureCheck:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    unsigned = PdfSignatureCheck(
        signed=False, intact=False, valid=False, trusted=False, covers_whole_document=False
    )
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = list(reader.embedded_regular_signatures)
    except Exception as exc:  # any parse failure: pyHanko raises many kinds
        return _replace(unsigned, problems=(f"not a readable PDF: {exc}",))
    if not signatures:
        return _replace(unsigned, problems=("the PDF carries no signature",))
    embedded = signatures[-1]
    context = ValidationContext(
        trust_roots=[_asn1_certificate(root) for root in roots],
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )
    base = _replace(unsigned, signed=True, signature_count=len(signatures), field_name=embedded.field_name)
    try:
        status = validate_pdf_signature(embedded, signer_validation_context=context)
    except Exception as exc:  # a malformed signature container, a digest that cannot be computed
        return _replace(base, problems=(f"the signature cannot be checked: {exc}",))
    signer = status.signing_cert
    coverage = status.coverage
    covers = coverage == SignatureCoverageLevel.ENTIRE_FILE
    problems: list[str] = []
    if not status.intact:
        problems.append("the signed bytes were changed after signing")
    if not status.valid:
        problems.append("the signature does not match the signer's certificate")
    if not status.trusted:
        indication = status.trust_problem_indic
        problems.append(
            "the signer's certificate does not chain to a trusted root"
            + (f" ({indication.standard_name})" if indication is not None else "")
        )
    if not covers:
        problems.append(
            "the signature does not cover the whole document"
            + (f" ({coverage.name})" if coverage is not None else "")
        )
    sig_object = embedded.sig_object
    reason = sig_object.get("/Reason")
    location = sig_object.get("/Location")
    claimed = status.signer_reported_dt
    return _replace(
        base,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        covers_whole_document=covers,
        signer_subject=signer.subject.human_friendly,
        signer_fingerprint=hashlib.sha256(signer.dump()).hexdigest(),
        signing_time=claimed.astimezone(UTC) if claimed is not None else None,
        reason=str(reason) if reason is not None else None,
        location=str(location) if location is not None else None,
        problems=tuple(problems),
    )


def _replace(check: PdfSignatureCheck, **changes: Any) -> PdfSignatureCheck:
    return replace(check, **changes)
