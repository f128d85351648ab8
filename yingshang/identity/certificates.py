"""Certificate validation against the trust store (CA mutual recognition). Reads; writes nothing.

:func:`validate_certificate` decides whether an enterprise certificate chain is acceptable for a
usage at a moment, and which registered organisation it belongs to:

1. the chain parses (DER, leaf first) and the leaf is not a CA certificate (``bad_chain``);
2. a path is built from the leaf to a root in the trust store, through intermediates given in
   the chain or held in the store, and validated with ``pyhanko-certvalidator`` (signatures,
   validity periods, basic constraints) at ``at``: ``unknown_ca``, ``expired``,
   ``not_yet_valid``, ``bad_chain``;
3. revocation: the newest imported CRL of each CA is given to the validator; when the leaf's
   issuer has a CRL, a fresh one is *required* (a CRL past its next update refuses the
   certificate: ``revocation_unknown``); a listed serial is ``revoked``. Intermediate CAs are
   also checked against their issuer's stored CRL;
4. no CA on the path is retired (``retired_ca``);
5. the leaf's key usage fits ``usage`` (``wrong_usage``): ``signing`` needs digitalSignature or
   nonRepudiation, ``encryption`` keyEncipherment or keyAgreement (a leaf without a KeyUsage
   extension is refused);
6. the credit code is read where the nearest stored CA's rule says (``no_uscc`` when absent or
   invalid), the organisation is found by it (``unknown_enterprise``) and the certificate's
   subject organisation name must equal the registered name (``name_mismatch``; A-12/13),
   compared after removing spaces and folding full-width brackets.

Time is the wall clock (security time) unless ``at`` is given (e.g. a bid's arrival time).
SM2 certificates go through our own path check (pyhanko-certvalidator does not know SM2): signatures,
CA basic constraints and path-length constraints, name constraints (directory names, DNS names and
e-mail addresses, RFC 5280 4.2.1.10), validity and stored CRLs. A critical extension the check
does not process (policy constraints, policy mappings, inhibit anyPolicy, critical certificate
policies, anything unknown) refuses the chain (RFC 5280 4.2), so nothing is silently ignored.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import re
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID
from django.db import connection
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as pkix_errors
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from yingshang.identity.models import CertificateAuthority, Organisation, RevocationList
from yingshang.kernel import clock
from yingshang.kernel.identifiers import InvalidIdentifier, check_uscc
from yingshang.kernel.text import Text
from yingshang.pki import UsccRule, fingerprint, read_uscc, sm2

__all__ = [
    "CODES",
    "USAGES",
    "CertificateCheck",
    "CertificateRejected",
    "Usage",
    "normalise_name",
    "parse_certificate",
    "validate_certificate",
]

Usage = Literal["signing", "encryption"]
USAGES: tuple[str, ...] = ("signing", "encryption")

#: Every refusal code with its message (zh-hans first). ``detail`` is filled when known.
CODES: dict[str, Text] = {
    "bad_chain": Text(
        zh="证书链无法解析或校验失败：%(detail)s",
        en="The certificate chain cannot be read or does not verify: %(detail)s",
    ),
    "unknown_ca": Text(
        zh="证书不是由平台信任的 CA 签发的（未在互认 CA 名录中）。",
        en="The certificate was not issued by a CA the platform trusts (not in the trust store).",
    ),
    "expired": Text(
        zh="证书已过期（有效期至 %(detail)s）。请向 CA 申请更新证书。",
        en="The certificate has expired (valid until %(detail)s). Ask your CA to renew it.",
    ),
    "not_yet_valid": Text(
        zh="证书尚未生效（自 %(detail)s 起有效）。",
        en="The certificate is not valid yet (valid from %(detail)s).",
    ),
    "revoked": Text(
        zh="证书已被 CA 吊销。",
        en="The certificate has been revoked by its CA.",
    ),
    "revocation_unknown": Text(
        zh="无法确认证书是否被吊销：平台持有的该 CA 吊销列表已过期，请联系交易中心更新。",
        en="Whether the certificate is revoked cannot be established: the CA's revocation list "
        "held by the platform is out of date; ask the trading centre to import a new one.",
    ),
    "wrong_usage": Text(
        zh="证书的密钥用途不符：此处需要%(detail)s证书。",
        en="The certificate's key usage does not fit: a %(detail)s certificate is needed here.",
    ),
    "no_uscc": Text(
        zh="证书中没有有效的统一社会信用代码：%(detail)s",
        en="The certificate carries no valid unified social credit code: %(detail)s",
    ),
    "unknown_enterprise": Text(
        zh="证书所载统一社会信用代码 %(detail)s 未在平台登记（或主体已停用）。",
        en="The credit code %(detail)s in the certificate is not registered on the platform "
        "(or the organisation is inactive).",
    ),
    "name_mismatch": Text(
        zh="证书主体名称“%(detail)s”与平台登记的主体名称不一致。",
        en="The certificate's subject name “%(detail)s” differs from the registered organisation name.",
    ),
    "retired_ca": Text(
        zh="签发该证书的 CA（%(detail)s）已停止互认。",
        en="The CA that issued the certificate (%(detail)s) is no longer recognised.",
    ),
}

_USAGE_NAMES = {
    "signing": Text(zh="签名", en="signing"),
    "encryption": Text(zh="加密", en="encryption"),
}


class CertificateRejected(Exception):
    """A certificate refused with a stable ``code`` (one of :data:`CODES`) and a bilingual message."""

    def __init__(self, code: str, message: Text) -> None:
        if code not in CODES:  # pragma: no cover - programming error
            raise ValueError(f"unknown certificate refusal code {code!r}")
        self.code = code
        self.message = message
        super().__init__(str(message))

    def __str__(self) -> str:
        return str(self.message)


def _reject(code: str, detail: object = "") -> CertificateRejected:
    template = CODES[code]
    detail_text = detail if isinstance(detail, Text) else None
    if detail_text is not None:
        message = Text(
            zh=template.zh % {"detail": detail_text.zh} if "%(detail)s" in template.zh else template.zh,
            en=template.en % {"detail": detail_text.en} if "%(detail)s" in template.en else template.en,
        )
    else:
        params = {"detail": str(detail)} if "%(detail)s" in template.zh else {}
        message = Text(zh=template.zh, en=template.en, params=params)
    return CertificateRejected(code, message)


@dataclass(frozen=True)
class CertificateCheck:
    """An accepted certificate: who it belongs to and what it is."""

    fingerprint: str
    subject: str
    uscc: str
    organisation_id: int
    organisation_name: str
    authority: str
    algorithm: str
    not_before: datetime
    not_after: datetime
    usage: str = "signing"
    serial: str = ""
    authority_id: int = 0


def parse_certificate(der: bytes) -> x509.Certificate:
    """A DER (or PEM) certificate, or ``CertificateRejected('bad_chain')``."""
    try:
        if der.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(der)
        return x509.load_der_x509_certificate(der)
    except (ValueError, TypeError) as exc:
        raise _reject("bad_chain", Text(zh="不是 X.509 证书。", en="not an X.509 certificate.")) from exc


def _der(certificate: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return certificate.public_bytes(serialization.Encoding.DER)


_BRACKETS = str.maketrans({"（": "(", "）": ")", "　": " "})


def normalise_name(name: str) -> str:
    """A name for comparison: full-width brackets folded, all white space removed, case-folded."""
    return re.sub(r"\s+", "", (name or "").translate(_BRACKETS)).casefold()


def _subject_organisation(certificate: x509.Certificate) -> str:
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        for attribute in certificate.subject.get_attributes_for_oid(oid):
            value = attribute.value
            text = value.decode() if isinstance(value, bytes) else str(value)
            if text.strip():
                return text.strip()
    return ""


def _algorithm(certificate: x509.Certificate) -> str:
    if sm2.is_sm2(_der(certificate)):
        return "SM2"
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ECDSA-P256" if isinstance(key.curve, ec.SECP256R1) else f"EC-{key.curve.name}"
    return type(key).__name__


def _usage_fits(certificate: x509.Certificate, usage: str) -> bool:
    try:
        key_usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    if usage == "signing":
        return bool(key_usage.digital_signature or key_usage.content_commitment)
    return bool(key_usage.key_encipherment or key_usage.key_agreement)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


T = TypeVar("T")


_thread_loop = threading.local()


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, also when this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        # This thread's own loop, kept from one validation to the next (a new loop each time
        # costs more than the path check itself).
        loop: asyncio.AbstractEventLoop | None = getattr(_thread_loop, "loop", None)
        if loop is None or loop.is_closed():
            loop = _thread_loop.loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(coroutine)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _latest_crls(at: datetime, crls: Sequence[RevocationList] | None = None) -> dict[int, RevocationList]:
    """The newest CRL of each CA issued at or before ``at`` (else its newest one); of ``crls``
    (ordered by CA, newest first) or of the database's."""
    if crls is None:
        crls = list(RevocationList.objects.order_by("authority_id", "-this_update", "-id"))
    latest: dict[int, RevocationList] = {}
    for crl in crls:
        current = latest.get(crl.authority_id)
        if current is None or (current.this_update > at >= crl.this_update):
            latest[crl.authority_id] = crl
    return latest


# --- the trust store, read once per change ----------------------------------------------------
#
# Every validation needs the stored CAs and CRLs (certificates and CRLs as DER, parsed). They
# change rarely (a CA added or retired, a CRL imported), but a change must bite at once: each
# validation reads the store's *version* (every column of every CA and CRL row except the DER
# bytes, which their SHA-256 fingerprints stand for) and reuses the rows and their parsed forms
# only while that version is unchanged. Nothing else is cached: the path (signatures, validity at
# the moment asked, revocation against the CRLs of that moment, freshness of the leaf issuer's
# CRL) is validated every time.


def _version_fields(model: type[Any], *blobs: str) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields if field.name not in blobs)


_CA_VERSION = _version_fields(CertificateAuthority, "certificate")  # the fingerprint stands for it
_CRL_VERSION = _version_fields(RevocationList, "crl", "revoked_serials")


@dataclass(frozen=True)
class _Store:
    version: tuple[Any, ...]
    authorities: tuple[CertificateAuthority, ...]  # by id
    crls: tuple[RevocationList, ...]  # by CA, newest first
    parsed: dict[int, x509.Certificate]  # CA id -> certificate (immutable, shared by threads)


_store_cache: _Store | None = None
_store_lock = threading.Lock()
#: asn1crypto parses lazily, in place: its objects stay with one thread (version, id) -> object.
_thread_parsed = threading.local()


def _version_sql(model: type[Any], fields: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    table, key = quote(model._meta.db_table), quote(model._meta.pk.column)
    return f"SELECT {columns} FROM {table} ORDER BY {key}"  # noqa: S608 -- names from the model


def _store_version() -> tuple[Any, ...]:
    """Every CA and CRL row but their DER bytes (two small queries, no ORM on this hot path)."""
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(CertificateAuthority, _CA_VERSION))
        authorities = tuple(map(tuple, cursor.fetchall()))
        cursor.execute(_version_sql(RevocationList, _CRL_VERSION))
        crls = tuple(map(tuple, cursor.fetchall()))
    return (connection.alias, authorities, crls)


def _trust_store() -> _Store:
    """The stored CAs and CRLs, read again whenever any of their rows changed."""
    global _store_cache  # noqa: PLW0603 -- one snapshot per process, replaced on change
    version = _store_version()
    with _store_lock:
        cached = _store_cache
    if cached is not None and cached.version == version:
        return cached
    # Read after the version: a change in between leaves rows newer than the version they are
    # kept under, so the next validation reads them again (never older rows under a newer one).
    authorities = tuple(CertificateAuthority.objects.order_by("pk"))
    crls = tuple(RevocationList.objects.order_by("authority_id", "-this_update", "-id"))
    store = _Store(
        version=version,
        authorities=authorities,
        crls=crls,
        parsed={a.pk: parse_certificate(bytes(a.certificate)) for a in authorities},
    )
    with _store_lock:
        _store_cache = store
    return store


def _asn1_certificate(store: _Store, authority: CertificateAuthority) -> asn1_x509.Certificate:
    return _thread_object(
        store, ("ca", authority.pk), lambda: asn1_x509.Certificate.load(bytes(authority.certificate))
    )


def _asn1_crl(store: _Store, crl: RevocationList) -> asn1_crl.CertificateList:
    return _thread_object(store, ("crl", crl.pk), lambda: asn1_crl.CertificateList.load(bytes(crl.crl)))


def _thread_object(store: _Store, key: tuple[str, int], load: Callable[[], T]) -> T:
    held: dict[tuple[str, int], Any] | None = getattr(_thread_parsed, "objects", None)
    if held is None or getattr(_thread_parsed, "version", None) is not store.version:
        held = {}
        _thread_parsed.objects, _thread_parsed.version = held, store.version
    if key not in held:
        held[key] = load()
    return held[key]


def forget_trust_store() -> None:
    """Drop the remembered trust store (tests); the next validation reads it again."""
    global _store_cache  # noqa: PLW0603
    with _store_lock:
        _store_cache = None
    _thread_parsed.__dict__.clear()


def _friendly(moment: datetime) -> str:
    return clock.to_shanghai(moment).strftime("%Y-%m-%d %H:%M") + " (UTC+8)"


@dataclass(frozen=True)
class _Link:
    certificate: x509.Certificate
    der: bytes
    stored: CertificateAuthority | None


def _find_issuer(current: _Link, pool: list[_Link]) -> _Link | None:
    found: _Link | None = None
    for candidate in pool:
        if (
            candidate.certificate.subject == current.certificate.issuer
            and _is_ca(candidate.certificate)
            and sm2.verify_signed_by(current.der, candidate.der)
        ):
            if candidate.stored is not None:
                return candidate
            found = found or candidate
    return found


#: Extensions the SM2 path check processes; a critical extension outside this set refuses the chain.
_SM2_UNDERSTOOD = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.NAME_CONSTRAINTS,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    }
)
_PATH_TOO_LONG = Text(
    zh="证书链超出了 CA 证书的路径长度限制。",
    en="the chain is longer than a CA's path length constraint allows.",
)
_OUTSIDE_NAME_CONSTRAINTS = Text(
    zh="证书名称不在 CA 证书的名称约束范围内。", en="a certificate's name is outside a CA's name constraints."
)


def _names(certificate: x509.Certificate) -> list[tuple[str, object]]:
    """The certificate's names as (kind, value): its subject and its subject alternative names."""
    found: list[tuple[str, object]] = []
    if len(certificate.subject.rdns):
        found.append(("dn", certificate.subject))
    try:
        alternatives = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return found
    for name in alternatives:
        if isinstance(name, x509.DNSName):
            found.append(("dns", name.value))
        elif isinstance(name, x509.RFC822Name):
            found.append(("email", name.value))
        elif isinstance(name, x509.DirectoryName):
            found.append(("dn", name.value))
        else:
            found.append((type(name).__name__, name))
    return found


def _within(kind: str, name: object, base: x509.GeneralName) -> bool | None:
    """Whether ``name`` lies in the subtree ``base`` (None: ``base`` is of another kind)."""
    if kind == "dn" and isinstance(base, x509.DirectoryName) and isinstance(name, x509.Name):
        prefix = list(base.value.rdns)
        return list(name.rdns)[: len(prefix)] == prefix
    if kind == "dns" and isinstance(base, x509.DNSName) and isinstance(name, str):
        host, root = name.lower().rstrip("."), base.value.lower().rstrip(".")
        if root.startswith("."):
            return host.endswith(root)
        return host == root or host.endswith("." + root)
    if kind == "email" and isinstance(base, x509.RFC822Name) and isinstance(name, str):
        mailbox, constraint = name.lower(), base.value.lower()
        if "@" in constraint:
            return mailbox == constraint
        domain = mailbox.rpartition("@")[2]
        if constraint.startswith("."):
            return domain.endswith(constraint)
        return domain == constraint
    if kind not in ("dn", "dns", "email") and type(base).__name__ == kind:
        return False  # a constraint on a kind of name we do not evaluate: fail closed
    return None


def _name_allowed(constraints: x509.NameConstraints, kind: str, name: object) -> bool:
    if any(_within(kind, name, base) for base in constraints.excluded_subtrees or ()):
        return False
    permitted = [_within(kind, name, base) for base in constraints.permitted_subtrees or ()]
    applicable = [result for result in permitted if result is not None]
    return not applicable or any(applicable)


def _sm2_constraints(path: list[_Link]) -> None:
    """Critical extensions, path-length and name constraints along ``path`` (leaf first, root
    last); raises :class:`CertificateRejected` (``bad_chain``)."""
    for link in path:
        for extension in link.certificate.extensions:
            if extension.critical and extension.oid not in _SM2_UNDERSTOOD:
                oid = extension.oid.dotted_string
                raise _reject(
                    "bad_chain",
                    Text(
                        zh=f"证书含有本平台不处理的关键扩展（{oid}）。",
                        en=f"a certificate carries a critical extension this platform does not process ({oid}).",
                    ),
                )
    for position in range(1, len(path)):
        authority = path[position].certificate
        between = [link for link in path[1:position] if link.certificate.issuer != link.certificate.subject]
        try:
            basic = authority.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:  # pragma: no cover - _find_issuer takes CAs only
            raise _reject("bad_chain") from None
        if basic.path_length is not None and len(between) > basic.path_length:
            raise _reject("bad_chain", _PATH_TOO_LONG)
        try:
            constraints = authority.extensions.get_extension_for_class(x509.NameConstraints).value
        except x509.ExtensionNotFound:
            continue
        for index, link in enumerate(path[:position]):
            # Self-issued intermediates are exempt; the leaf never is (RFC 5280 6.1.3 (b)).
            if index > 0 and link.certificate.issuer == link.certificate.subject:
                continue
            for kind, name in _names(link.certificate):
                if not _name_allowed(constraints, kind, name):
                    raise _reject("bad_chain", _OUTSIDE_NAME_CONSTRAINTS)


def _sm2_stored_path(
    certificates: list[x509.Certificate], leaf_der: bytes, moment: datetime
) -> list[CertificateAuthority]:
    """Our own path check for SM2 certificates (pyhanko-certvalidator does not know SM2): each
    SM2-SM3 signature up to a stored root, CA basic constraints, critical extensions, path-length
    and name constraints, validity periods at ``moment``, and the stored CRLs (a stale CRL of the
    leaf's issuer: ``revocation_unknown``)."""
    store = _trust_store()
    pool = [_Link(store.parsed[a.pk], bytes(a.certificate), a) for a in store.authorities]
    pool += [_Link(c, _der(c), None) for c in certificates[1:]]
    path = [_Link(certificates[0], leaf_der, None)]
    for _depth in range(6):
        issuer = _find_issuer(path[-1], pool)
        if issuer is None or issuer in path:
            raise _reject("unknown_ca")
        path.append(issuer)
        if issuer.certificate.issuer == issuer.certificate.subject:
            if issuer.stored is None or issuer.stored.level != CertificateAuthority.Level.ROOT:
                raise _reject("unknown_ca")
            break
    else:
        raise _reject("bad_chain", Text(zh="证书链过长。", en="the chain is too long."))
    _sm2_constraints(path)
    for link in path:
        if moment > link.certificate.not_valid_after_utc:
            raise _reject("expired", _friendly(link.certificate.not_valid_after_utc))
        if moment < link.certificate.not_valid_before_utc:
            raise _reject("not_yet_valid", _friendly(link.certificate.not_valid_before_utc))
    crls = _latest_crls(moment, store.crls)
    for position, (child, parent) in enumerate(itertools.pairwise(path)):
        revocation_list = crls.get(parent.stored.pk) if parent.stored is not None else None
        if revocation_list is None:
            continue
        if format(child.certificate.serial_number, "x") in revocation_list.revoked_serials:
            raise _reject("revoked")
        if position == 0 and revocation_list.next_update is not None and revocation_list.next_update < moment:
            raise _reject("revocation_unknown")
    return [link.stored for link in path[1:] if link.stored is not None]


def _stored_path(
    certificates: list[x509.Certificate], leaf_der: bytes, moment: datetime
) -> list[CertificateAuthority]:
    """Validate the path at ``moment`` (pyhanko-certvalidator, with the stored CRLs); returns the
    stored CAs on it, nearest to the leaf first. Raises :class:`CertificateRejected`."""
    leaf = certificates[0]
    store = _trust_store()
    authorities = store.authorities
    by_fingerprint = {authority.fingerprint: authority for authority in authorities}
    crls = _latest_crls(moment, store.crls)
    leaf_issuer = leaf.issuer.rfc4514_string()
    issuer_has_crl = any(
        authority.subject == leaf_issuer and authority.pk in crls for authority in authorities
    )
    roots = [_asn1_certificate(store, a) for a in authorities if a.level == "root"]
    others = [_asn1_certificate(store, a) for a in authorities if a.level != "root"]
    others += [asn1_x509.Certificate.load(_der(c)) for c in certificates[1:]]
    policy = CertRevTrustPolicy(
        RevocationCheckingPolicy(
            ee_certificate_rule=(
                RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
                if issuer_has_crl
                else RevocationCheckingRule.CHECK_IF_DECLARED
            ),
            intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
        )
    )
    if not roots:
        raise _reject("unknown_ca")
    context = ValidationContext(
        trust_roots=roots,
        other_certs=others,
        crls=[_asn1_crl(store, crl) for crl in crls.values()],
        moment=moment,
        revinfo_policy=policy,
        retroactive_revinfo=True,
        allow_fetching=False,
    )
    validator = CertificateValidator(asn1_x509.Certificate.load(leaf_der), validation_context=context)
    try:
        path = _run(validator.async_validate_path())
    except pkix_errors.RevokedError as exc:
        raise _reject("revoked") from exc
    except pkix_errors.ExpiredError as exc:
        raise _reject("expired", _friendly(leaf.not_valid_after_utc)) from exc
    except pkix_errors.NotYetValidError as exc:
        raise _reject("not_yet_valid", _friendly(leaf.not_valid_before_utc)) from exc
    except pkix_errors.InsufficientRevinfoError as exc:
        raise _reject("revocation_unknown") from exc
    except pkix_errors.PathBuildingError as exc:
        raise _reject("unknown_ca") from exc
    except (pkix_errors.PathValidationError, pkix_errors.ValidationError) as exc:
        raise _reject("bad_chain", str(exc)) from exc

    # The stored CAs on the path, nearest to the leaf first.
    path_fingerprints = [fingerprint(cert.dump()) for cert in reversed(list(path))][1:]
    stored = [by_fingerprint[f] for f in path_fingerprints if f in by_fingerprint]
    if not stored:  # pragma: no cover - the root always is
        raise _reject("unknown_ca")
    for child, parent in itertools.pairwise(stored):
        parent_crl = crls.get(parent.pk)
        serial = format(store.parsed[child.pk].serial_number, "x")
        if parent_crl is not None and serial in parent_crl.revoked_serials:
            raise _reject("revoked")
    return stored


def validate_certificate(
    chain: Sequence[bytes], *, usage: Usage | str, at: datetime | None = None
) -> CertificateCheck:
    """Validate ``chain`` (DER, leaf first) for ``usage`` at ``at`` (default: the wall clock).

    Returns a :class:`CertificateCheck`; raises :class:`CertificateRejected` (see the module doc).
    """
    if usage not in USAGES:
        raise ValueError(f"usage must be one of {USAGES}, not {usage!r}")
    moment = at if at is not None else clock.wall_now()
    if not chain:
        raise _reject("bad_chain", Text(zh="未提供证书。", en="no certificate given."))
    certificates = [parse_certificate(bytes(item)) for item in chain]
    leaf = certificates[0]
    leaf_der = _der(leaf)
    if _is_ca(leaf):
        raise _reject(
            "bad_chain",
            Text(
                zh="第一个证书是 CA 证书，不是企业证书。",
                en="the first certificate is a CA, not an enterprise.",
            ),
        )

    if sm2.is_sm2(leaf_der):
        stored = _sm2_stored_path(certificates, leaf_der, moment)
    else:
        stored = _stored_path(certificates, leaf_der, moment)
    for authority in stored:
        if authority.status == CertificateAuthority.Status.RETIRED:
            raise _reject("retired_ca", authority.name)
    if not _usage_fits(leaf, usage):
        raise _reject("wrong_usage", _USAGE_NAMES[usage])

    issuer = stored[0]
    rule = UsccRule.parse(issuer.uscc_rule)
    raw_uscc = read_uscc(leaf, rule)
    if not raw_uscc:
        raise _reject(
            "no_uscc",
            Text(
                zh=f"按该 CA 的规则（{rule}）未找到。",
                en=f"none found where this CA's rule ({rule}) says.",
            ),
        )
    try:
        uscc = check_uscc(raw_uscc)
    except InvalidIdentifier as exc:
        raise _reject("no_uscc", str(exc)) from exc
    organisation = Organisation.objects.filter(uscc=uscc, is_active=True).first()
    if organisation is None:
        raise _reject("unknown_enterprise", uscc)
    subject_name = _subject_organisation(leaf)
    if normalise_name(subject_name) != normalise_name(organisation.name):
        raise _reject("name_mismatch", subject_name)
    return CertificateCheck(
        fingerprint=fingerprint(leaf_der),
        subject=leaf.subject.rfc4514_string(),
        uscc=uscc,
        organisation_id=organisation.pk,
        organisation_name=organisation.name,
        authority=issuer.name,
        algorithm=_algorithm(leaf),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        usage=usage,
        serial=format(leaf.serial_number, "x"),
        authority_id=issuer.pk,
    )
