"""The platform's own signing key: created at first set-up, never in the repository.

The key signs what the platform vouches for (ledger checkpoints, bid receipts, published records).
It is an Ed25519 private key in PKCS#8 PEM, found at ``YINGSHANG_SIGNING_KEY_PATH`` if set,
otherwise at ``<KEYS_DIR>/platform-signing-ed25519.pem``, created there with mode 0600 inside
a 0700 directory. Its public half is written beside it (``.pub.pem``) and published.
Rotation: see docs/keys.md.

PDFs are signed with a separate X.509 identity (PDF readers know no bare Ed25519 keys): see
"The document-signing identity" below and :mod:`yingshang.kernel.pdfsign`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from yingshang.kernel import clock, pdfsign

SIGNING_KEY_FILE = "platform-signing-ed25519.pem"


@dataclass(frozen=True)
class KeyInfo:
    path: Path
    public_pem: str
    key_id: str  # hex SHA-256 of the raw public key, first 16 characters


def signing_key_path() -> Path:
    override = os.environ.get("YINGSHANG_SIGNING_KEY_PATH")
    return Path(override) if override else Path(settings.KEYS_DIR) / SIGNING_KEY_FILE


def ensure_signing_key() -> KeyInfo:
    """Create the platform signing key if it does not exist; return where it is and its id."""
    path = signing_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        platform_signing_key.cache_clear()
    public = platform_signing_key().public_key()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    pub_path = path.with_suffix(".pub.pem")
    if not pub_path.exists() or pub_path.read_text() != public_pem:
        pub_path.write_text(public_pem)
    return KeyInfo(path=path, public_pem=public_pem, key_id=key_id(public))


@lru_cache(maxsize=1)
def platform_signing_key() -> Ed25519PrivateKey:
    path = signing_key_path()
    mode = path.stat().st_mode & 0o077
    if mode:
        raise PermissionError(
            f"{path} is readable by others (mode {oct(path.stat().st_mode & 0o777)}); chmod 600 it"
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{path} does not hold an Ed25519 private key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_b64() -> str:
    raw = (
        platform_signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()


# --- The document-signing identity (signed PDFs) ----------------------------------------------
#
# An X.509 certificate and its ECDSA P-256 key with which the platform signs the PDFs it
# publishes (opening records, award notices, evaluation reports): PAdES B-B, through
# ``yingshang.kernel.pdfsign``. By default a small platform CA (root) is made at first set-up
# under ``KEYS_DIR`` together with the signing certificate it issues; a deployment points the
# three ``YINGSHANG_DOCUMENT_SIGNING_*`` variables at a certificate bought from a CA vendor
# instead (nothing is then created). See docs/keys.md, "Signed PDFs".

DOCUMENT_SIGNING_KEY_FILE = "document-signing.key.pem"  # leaf private key, 0600
DOCUMENT_SIGNING_CERT_FILE = "document-signing.pem"  # leaf certificate (+ intermediates), public
DOCUMENT_SIGNING_CA_FILE = "document-signing-ca.pem"  # trust root(s), public
DOCUMENT_SIGNING_CA_KEY_FILE = "document-signing-ca.key.pem"  # platform CA key, 0600 (default only)

DOCUMENT_SIGNING_ENV = {
    "key": "YINGSHANG_DOCUMENT_SIGNING_KEY_PATH",
    "certificate": "YINGSHANG_DOCUMENT_SIGNING_CERT_PATH",
    "ca": "YINGSHANG_DOCUMENT_SIGNING_CA_PATH",
}

DOCUMENT_SIGNER_NAME = "金城市公共资源交易中心 电子签章"
DOCUMENT_SIGNER_UNIT = "Yingshang platform document signing"
DOCUMENT_SIGNING_CA_NAME = "金城市公共资源交易中心 平台根证书"
DOCUMENT_SIGNING_CA_UNIT = "Yingshang platform CA"
DOCUMENT_SIGNER_ORGANISATION = "金城市公共资源交易中心"
#: Where the platform signs (``/Location`` of every signature it makes).
DOCUMENT_SIGNING_LOCATION = "金城市公共资源交易中心 (Yingshang)"
#: A platform-made signing certificate closer than this to its end is reissued by ``setup``.
DOCUMENT_SIGNER_RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class DocumentSigningPaths:
    key: Path
    certificate: Path
    ca: Path
    ca_key: Path | None  # the platform CA's key; None when a vendor's certificate is configured

    @property
    def from_environment(self) -> bool:
        return self.ca_key is None


@dataclass(frozen=True)
class DocumentSignerInfo:
    """Where the document-signing identity is and what it is (``ensure_document_signer``)."""

    paths: DocumentSigningPaths
    subject: str  # RFC 4514 string of the signing certificate's subject
    fingerprint: str  # SHA-256 of the signing certificate (DER), hex
    ca_fingerprints: tuple[str, ...]  # SHA-256 of each trust root (DER), hex
    not_after: datetime
    created: bool  # this call made (or reissued) the signing certificate


@dataclass(frozen=True)
class DocumentSigner:
    """The loaded identity: what :func:`yingshang.kernel.pdfsign.sign_pdf` needs."""

    key: pdfsign.SigningKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # intermediates from the certificate file, then the roots
    trust_roots: tuple[x509.Certificate, ...]


def document_signing_paths() -> DocumentSigningPaths:
    """The files of the identity: the three environment paths if set, else under ``KEYS_DIR``."""
    given = {name: os.environ.get(variable, "") for name, variable in DOCUMENT_SIGNING_ENV.items()}
    if any(given.values()):
        missing = [DOCUMENT_SIGNING_ENV[name] for name, value in given.items() if not value]
        if missing:
            raise ValueError(
                "set all of "
                + ", ".join(DOCUMENT_SIGNING_ENV.values())
                + " or none of them; missing: "
                + ", ".join(missing)
            )
        return DocumentSigningPaths(
            key=Path(given["key"]), certificate=Path(given["certificate"]), ca=Path(given["ca"]), ca_key=None
        )
    folder = Path(settings.KEYS_DIR)
    return DocumentSigningPaths(
        key=folder / DOCUMENT_SIGNING_KEY_FILE,
        certificate=folder / DOCUMENT_SIGNING_CERT_FILE,
        ca=folder / DOCUMENT_SIGNING_CA_FILE,
        ca_key=folder / DOCUMENT_SIGNING_CA_KEY_FILE,
    )


def _write_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` (staged beside it, then renamed over it) with ``mode``."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(staged, mode)
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def _key_pem(key: pdfsign.SigningKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _read_private_key(path: Path) -> pdfsign.SigningKey:
    mode = path.stat().st_mode & 0o077
    if mode:
        raise PermissionError(
            f"{path} is readable by others (mode {oct(path.stat().st_mode & 0o777)}); chmod 600 it"
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise TypeError(f"{path} holds neither an ECDSA nor an RSA private key")
    return key


def _fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def ensure_document_signer() -> DocumentSignerInfo:
    """Make the document-signing identity if it is missing; check it; say where it is.

    Default (no environment paths): the platform CA (``document-signing-ca.pem`` and its key) is
    made once; the signing certificate is (re)issued by it when missing, or expired or within
    :data:`DOCUMENT_SIGNER_RENEW_BEFORE` of expiring (wall clock). Keys are written 0600 in a
    0700 directory; certificates 0644. With the environment paths nothing is written: the files
    must exist, and the key must belong to the certificate.
    """
    paths = document_signing_paths()
    created = False
    if paths.ca_key is not None:
        created = _ensure_platform_ca_and_signer(paths, paths.ca_key)
    for required in (paths.key, paths.certificate, paths.ca):
        if not required.exists():
            raise FileNotFoundError(f"document-signing file {required} does not exist")
    _load_document_signer.cache_clear()
    signer = document_signer()
    return DocumentSignerInfo(
        paths=paths,
        subject=signer.certificate.subject.rfc4514_string(),
        fingerprint=_fingerprint(signer.certificate),
        ca_fingerprints=tuple(_fingerprint(root) for root in signer.trust_roots),
        not_after=signer.certificate.not_valid_after_utc,
        created=created,
    )


def _ensure_platform_ca_and_signer(paths: DocumentSigningPaths, ca_key_path: Path) -> bool:
    now = clock.wall_now()  # certificate validity is security time, never the domain clock
    if ca_key_path.exists() and paths.ca.exists():
        ca_key = _read_private_key(ca_key_path)
        ca_certificate = pdfsign.load_certificates(paths.ca.read_bytes())[0]
    else:
        ca_key, ca_certificate = pdfsign.make_ca(
            common_name=DOCUMENT_SIGNING_CA_NAME,
            organisation=DOCUMENT_SIGNER_ORGANISATION,
            unit=DOCUMENT_SIGNING_CA_UNIT,
            now=now,
        )
        _write_file(ca_key_path, _key_pem(ca_key), 0o600)
        _write_file(paths.ca, ca_certificate.public_bytes(serialization.Encoding.PEM), 0o644)
        paths.certificate.unlink(missing_ok=True)  # a signer from an older CA is no longer valid
    if paths.certificate.exists() and paths.key.exists():
        current = pdfsign.load_certificates(paths.certificate.read_bytes())[0]
        try:
            current.verify_directly_issued_by(ca_certificate)
            issued_by_ca = True
        except (ValueError, TypeError, InvalidSignature):
            issued_by_ca = False
        if issued_by_ca and current.not_valid_after_utc - DOCUMENT_SIGNER_RENEW_BEFORE > now:
            return False
    key, certificate = pdfsign.issue_document_signer(
        ca_key=ca_key,
        ca_certificate=ca_certificate,
        common_name=DOCUMENT_SIGNER_NAME,
        organisation=DOCUMENT_SIGNER_ORGANISATION,
        unit=DOCUMENT_SIGNER_UNIT,
        now=now,
    )
    _write_file(paths.key, _key_pem(key), 0o600)
    _write_file(paths.certificate, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    return True


def document_signer(*, create: bool = True) -> DocumentSigner:
    """The loaded identity (cached until one of its files changes); with ``create`` made on first
    use when it is missing (as the receipt key is), see :func:`ensure_document_signer`; without,
    ``FileNotFoundError``."""
    paths = document_signing_paths()
    if create and not all(path.exists() for path in (paths.key, paths.certificate, paths.ca)):
        ensure_document_signer()
    stamps = tuple(_file_stamp(path) for path in (paths.key, paths.certificate, paths.ca))
    return _load_document_signer(paths.key, paths.certificate, paths.ca, stamps)


def _file_stamp(path: Path) -> tuple[int, int, int]:
    status = path.stat()
    return (status.st_ino, status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=4)
def _load_document_signer(
    key_path: Path, certificate_path: Path, ca_path: Path, _stamps: tuple[tuple[int, int, int], ...]
) -> DocumentSigner:
    key = _read_private_key(key_path)
    certificates = pdfsign.load_certificates(certificate_path.read_bytes())
    roots = tuple(pdfsign.load_certificates(ca_path.read_bytes()))
    leaf = certificates[0]
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if leaf.public_key().public_bytes(serialization.Encoding.DER, public) != key.public_key().public_bytes(
        serialization.Encoding.DER, public
    ):
        raise ValueError(f"the key in {key_path} does not belong to the certificate in {certificate_path}")
    return DocumentSigner(key=key, certificate=leaf, chain=(*certificates[1:], *roots), trust_roots=roots)


def document_signing_ca_pem() -> bytes:
    """The trust root(s) of the document-signing certificate, PEM: what the platform publishes."""
    roots = document_signer(create=False).trust_roots
    return b"".join(root.public_bytes(serialization.Encoding.PEM) for root in roots)


def document_signing_certificate_pem() -> bytes:
    """The signing certificate and its chain up to (and including) the roots, PEM."""
    signer = document_signer(create=False)
    return b"".join(
        item.public_bytes(serialization.Encoding.PEM) for item in (signer.certificate, *signer.chain)
    )


def sign_platform_pdf(
    pdf: bytes, *, reason: str, signed_at: datetime, location: str = DOCUMENT_SIGNING_LOCATION
) -> bytes:
    """``pdf`` signed by the platform (PAdES B-B); ``signed_at``: the domain clock's time of the act."""
    signer = document_signer()
    return pdfsign.sign_pdf(
        pdf,
        key=signer.key,
        certificate=signer.certificate,
        chain=signer.chain,
        reason=reason,
        location=location,
        signed_at=signed_at,
    )


def verify_platform_pdf(pdf: bytes, *, at: datetime | None = None) -> pdfsign.PdfSignatureCheck:
    """Check ``pdf``'s last signature against the platform's published document-signing root(s)."""
    return pdfsign.verify_pdf(pdf, trust_roots=document_signer().trust_roots, at=at)
