"""A small builder for X.509 CA hierarchies: tests, the demo and benchmarks. Pure (``cryptography``).

Not a production CA. It builds what the trust store (``yingshang.identity``) must recognise:
several CA *vendors*, each with a root and an intermediate, issuing enterprise certificates that
carry the enterprise's unified social credit code (USCC) where that vendor's rule says, plus the
bad cases (expired, not yet valid, wrong key usage, revoked through a CRL, no USCC)::

    from yingshang.pki import Vendor, UsccRule

    now = datetime(2026, 1, 1, tzinfo=UTC)
    vendor = Vendor.create("Demo CA", region="Shanghai", rule=UsccRule.parse("ou"), now=now)
    leaf = vendor.issue_leaf("Acme Ltd", "91310000MA1K000000", usage="signing", now=now)
    leaf.chain            # [leaf DER, intermediate DER]: what a bidder presents (leaf first)
    vendor.root.der       # what the trust store holds (plus vendor.intermediate.der)
    crl = vendor.crl([leaf], now=now)          # a DER CRL signed by the intermediate
    leaf.private_key_pem()                     # PKCS#8 PEM, unencrypted unless a password is given

Everything time-related takes ``now`` (or explicit ``not_before``/``not_after``) so tests are
deterministic; keys are fresh random keys (RSA-2048 takes a few tens of milliseconds each).

USCC rules (``UsccRule``), one per vendor: ``"serial_number"`` (subject serialNumber attribute,
OID 2.5.4.5), ``"ou"`` (subject organisationalUnitName, 2.5.4.11) or ``"extension:<oid>"`` (a
non-critical extension whose value is a DER UTF8String holding the code; the default OID
:data:`DEFAULT_USCC_EXTENSION_OID` is a private, made-up arc used only here).

Key usages: ``"signing"`` certificates carry digitalSignature + nonRepudiation; ``"encryption"``
certificates carry keyEncipherment (RSA) or keyAgreement (EC P-256). ``key_usage=`` overrides it
(``wrong usage`` certificates). Algorithms: ``"ECDSA-P256"`` and ``"RSA-2048"`` (CA and leaf keys).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from yingshang.envelope.sm2 import Sm2PrivateKey
from yingshang.pki import sm2 as _sm2

__all__ = [
    "ALGORITHMS",
    "DEFAULT_USCC_EXTENSION_OID",
    "Authority",
    "Issued",
    "KeyAlgorithm",
    "PrivateKey",
    "Usage",
    "UsccRule",
    "Vendor",
    "certificate_der",
    "certificate_pem",
    "crl_der",
    "crl_pem",
    "fingerprint",
    "generate_key",
    "load_certificate",
    "load_crl",
    "private_key_pem",
    "read_uscc",
    "utf8_string_der",
]

KeyAlgorithm = Literal["ECDSA-P256", "RSA-2048", "SM2"]
Usage = Literal["signing", "encryption"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | Sm2PrivateKey

ALGORITHMS: tuple[str, ...] = ("ECDSA-P256", "RSA-2048", "SM2")

#: Private, made-up OID for vendors that carry the USCC in an extension (tests and demo only).
DEFAULT_USCC_EXTENSION_OID = "1.3.6.1.4.1.99999.5.1"

_ONE_DAY = dt.timedelta(days=1)


# -- encoding helpers ---------------------------------------------------------------------------


def generate_key(algorithm: KeyAlgorithm = "ECDSA-P256") -> PrivateKey:
    """A fresh private key: P-256, RSA-2048 (public exponent 65537) or SM2."""
    if algorithm == "SM2":
        return Sm2PrivateKey.generate()
    if algorithm == "ECDSA-P256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "RSA-2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unknown key algorithm {algorithm!r}; expected one of {ALGORITHMS}")


def certificate_der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def crl_der(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.DER)


def crl_pem(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.PEM)


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """A CRL from PEM or DER bytes."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


def private_key_pem(key: PrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM; encrypted with the best available scheme when ``password`` is given."""
    if isinstance(key, Sm2PrivateKey):
        return key.private_bytes_pem(password)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def fingerprint(der: bytes) -> str:
    """SHA-256 of the DER encoding, lower-case hex (the trust store's certificate fingerprint)."""
    return hashlib.sha256(der).hexdigest()


def utf8_string_der(value: str) -> bytes:
    """DER UTF8String (tag 0x0C) of ``value``: the value of a USCC extension."""
    body = value.encode("utf-8")
    length = len(body)
    if length < 0x80:
        header = bytes([length])
    else:
        size = (length.bit_length() + 7) // 8
        header = bytes([0x80 | size]) + length.to_bytes(size, "big")
    return b"\x0c" + header + body


def _parse_utf8_string(value: bytes) -> str | None:
    if len(value) < 2 or value[0] not in (0x0C, 0x13, 0x16):  # UTF8String, PrintableString, IA5String
        return None
    length = value[1]
    offset = 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(value[2 : 2 + size], "big")
        offset = 2 + size
    body = value[offset : offset + length]
    if len(body) != length:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


# -- USCC rule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsccRule:
    """Where a vendor's certificates carry the enterprise's USCC.

    ``kind`` is ``"serial_number"``, ``"ou"`` or ``"extension"`` (then ``oid`` is the extension's
    dotted OID). The string form (:meth:`parse`, ``str()``) is what the trust store stores:
    ``"serial_number"``, ``"ou"``, ``"extension:1.2.3"``.
    """

    kind: Literal["serial_number", "ou", "extension"]
    oid: str = ""

    @classmethod
    def parse(cls, value: str) -> UsccRule:
        text = value.strip()
        if text in ("serial_number", "ou"):
            return cls(text)  # type: ignore[arg-type]
        if text == "extension":
            return cls("extension", DEFAULT_USCC_EXTENSION_OID)
        if text.startswith("extension:"):
            oid = text.split(":", 1)[1].strip()
            parts = oid.split(".")
            if len(parts) < 2 or not all(part.isdigit() for part in parts):
                raise ValueError(f"not a dotted OID: {oid!r}")
            return cls("extension", oid)
        raise ValueError(f"unknown USCC rule {value!r}: serial_number, ou or extension:<oid>")

    def __str__(self) -> str:
        return f"extension:{self.oid}" if self.kind == "extension" else self.kind


def read_uscc(certificate: x509.Certificate, rule: UsccRule) -> str | None:
    """The USCC a certificate carries under ``rule``, or ``None`` (not normalised or checked)."""
    if rule.kind in ("serial_number", "ou"):
        oid = NameOID.SERIAL_NUMBER if rule.kind == "serial_number" else NameOID.ORGANIZATIONAL_UNIT_NAME
        for attribute in certificate.subject.get_attributes_for_oid(oid):
            value = attribute.value
            text = value.decode() if isinstance(value, bytes) else str(value)
            if text.strip():
                return text.strip()
        return None
    try:
        extension = certificate.extensions.get_extension_for_oid(x509.ObjectIdentifier(rule.oid))
    except x509.ExtensionNotFound:
        return None
    extension_value = extension.value
    if isinstance(extension_value, x509.UnrecognizedExtension):
        parsed = _parse_utf8_string(extension_value.value)
        return parsed.strip() if parsed else None
    return None


# -- issuing -------------------------------------------------------------------------------------


def _signature_hash(key: PrivateKey) -> hashes.SHA256:
    return hashes.SHA256()


def _usage_extension(usage: Usage, key: PrivateKey) -> x509.KeyUsage:
    signing = usage == "signing"
    encryption = usage == "encryption"
    is_rsa = isinstance(key, rsa.RSAPrivateKey | Sm2PrivateKey)  # SM2 encrypts like RSA (SM2-ENC)
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=encryption and is_rsa,
        data_encipherment=False,
        key_agreement=encryption and not is_rsa,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class Issued:
    """An issued end-entity certificate, its private key and the chain up to (not including) the root."""

    certificate: x509.Certificate
    private_key: PrivateKey
    issuer: Authority
    usage: Usage | None = None

    @property
    def der(self) -> bytes:
        return certificate_der(self.certificate)

    @property
    def pem(self) -> bytes:
        return certificate_pem(self.certificate)

    @property
    def serial(self) -> int:
        return self.certificate.serial_number

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.der)

    @property
    def chain(self) -> list[bytes]:
        """DER, leaf first, then every issuing CA except the self-signed root."""
        chain = [self.der]
        authority: Authority | None = self.issuer
        while authority is not None and authority.parent is not None:
            chain.append(authority.der)
            authority = authority.parent
        return chain

    def private_key_pem(self, password: bytes | None = None) -> bytes:
        return private_key_pem(self.private_key, password)

    @property
    def private_key_der(self) -> bytes:
        if isinstance(self.private_key, Sm2PrivateKey):
            return self.private_key.private_bytes_der()
        return self.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


@dataclass
class Authority:
    """A CA: a root (``parent is None``, self-signed) or an intermediate, with its private key."""

    name: str
    certificate: x509.Certificate
    private_key: PrivateKey
    parent: Authority | None = None
    _next_serial: int = field(default=0x1000, repr=False)

    @classmethod
    def root(
        cls,
        name: str,
        *,
        now: dt.datetime,
        algorithm: KeyAlgorithm = "ECDSA-P256",
        organisation: str | None = None,
        country: str = "CN",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> Authority:
        """A self-signed root CA valid from ``now - 1 year`` to ``now + 20 years`` unless told."""
        key = generate_key(algorithm)
        subject = _ca_name(name, organisation or name, country)
        start = not_before or now - dt.timedelta(days=365)
        end = not_after or now + dt.timedelta(days=365 * 20)
        if isinstance(key, Sm2PrivateKey):
            der = _sm2.build_certificate(
                subject=_asn1_name(subject),
                issuer=_asn1_name(subject),
                public_key=key.public_key(),
                signer=key,
                serial=x509.random_serial_number(),
                not_before=start,
                not_after=end,
                extensions=_sm2_ca_extensions(None),
            )
            return cls(name=name, certificate=x509.load_der_x509_certificate(der), private_key=key)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        certificate = builder.sign(key, _signature_hash(key))
        return cls(name=name, certificate=certificate, private_key=key)

    @property
    def der(self) -> bytes:
        return certificate_der(self.certificate)

    @property
    def pem(self) -> bytes:
        return certificate_pem(self.certificate)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.der)

    def _serial(self) -> int:
        # Unique and increasing per authority, with a random high part so two runs do not collide.
        self._next_serial += 1
        return (x509.random_serial_number() >> 32 << 32) | self._next_serial

    def _base(
        self, subject: x509.Name, public_key: object, start: dt.datetime, end: dt.datetime
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(self._serial())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.private_key.public_key()  # type: ignore[arg-type]
                ),
                critical=False,
            )
        )

    def _sm2_issue(
        self,
        subject: x509.Name,
        key: PrivateKey,
        start: dt.datetime,
        end: dt.datetime,
        extensions: list[tuple[str, object, bool]],
    ) -> bytes:
        if not isinstance(self.private_key, Sm2PrivateKey) or not isinstance(key, Sm2PrivateKey):
            raise ValueError("an SM2 CA issues SM2 certificates only, and only an SM2 CA issues them")
        return _sm2.build_certificate(
            subject=_asn1_name(subject),
            issuer=_asn1_name(self.certificate.subject),
            public_key=key.public_key(),
            signer=self.private_key,
            serial=self._serial(),
            not_before=start,
            not_after=end,
            extensions=extensions,
        )

    def issue_intermediate(
        self,
        name: str,
        *,
        now: dt.datetime,
        algorithm: KeyAlgorithm = "ECDSA-P256",
        organisation: str | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
    ) -> Authority:
        """A subordinate CA (path length 0) valid from ``now - 1 year`` to ``now + 10 years``;
        ``extensions``: more (extension, critical) pairs, e.g. name constraints."""
        key = generate_key(algorithm)
        if organisation is None:
            found = self.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
            organisation = str(found[0].value) if found else name
        subject = _ca_name(name, organisation, "CN")
        start = not_before or now - dt.timedelta(days=365)
        end = not_after or now + dt.timedelta(days=365 * 10)
        if isinstance(self.private_key, Sm2PrivateKey) or isinstance(key, Sm2PrivateKey):
            more = [(ext.oid.dotted_string, ext.public_bytes(), critical) for ext, critical in extensions]
            der = self._sm2_issue(subject, key, start, end, [*_sm2_ca_extensions(0), *more])
            return Authority(
                name=name, certificate=x509.load_der_x509_certificate(der), private_key=key, parent=self
            )
        builder = (
            self._base(subject, key.public_key(), start, end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_usage(), critical=True)
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        certificate = builder.sign(self.private_key, _signature_hash(self.private_key))
        return Authority(name=name, certificate=certificate, private_key=key, parent=self)

    def issue_leaf(
        self,
        enterprise: str,
        uscc: str | None,
        *,
        usage: Usage,
        now: dt.datetime,
        rule: UsccRule | str = "serial_number",
        algorithm: KeyAlgorithm = "ECDSA-P256",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key: PrivateKey | None = None,
        key_usage: x509.KeyUsage | None = None,
        common_name: str | None = None,
    ) -> Issued:
        """An enterprise certificate: subject C=CN, O=``enterprise``, CN=``common_name or enterprise``.

        ``uscc`` is placed as ``rule`` says (``None``: no USCC at all). Validity: ``now - 1 day`` to
        ``now + 365 days`` unless ``not_before``/``not_after`` are given (expired: pass a
        ``not_after`` in the past; not yet valid: a ``not_before`` in the future). ``key_usage``
        replaces the usage-derived KeyUsage extension (wrong-usage certificates).
        """
        rule = UsccRule.parse(rule) if isinstance(rule, str) else rule
        key = key or generate_key(algorithm)
        attributes = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, enterprise),
        ]
        if uscc is not None and rule.kind == "ou":
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, uscc))
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name or enterprise))
        if uscc is not None and rule.kind == "serial_number":
            attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, uscc))
        start = not_before or now - _ONE_DAY
        end = not_after or now + dt.timedelta(days=365)
        if isinstance(self.private_key, Sm2PrivateKey) or isinstance(key, Sm2PrivateKey):
            usage_ext = key_usage or _usage_extension(usage, key)
            extensions: list[tuple[str, object, bool]] = [
                ("basic_constraints", asn1_x509.BasicConstraints({"ca": False}), True),
                ("key_usage", asn1_x509.KeyUsage(_usage_names(usage_ext)), True),
            ]
            if uscc is not None and rule.kind == "extension":
                extensions.append((rule.oid, utf8_string_der(uscc), False))
            der = self._sm2_issue(x509.Name(attributes), key, start, end, extensions)
            return Issued(
                certificate=x509.load_der_x509_certificate(der), private_key=key, issuer=self, usage=usage
            )
        builder = (
            self._base(x509.Name(attributes), key.public_key(), start, end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage or _usage_extension(usage, key), critical=True)
        )
        if uscc is not None and rule.kind == "extension":
            builder = builder.add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(rule.oid), utf8_string_der(uscc)),
                critical=False,
            )
        certificate = builder.sign(self.private_key, _signature_hash(self.private_key))
        return Issued(certificate=certificate, private_key=key, issuer=self, usage=usage)

    def crl(
        self,
        revoked: Iterable[Issued | int],
        *,
        now: dt.datetime,
        next_update: dt.datetime | None = None,
        revoked_at: dt.datetime | None = None,
    ) -> bytes:
        """A DER CRL signed by this authority: this update ``now``, next update ``now + 7 days``."""
        if isinstance(self.private_key, Sm2PrivateKey):
            return _sm2.build_crl(
                issuer=_asn1_name(self.certificate.subject),
                signer=self.private_key,
                this_update=now,
                next_update=next_update or now + dt.timedelta(days=7),
                revoked=[
                    (
                        item.serial if isinstance(item, Issued) else int(item),
                        revoked_at or now - dt.timedelta(minutes=1),
                    )
                    for item in revoked
                ],
            )
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(now)
            .next_update(next_update or now + dt.timedelta(days=7))
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.private_key.public_key()),
                critical=False,
            )
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        )
        for item in revoked:
            serial = item.serial if isinstance(item, Issued) else int(item)
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(revoked_at or now - dt.timedelta(minutes=1))
                .build()
            )
        return crl_der(builder.sign(self.private_key, _signature_hash(self.private_key)))


def _asn1_name(name: x509.Name) -> asn1_x509.Name:
    return asn1_x509.Name.load(name.public_bytes())


def _sm2_ca_extensions(path_length: int | None) -> list[tuple[str, object, bool]]:
    constraints: dict[str, object] = {"ca": True}
    if path_length is not None:
        constraints["path_len_constraint"] = path_length
    return [
        ("basic_constraints", asn1_x509.BasicConstraints(constraints), True),
        ("key_usage", asn1_x509.KeyUsage({"digital_signature", "key_cert_sign", "crl_sign"}), True),
    ]


def _usage_names(usage: x509.KeyUsage) -> set[str]:
    names = {
        "digital_signature": usage.digital_signature,
        "non_repudiation": usage.content_commitment,
        "key_encipherment": usage.key_encipherment,
        "data_encipherment": usage.data_encipherment,
        "key_agreement": usage.key_agreement,
        "key_cert_sign": usage.key_cert_sign,
        "crl_sign": usage.crl_sign,
    }
    return {name for name, on in names.items() if on}


def _ca_name(common_name: str, organisation: str, country: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass
class Vendor:
    """A CA vendor: a root, one intermediate that issues enterprise certificates, a USCC rule."""

    name: str
    region: str
    rule: UsccRule
    root: Authority
    intermediate: Authority

    @classmethod
    def create(
        cls,
        name: str,
        *,
        now: dt.datetime,
        region: str = "",
        rule: UsccRule | str = "serial_number",
        algorithm: KeyAlgorithm = "ECDSA-P256",
    ) -> Vendor:
        """Root "<name> Root CA" and intermediate "<name> Issuing CA 1", both keys of ``algorithm``."""
        rule = UsccRule.parse(rule) if isinstance(rule, str) else rule
        root = Authority.root(f"{name} Root CA", now=now, algorithm=algorithm, organisation=name)
        intermediate = root.issue_intermediate(f"{name} Issuing CA 1", now=now, algorithm=algorithm)
        return cls(name=name, region=region, rule=rule, root=root, intermediate=intermediate)

    @property
    def authorities(self) -> Sequence[Authority]:
        """Root first, then the intermediate: what the trust store imports for this vendor."""
        return (self.root, self.intermediate)

    def issue_leaf(
        self,
        enterprise: str,
        uscc: str | None,
        *,
        usage: Usage,
        now: dt.datetime,
        algorithm: KeyAlgorithm = "ECDSA-P256",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key: PrivateKey | None = None,
        key_usage: x509.KeyUsage | None = None,
    ) -> Issued:
        """A certificate from the intermediate with the USCC placed by this vendor's rule."""
        return self.intermediate.issue_leaf(
            enterprise,
            uscc,
            usage=usage,
            now=now,
            rule=self.rule,
            algorithm=algorithm,
            not_before=not_before,
            not_after=not_after,
            key=key,
            key_usage=key_usage,
        )

    def expired_leaf(
        self, enterprise: str, uscc: str, *, usage: Usage, now: dt.datetime, **kw: object
    ) -> Issued:
        """Valid from ``now - 400 days`` to ``now - 35 days``."""
        return self.issue_leaf(
            enterprise,
            uscc,
            usage=usage,
            now=now,
            not_before=now - dt.timedelta(days=400),
            not_after=now - dt.timedelta(days=35),
            **kw,  # type: ignore[arg-type]
        )

    def not_yet_valid_leaf(
        self, enterprise: str, uscc: str, *, usage: Usage, now: dt.datetime, **kw: object
    ) -> Issued:
        """Valid from ``now + 10 days`` to ``now + 375 days``."""
        return self.issue_leaf(
            enterprise,
            uscc,
            usage=usage,
            now=now,
            not_before=now + dt.timedelta(days=10),
            not_after=now + dt.timedelta(days=375),
            **kw,  # type: ignore[arg-type]
        )

    def crl(self, revoked: Iterable[Issued | int], *, now: dt.datetime, **kw: dt.datetime) -> bytes:
        """A DER CRL of the intermediate (the issuer of enterprise certificates)."""
        return self.intermediate.crl(revoked, now=now, **kw)
