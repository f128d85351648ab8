from __future__ import annotations

import base64
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from yingshang.bidder import sealing
from yingshang.bidder.errors import InputError, VerificationError
from yingshang.bidder.files import file_sha256
from yingshang.bidder.packing import OpeningSheet, pack
from yingshang.bidder.tests.conftest import USCC, Credentials, write_credentials
from yingshang.bidder.tests.documents import make_pdf
from yingshang.envelope import open_envelope, recover_content_key, unwrap_share, verify_envelope
from yingshang.pki import Vendor

SHEET = OpeningSheet(price_fen=99_900, duration_days=30, quality="合格", project_manager="张三")


def make_package(tmp_path: Path) -> Path:
    make_pdf(tmp_path / "bid.pdf")
    return pack(
        [tmp_path / "bid.pdf"], tmp_path / "bid.zip", tender="12", lot="3", bidder=USCC, sheet=SHEET
    ).path


def seal_with(credentials: Credentials, package: Path, output: Path, **kwargs: object) -> sealing.SealOutcome:
    return sealing.seal_package(
        package,
        output,
        signer_key=sealing.load_key(credentials.key),
        signer_chain=sealing.load_certificates(credentials.cert),
        encryption_certificate=sealing.load_certificates(credentials.enc_cert)[0],
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("algorithm", ["ECDSA-P256", "RSA-2048"])
def test_seal_round_trip(tmp_path: Path, vendor: Vendor, algorithm: str) -> None:
    credentials = write_credentials(tmp_path / "pki", vendor, algorithm)
    package = make_package(tmp_path)
    outcome = seal_with(credentials, package, tmp_path / "bid.env")

    with open(outcome.envelope, "rb") as stream:
        header = verify_envelope(stream)
    assert (header.tender, header.lot, header.bidder) == ("12", "3", USCC)
    assert header.signer_chain[0] == credentials.signing.der and len(header.signer_chain) == 2
    assert outcome.ciphertext_sha256 == header.ciphertext_sha256

    key_file = tmp_path / "bid.env.key"
    assert outcome.key_file == key_file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    saved = json.loads(key_file.read_text())
    assert saved["envelope_sha256"] == outcome.envelope_sha256
    from_file, _ = sealing.content_key_for(outcome.envelope)
    from_enc_key, _ = sealing.content_key_for(outcome.envelope, enc_key=sealing.load_key(credentials.enc_key))
    assert from_file == from_enc_key == base64.b64decode(saved["content_key"])

    plain = io.BytesIO()
    with open(outcome.envelope, "rb") as stream:
        open_envelope(stream, plain, content_key=from_file)
    assert plain.getvalue() == package.read_bytes()
    with zipfile.ZipFile(plain) as archive:
        assert json.loads(archive.read("manifest.json"))["opening_sheet"]["price_fen"] == 99_900
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bid.env",
        "bid.env.key",
        "bid.env.sha256.json",  # the envelope's hash, so that submit need not read it again
        "bid.pdf",
        "bid.zip",
        "pki",
    ]
    assert file_sha256(outcome.envelope) == (outcome.envelope_sha256, outcome.envelope.stat().st_size)


def test_seal_with_custodians(tmp_path: Path, credentials: Credentials, vendor: Vendor) -> None:
    custodians = [
        vendor.issue_leaf(
            f"Custodian {i}",
            USCC,
            usage="encryption",
            now=credentials.signing.certificate.not_valid_before_utc,
        )
        for i in range(3)
    ]
    outcome = seal_with(
        credentials,
        make_package(tmp_path),
        tmp_path / "bid.env",
        custodians=[c.der for c in custodians],
        threshold=2,
    )
    shares = [unwrap_share(outcome.header, c.private_key) for c in custodians[:2]]
    key, _ = sealing.content_key_for(outcome.envelope)
    assert recover_content_key(outcome.header, shares) == key


def test_wrong_key_file_and_wrong_encryption_key(
    tmp_path: Path, credentials: Credentials, vendor: Vendor
) -> None:
    package = make_package(tmp_path)
    first = seal_with(credentials, package, tmp_path / "one.env")
    second = seal_with(credentials, package, tmp_path / "two.env")
    with pytest.raises(VerificationError, match="not the key of"):
        sealing.content_key_for(first.envelope, key_file=second.key_file)
    other = write_credentials(tmp_path / "other", vendor)
    with pytest.raises(VerificationError, match="does not open"):
        sealing.content_key_for(first.envelope, enc_key=sealing.load_key(other.enc_key))
    first.key_file.unlink()
    with pytest.raises(InputError, match="--enc-key"):
        sealing.content_key_for(first.envelope)


def test_key_that_does_not_match_the_certificate_leaves_nothing(
    tmp_path: Path, credentials: Credentials, vendor: Vendor
) -> None:
    other = write_credentials(tmp_path / "other", vendor)
    package = make_package(tmp_path)
    with pytest.raises(InputError, match="cannot seal"):
        sealing.seal_package(
            package,
            tmp_path / "bid.env",
            signer_key=sealing.load_key(other.key),
            signer_chain=sealing.load_certificates(credentials.cert),
            encryption_certificate=sealing.load_certificates(credentials.enc_cert)[0],
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bid.pdf", "bid.zip", "other", "pki"]


class Interrupted(BaseException):
    pass


def test_interrupted_seal_leaves_nothing(
    tmp_path: Path, credentials: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the key file is being written: neither the envelope nor the key file appears."""
    package = make_package(tmp_path)
    real = sealing.write_json

    def interrupt(path: Path, value: object, *, secret: bool = False) -> None:
        raise Interrupted

    monkeypatch.setattr(sealing, "write_json", interrupt)
    with pytest.raises(Interrupted):
        seal_with(credentials, package, tmp_path / "bid.env")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bid.pdf", "bid.zip", "pki"]
    monkeypatch.setattr(sealing, "write_json", real)
    seal_with(credentials, package, tmp_path / "bid.env")
    with pytest.raises(InputError, match="already exists"):
        seal_with(credentials, package, tmp_path / "bid.env")


def test_not_a_package_and_bad_files(tmp_path: Path, credentials: Credentials) -> None:
    (tmp_path / "plain.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a bid package"):
        seal_with(credentials, tmp_path / "plain.zip", tmp_path / "bid.env")
    (tmp_path / "garbage.pem").write_bytes(b"hello")
    with pytest.raises(InputError, match="no certificate found"):
        sealing.load_certificates(tmp_path / "garbage.pem")
    with pytest.raises(InputError, match="cannot load the private key"):
        sealing.load_key(tmp_path / "garbage.pem")
    with pytest.raises(InputError, match="no such file"):
        sealing.load_key(tmp_path / "absent.pem")
    with pytest.raises(InputError, match="not a valid envelope"):
        sealing.envelope_header(tmp_path / "garbage.pem")


def test_key_file_that_cannot_be_written_leaves_no_envelope(tmp_path: Path, credentials: Credentials) -> None:
    """The envelope is complete in its temporary file when the key file fails: it is thrown away too."""
    package = make_package(tmp_path)
    with pytest.raises(InputError, match="cannot write"):
        seal_with(credentials, package, tmp_path / "bid.env", key_file=tmp_path / "missing" / "bid.env.key")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bid.pdf", "bid.zip", "pki"]
