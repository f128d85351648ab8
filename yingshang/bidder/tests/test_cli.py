"""The command line end to end against the stub platform (a real HTTP server in a thread)."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from yingshang.bidder import sealing
from yingshang.bidder.cli import main
from yingshang.bidder.client import BidderClient
from yingshang.bidder.tests.conftest import USCC, Credentials, write_credentials
from yingshang.bidder.tests.documents import make_docx, make_pdf
from yingshang.bidder.tests.stub_server import TOKEN, StubPlatform
from yingshang.pki import Vendor


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def pack_and_seal(tmp_path: Path, credentials: Credentials, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "bid"
    folder.mkdir()
    make_pdf(folder / "price.pdf")
    make_docx(folder / "plan.docx")
    code, out, _err = run(
        capsys, "pack", folder, "--tender", "12", "--lot", "3", "--bidder", USCC, "--price-fen", "123456789",
        "--duration-days", "180", "--quality", "合格", "--project-manager", "张三", "-o", tmp_path / "bid.zip",
    )  # fmt: skip
    assert code == 0, out
    assert "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分" in out and "documents: 2" in out
    code, out, err = run(
        capsys, "seal", tmp_path / "bid.zip", "--cert", credentials.cert, "--key", credentials.key,
        "--enc-cert", credentials.enc_cert, "-o", tmp_path / "bid.env",
    )  # fmt: skip
    assert code == 0, err
    assert "ciphertext SHA-256" in out
    return tmp_path / "bid.env"


def test_end_to_end(
    tmp_path: Path, credentials: Credentials, platform: StubPlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    envelope = pack_and_seal(tmp_path, credentials, capsys)
    public = tmp_path / "platform.pub.pem"
    public.write_bytes(
        platform.signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    server = ("--server", platform.url, "--token", TOKEN)
    code, out, err = run(capsys, "submit", envelope, *server, "--public-key", public)
    assert code == 0, err
    receipt_file = tmp_path / "bid.env.receipt.json"
    receipt = json.loads(receipt_file.read_text())
    assert receipt["receipt"]["tender_id"] == 12 and receipt["receipt"]["lot_id"] == 3
    assert f"receipt:   {receipt_file}" in out and "upload 100.0%" in err  # not a terminal: lines
    (upload,) = platform.uploads.values()
    assert bytes(upload.data) == envelope.read_bytes()

    code, out, _ = run(
        capsys, "receipt", "verify", receipt_file, "--public-key", public, "--envelope", envelope
    )
    assert code == 0 and "valid receipt" in out

    code, out, _ = run(capsys, "status", "--tender", "12", *server)
    assert code == 0 and json.loads(out)["bids"] == [receipt["receipt"]]
    code, out, _ = run(capsys, "receipt", "list", *server)
    assert code == 0 and json.loads(out) == {"receipts": [receipt]}
    bid = receipt["receipt"]["bid_id"]
    code, out, _ = run(capsys, "receipt", "fetch", "--bid", bid, *server, "-o", tmp_path / "again.json")
    assert code == 0 and json.loads((tmp_path / "again.json").read_text()) == receipt
    code, out, err = run(capsys, "receipt", "fetch", "--bid", "nope", *server)
    assert code == 5 and "no such bid" in err
    code, out, _ = run(capsys, "withdraw", "--bid", "bid-1", *server)
    assert code == 0 and json.loads(out)["status"] == "withdrawn"

    code, out, err = run(capsys, "open-key", envelope, "--bid", bid, *server)
    assert code == 0, err
    key = sealing.read_key_file(tmp_path / "bid.env.key")
    assert platform.released == [{"bid_id": bid, "content_key": base64.b64encode(key).decode()}]
    (tmp_path / "bid.env.key").unlink()  # lost key file: re-derive with the encryption key
    code, out, err = run(
        capsys, "open-key", envelope, "--bid", bid, *server, "--enc-key", credentials.enc_key
    )
    assert code == 0, err
    assert platform.released[1]["content_key"] == platform.released[0]["content_key"]


def test_submit_refuses_another_tender_and_missing_token(
    tmp_path: Path,
    credentials: Credentials,
    platform: StubPlatform,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("YINGSHANG_TOKEN", raising=False)
    envelope = pack_and_seal(tmp_path, credentials, capsys)
    code, _, err = run(
        capsys, "submit", envelope, "--server", platform.url, "--token", TOKEN, "--tender", "13"
    )
    assert code == 3 and "sealed for tender 12 lot 3" in err
    code, _, err = run(capsys, "submit", envelope, "--server", platform.url)
    assert code == 3 and "no API token" in err
    code, _, err = run(capsys, "submit", envelope, "--server", platform.url, "--token", "expired")
    assert code == 5 and "login" in err
    assert not platform.uploads


def test_open_key_refuses_a_key_of_another_envelope(
    tmp_path: Path, credentials: Credentials, platform: StubPlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    envelope = pack_and_seal(tmp_path, credentials, capsys)
    code, _, err = run(
        capsys, "seal", tmp_path / "bid.zip", "--cert", credentials.cert, "--key", credentials.key,
        "--enc-cert", credentials.enc_cert, "-o", tmp_path / "other.env",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run(
        capsys, "open-key", envelope, "--bid", "1", "--server", platform.url, "--token", TOKEN,
        "--key-file", tmp_path / "other.env.key",
    )  # fmt: skip
    assert code == 4 and "--enc-key" in err
    assert platform.released == []


def test_login_writes_a_private_token_file(
    tmp_path: Path, credentials: Credentials, platform: StubPlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "token"
    code, out, err = run(
        capsys, "login", "--server", platform.url, "--cert", credentials.cert, "--key", credentials.key,
        "--token-file", token_file,
    )  # fmt: skip
    assert code == 0, err
    assert token_file.read_text().strip() == TOKEN and stat.S_IMODE(token_file.stat().st_mode) == 0o600
    (signed,) = platform.signed
    assert base64.b64decode(signed["chain"][0]) == credentials.signing.der
    assert signed["signature"]["algorithm"] == "ECDSA-P256-SHA256"
    code, out, _ = run(
        capsys, "login", "--server", platform.url, "--cert", credentials.cert, "--key", credentials.key
    )
    assert code == 0 and out.strip() == TOKEN


def test_sign_qr(
    tmp_path: Path, vendor: Vendor, platform: StubPlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    credentials = write_credentials(tmp_path / "rsa", vendor, "RSA-2048")
    with BidderClient(platform.url) as anonymous:
        challenge = anonymous.challenge()
    qr = {
        "url": f"{platform.url}/api/v1/identity/certificate/qr/{challenge['challenge_id']}/sign",
        "challenge_id": challenge["challenge_id"],
        "challenge": challenge["challenge"],
    }
    code, out, err = run(
        capsys, "sign-qr", json.dumps(qr), "--cert", credentials.cert, "--key", credentials.key
    )
    assert code == 0, err
    assert "signed" in out and platform.signed[0]["signature"]["algorithm"] == "RSA-PSS-SHA256"
    qr_file = tmp_path / "qr.json"
    qr_file.write_text(json.dumps({**qr, "challenge_id": "unknown"}))
    code, _, err = run(capsys, "sign-qr", qr_file, "--cert", credentials.cert, "--key", credentials.key)
    assert code == 5 and "unknown challenge" in err
    code, _, err = run(capsys, "sign-qr", "{not json", "--cert", credentials.cert, "--key", credentials.key)
    assert code == 3 and "not JSON" in err


def test_key_that_does_not_fit_the_certificate(
    tmp_path: Path,
    vendor: Vendor,
    credentials: Credentials,
    platform: StubPlatform,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = write_credentials(tmp_path / "other", vendor)
    code, _, err = run(
        capsys, "login", "--server", platform.url, "--cert", credentials.cert, "--key", other.key
    )
    assert code == 3 and "does not belong" in err
    assert platform.signed == []


def test_python_dash_m_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "yingshang.bidder", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("yingshang-bidder ")
    assert main(["pack"]) == 2
    assert main(["no-such-command"]) == 2
    make_pdf(tmp_path / "a.pdf")
    code, _, err = run(
        capsys, "pack", tmp_path / "a.pdf", "--tender", "1", "--lot", "1", "--bidder", USCC, "--price-fen", "12.5",
        "--duration-days", "1", "--quality", "q", "--project-manager", "p", "-o", tmp_path / "a.zip",
    )  # fmt: skip
    assert code == 3 and "--price-fen must be a whole number" in err
    assert not (tmp_path / "a.zip").exists()
