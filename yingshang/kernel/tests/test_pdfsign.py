"""PAdES B-B signatures on real PDFs (WeasyPrint, Noto CJK), real keys and certificates."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from yingshang.kernel import pdfsign
from yingshang.pki import Vendor

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # domain time of the act signed
FONTS = '"Noto Serif CJK SC", "Noto Sans CJK SC", serif'


def render_pdf(body: str) -> bytes:
    from weasyprint import HTML

    page = f"<html><body style='font-family: {FONTS}'><h1>开标记录表</h1>{body}</body></html>"
    document = HTML(string=page).render()
    document.metadata.title = "开标记录表"
    document.metadata.created = None
    document.metadata.modified = None
    return bytes(document.write_pdf())


@dataclass(frozen=True)
class Identity:
    ca_key: pdfsign.SigningKey
    ca: x509.Certificate
    key: pdfsign.SigningKey
    certificate: x509.Certificate


def make_identity(name: str = "金城市公共资源交易中心 电子签章") -> Identity:
    wall = datetime.now(UTC)  # certificate validity is wall-clock time (verify_pdf checks "now")
    ca_key, ca = pdfsign.make_ca(common_name="测试根证书", organisation="金城市公共资源交易中心", now=wall)
    key, certificate = pdfsign.issue_document_signer(
        ca_key=ca_key,
        ca_certificate=ca,
        common_name=name,
        organisation="金城市公共资源交易中心",
        unit="Yingshang platform document signing",
        now=wall,
    )
    return Identity(ca_key=ca_key, ca=ca, key=key, certificate=certificate)


@pytest.fixture(scope="module")
def identity() -> Identity:
    return make_identity()


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_pdf("<p>项目编号 JC-2026-001：三家投标人，开标时间 2026-11-30 17:00。</p>")


@pytest.fixture(scope="module")
def signed(pdf: bytes, identity: Identity) -> bytes:
    return pdfsign.sign_pdf(
        pdf,
        key=identity.key,
        certificate=identity.certificate,
        chain=[identity.ca],
        reason="开标记录 (opening record)",
        location="金城市",
        signed_at=NOW,
    )


def test_signed_pdf_verifies_against_the_issuing_root(signed: bytes, pdf: bytes, identity: Identity) -> None:
    check = pdfsign.verify_pdf(signed, trust_roots=[identity.ca])
    assert check.ok, check.problems
    assert (check.signed, check.intact, check.valid, check.trusted, check.covers_whole_document) == (
        True,
        True,
        True,
        True,
        True,
    )
    assert check.signature_count == 1
    assert check.signer_subject is not None and "金城市公共资源交易中心 电子签章" in check.signer_subject
    assert check.signing_time == NOW  # the caller's (domain) time, not the machine's
    assert check.reason == "开标记录 (opening record)"
    assert check.location == "金城市"
    assert check.problems == ()
    # an incremental update: the original bytes are untouched at the start of the signed file
    assert signed.startswith(pdf) and len(signed) > len(pdf)


def test_signature_is_pades_with_sha256_and_the_chain_embedded(signed: bytes, identity: Identity) -> None:
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    (embedded,) = PdfFileReader(BytesIO(signed)).embedded_regular_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES, not adbe.pkcs7
    assert embedded.md_algorithm == "sha256"
    signed_attrs = {attr["type"].native for attr in embedded.signer_info["signed_attrs"]}
    assert "signing_certificate_v2" in signed_attrs  # ESS signing-certificate-v2: B-B
    assert "signing_time" not in signed_attrs  # PAdES puts the claimed time in /M instead
    embedded_certs = {c.dump() for c in embedded.signed_data["certificates"]}
    assert identity.ca.public_bytes(serialization.Encoding.DER) in embedded_certs


def test_the_signing_certificate_is_for_document_signing(identity: Identity) -> None:
    usage = identity.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    ekus = list(identity.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36") in ekus  # id-kp-documentSigning
    assert ExtendedKeyUsageOID.SERVER_AUTH not in ekus
    assert identity.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    identity.certificate.verify_directly_issued_by(identity.ca)


def test_a_byte_changed_in_the_signed_range_fails(signed: bytes, identity: Identity) -> None:
    position = signed.index(b"WeasyPrint")  # the /Producer string of the original revision
    tampered = signed[:position] + b"X" + signed[position + 1 :]
    assert len(tampered) == len(signed)
    check = pdfsign.verify_pdf(tampered, trust_roots=[identity.ca])
    assert not check.ok
    assert check.signed and not check.intact
    assert "the signed bytes were changed after signing" in check.problems


def test_a_pdf_signed_under_another_ca_is_not_trusted(pdf: bytes, identity: Identity) -> None:
    stranger = Vendor.create("Stranger CA", region="Elsewhere", now=datetime.now(UTC))
    leaf = stranger.issue_leaf(
        "金城市公共资源交易中心 电子签章", "91350100M000100Y43", usage="signing", now=datetime.now(UTC)
    )
    assert isinstance(leaf.private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    forged = pdfsign.sign_pdf(
        pdf,
        key=leaf.private_key,
        certificate=leaf.certificate,
        chain=[*leaf.chain[1:], stranger.root.der],
        reason="开标记录",
        location="金城市",
        signed_at=NOW,
    )
    # intact and cryptographically valid, trusted by its own CA, but not by the platform's root
    assert pdfsign.verify_pdf(forged, trust_roots=[stranger.root.der]).ok
    check = pdfsign.verify_pdf(forged, trust_roots=[identity.ca])
    assert check.intact and check.valid
    assert not check.trusted and not check.ok
    assert any("does not chain to a trusted root" in problem for problem in check.problems)


def test_appended_bytes_are_not_covered(signed: bytes, identity: Identity) -> None:
    check = pdfsign.verify_pdf(signed + b"\n%appended\n", trust_roots=[identity.ca])
    assert check.intact and check.trusted
    assert not check.covers_whole_document and not check.ok


def test_an_unsigned_or_broken_pdf_is_reported_not_raised(pdf: bytes, identity: Identity) -> None:
    unsigned = pdfsign.verify_pdf(pdf, trust_roots=[identity.ca])
    assert not unsigned.signed and not unsigned.ok
    assert unsigned.problems == ("the PDF carries no signature",)
    broken = pdfsign.verify_pdf(b"not a pdf at all", trust_roots=[identity.ca])
    assert not broken.ok and broken.problems[0].startswith("not a readable PDF")


def test_a_second_signature_gets_its_own_field_and_covers_the_first(
    signed: bytes, identity: Identity
) -> None:
    later = NOW + timedelta(hours=2)
    twice = pdfsign.sign_pdf(
        signed,
        key=identity.key,
        certificate=identity.certificate,
        chain=[identity.ca],
        reason="中标公告",
        location="金城市",
        signed_at=later,
    )
    check = pdfsign.verify_pdf(twice, trust_roots=[identity.ca])
    assert check.ok, check.problems
    assert check.signature_count == 2
    assert check.field_name == "YingshangPlatformSignature2"
    assert check.signing_time == later


def test_a_key_that_does_not_match_the_certificate_is_refused(pdf: bytes, identity: Identity) -> None:
    other = make_identity()
    with pytest.raises(pdfsign.PdfSignatureError, match="does not belong"):
        pdfsign.sign_pdf(
            pdf,
            key=other.key,
            certificate=identity.certificate,
            chain=[identity.ca],
            reason="x",
            location="x",
            signed_at=NOW,
        )


def test_a_file_that_is_not_a_pdf_is_refused(identity: Identity) -> None:
    with pytest.raises(pdfsign.PdfSignatureError, match="not a readable PDF"):
        pdfsign.sign_pdf(
            b"<html>not a pdf</html>",
            key=identity.key,
            certificate=identity.certificate,
            chain=[identity.ca],
            reason="x",
            location="x",
            signed_at=NOW,
        )


def test_naive_signing_time_is_refused(pdf: bytes, identity: Identity) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        pdfsign.sign_pdf(
            pdf,
            key=identity.key,
            certificate=identity.certificate,
            chain=[identity.ca],
            reason="x",
            location="x",
            signed_at=datetime(2026, 11, 30, 9, 0),
        )


def test_certificates_are_judged_at_the_given_time(signed: bytes, identity: Identity) -> None:
    after_expiry = identity.certificate.not_valid_after_utc + timedelta(days=1)
    check = pdfsign.verify_pdf(signed, trust_roots=[identity.ca], at=after_expiry)
    assert check.intact and check.valid and not check.trusted


def test_signing_and_verifying_work_inside_a_running_event_loop(pdf: bytes, identity: Identity) -> None:
    async def inside_loop() -> pdfsign.PdfSignatureCheck:
        signed = pdfsign.sign_pdf(
            pdf,
            key=identity.key,
            certificate=identity.certificate,
            chain=[identity.ca],
            reason="x",
            location="x",
            signed_at=NOW,
        )
        return pdfsign.verify_pdf(signed, trust_roots=[identity.ca])

    assert asyncio.run(inside_loop()).ok
