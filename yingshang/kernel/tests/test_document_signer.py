"""The platform's document-signing identity: made by `yingshang setup`, overridable, published."""

from __future__ import annotations

import io
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.test import Client

from yingshang.kernel import keys, pdfsign
from yingshang.kernel.tests.test_pdfsign import NOW, render_pdf
from yingshang.pki import Vendor


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def keys_dir(tmp_path: Path, settings: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "keys"
    settings.KEYS_DIR = folder  # type: ignore[attr-defined]
    for variable in keys.DOCUMENT_SIGNING_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    keys._load_document_signer.cache_clear()
    yield folder
    keys._load_document_signer.cache_clear()


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_pdf("<p>评标报告：推荐中标候选人三名。</p>")


def test_first_setup_makes_a_platform_ca_and_signer_owner_only(keys_dir: Path) -> None:
    info = keys.ensure_document_signer()
    assert info.created
    paths = info.paths
    assert paths.key == keys_dir / "document-signing.key.pem"
    assert paths.ca == keys_dir / "document-signing-ca.pem"
    assert not paths.from_environment
    assert mode(keys_dir) == 0o700
    assert mode(paths.key) == 0o600
    assert paths.ca_key is not None and mode(paths.ca_key) == 0o600
    assert mode(paths.certificate) == 0o644 and mode(paths.ca) == 0o644  # public
    assert "CN=金城市公共资源交易中心 电子签章" in info.subject
    assert "OU=Yingshang platform document signing" in info.subject
    signer = keys.document_signer()
    signer.certificate.verify_directly_issued_by(signer.trust_roots[0])
    assert info.not_after > datetime.now(UTC) + timedelta(days=365 * 4)
    assert not list(keys_dir.glob(".*.tmp"))  # no staged file left behind


def test_ensure_is_idempotent(keys_dir: Path) -> None:
    first = keys.ensure_document_signer()
    contents = {path: path.read_bytes() for path in keys_dir.iterdir()}
    second = keys.ensure_document_signer()
    assert not second.created
    assert second.fingerprint == first.fingerprint
    assert second.ca_fingerprints == first.ca_fingerprints
    assert {path: path.read_bytes() for path in keys_dir.iterdir()} == contents


def test_platform_signed_pdf_verifies_against_the_published_ca(keys_dir: Path, pdf: bytes) -> None:
    keys.ensure_document_signer()
    signed = keys.sign_platform_pdf(pdf, reason="评标报告 (evaluation report)", signed_at=NOW)
    check = pdfsign.verify_pdf(signed, trust_roots=[keys.document_signing_ca_pem()])
    assert check.ok, check.problems
    assert check.signing_time == NOW
    assert check.location == keys.DOCUMENT_SIGNING_LOCATION
    assert keys.verify_platform_pdf(signed).ok
    assert not keys.verify_platform_pdf(pdf).ok  # unsigned


def test_a_missing_signer_is_reissued_by_the_same_ca(keys_dir: Path, pdf: bytes) -> None:
    first = keys.ensure_document_signer()
    old_pdf = keys.sign_platform_pdf(pdf, reason="开标记录", signed_at=NOW)
    first.paths.certificate.unlink()
    first.paths.key.unlink()
    second = keys.ensure_document_signer()
    assert second.created
    assert second.fingerprint != first.fingerprint
    assert second.ca_fingerprints == first.ca_fingerprints  # the published root does not change
    new_pdf = keys.sign_platform_pdf(pdf, reason="开标记录", signed_at=NOW)
    for signed in (old_pdf, new_pdf):
        assert keys.verify_platform_pdf(signed).ok


def test_a_signer_close_to_expiry_is_renewed(keys_dir: Path) -> None:
    first = keys.ensure_document_signer()
    assert first.paths.ca_key is not None
    ca_key = serialization.load_pem_private_key(first.paths.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca = keys.document_signer().trust_roots[0]
    # issued long ago: ends in 10 days (inside the 30-day renewal window)
    long_ago = datetime.now(UTC) - timedelta(days=365) + timedelta(days=10)
    key, old = pdfsign.issue_document_signer(
        ca_key=ca_key, ca_certificate=ca, common_name="old signer", organisation="x", now=long_ago, years=1
    )
    first.paths.key.write_bytes(keys._key_pem(key))
    first.paths.certificate.write_bytes(old.public_bytes(serialization.Encoding.PEM))
    renewed = keys.ensure_document_signer()
    assert renewed.created
    assert renewed.not_after > datetime.now(UTC) + timedelta(days=365)
    assert "old signer" not in renewed.subject


def test_a_key_readable_by_others_is_refused(keys_dir: Path) -> None:
    info = keys.ensure_document_signer()
    info.paths.key.chmod(0o644)
    keys._load_document_signer.cache_clear()
    with pytest.raises(PermissionError, match="readable by others"):
        keys.document_signer()


def write_vendor_identity(folder: Path) -> tuple[Vendor, dict[str, Path]]:
    """A certificate from a (test) CA vendor with an intermediate, as a deployment would install."""
    now = datetime.now(UTC)
    vendor = Vendor.create("Vendor CA", region="Beijing", now=now)
    leaf = vendor.issue_leaf(
        "金城市公共资源交易中心 电子签章", "12350100MB1A0001XY", usage="signing", now=now
    )
    folder.mkdir()
    paths = {
        "key": folder / "signer.key",
        "certificate": folder / "signer-chain.pem",
        "ca": folder / "vendor-root.pem",
    }
    paths["key"].write_bytes(leaf.private_key_pem())
    paths["key"].chmod(0o600)
    chain = [pdfsign.load_certificates(der)[0] for der in leaf.chain]  # leaf, intermediate
    paths["certificate"].write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    paths["ca"].write_bytes(vendor.root.pem)
    return vendor, paths


def test_environment_paths_are_used_and_nothing_is_created(
    keys_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pdf: bytes
) -> None:
    platform = keys.ensure_document_signer()  # a platform CA exists too: it must not be used
    platform_ca = keys.document_signing_ca_pem()
    vendor, paths = write_vendor_identity(tmp_path / "vendor")
    for name, variable in keys.DOCUMENT_SIGNING_ENV.items():
        monkeypatch.setenv(variable, str(paths[name]))
    before = sorted(p.name for p in keys_dir.iterdir())
    info = keys.ensure_document_signer()
    assert not info.created
    assert info.paths.from_environment and info.paths.key == paths["key"]
    assert info.ca_fingerprints != platform.ca_fingerprints
    assert sorted(p.name for p in keys_dir.iterdir()) == before
    assert keys.document_signing_ca_pem() == vendor.root.pem
    signed = keys.sign_platform_pdf(pdf, reason="中标结果公告", signed_at=NOW)
    assert keys.verify_platform_pdf(signed).ok  # through the vendor's intermediate to its root
    assert not pdfsign.verify_pdf(signed, trust_roots=[platform_ca]).ok


def test_environment_paths_must_be_complete_and_exist(
    keys_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YINGSHANG_DOCUMENT_SIGNING_KEY_PATH", str(tmp_path / "k.pem"))
    with pytest.raises(ValueError, match="YINGSHANG_DOCUMENT_SIGNING_CERT_PATH"):
        keys.ensure_document_signer()
    monkeypatch.setenv("YINGSHANG_DOCUMENT_SIGNING_CERT_PATH", str(tmp_path / "c.pem"))
    monkeypatch.setenv("YINGSHANG_DOCUMENT_SIGNING_CA_PATH", str(tmp_path / "ca.pem"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        keys.ensure_document_signer()
    assert not keys_dir.exists()  # nothing made in the default place


def test_a_key_for_another_certificate_is_refused(
    keys_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _vendor, paths = write_vendor_identity(tmp_path / "vendor")
    other = ec.generate_private_key(ec.SECP256R1())
    paths["key"].write_bytes(keys._key_pem(other))
    for name, variable in keys.DOCUMENT_SIGNING_ENV.items():
        monkeypatch.setenv(variable, str(paths[name]))
    with pytest.raises(ValueError, match="does not belong"):
        keys.ensure_document_signer()


@pytest.mark.django_db
def test_setup_command_makes_the_identity_once(
    keys_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YINGSHANG_SIGNING_KEY_PATH", str(tmp_path / "platform-ed25519.pem"))
    keys.platform_signing_key.cache_clear()
    try:
        first, second = io.StringIO(), io.StringIO()
        call_command("setup", no_demo=True, stdout=first)
        certificate = keys_dir / keys.DOCUMENT_SIGNING_CERT_FILE
        contents = certificate.read_bytes()
        call_command("setup", no_demo=True, stdout=second)
    finally:
        keys.platform_signing_key.cache_clear()
    assert "Document-signing certificate" in first.getvalue() and "(new)" in first.getvalue()
    assert "Document-signing certificate" in second.getvalue() and "(new)" not in second.getvalue()
    assert certificate.read_bytes() == contents
    assert mode(keys_dir / keys.DOCUMENT_SIGNING_KEY_FILE) == 0o600
    assert mode(keys_dir / keys.DOCUMENT_SIGNING_CA_KEY_FILE) == 0o600


@pytest.mark.django_db
def test_the_ca_certificate_is_a_public_download(keys_dir: Path, client: Client) -> None:
    assert client.get("/keys/document-signing-ca.pem").status_code == 404  # not set up yet
    keys.ensure_document_signer()
    response = client.get("/keys/document-signing-ca.pem")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert response.content == (keys_dir / keys.DOCUMENT_SIGNING_CA_FILE).read_bytes()
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE KEY" not in response.content
    chain = client.get("/keys/document-signing.pem")
    assert chain.status_code == 200
    certificates = pdfsign.load_certificates(chain.content)
    assert certificates[0] == keys.document_signer().certificate
    assert b"PRIVATE KEY" not in chain.content
    assert client.post("/keys/document-signing-ca.pem").status_code == 405
