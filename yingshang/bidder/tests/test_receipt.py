from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from yingshang.bidder.cli import main
from yingshang.bidder.errors import InputError, VerificationError
from yingshang.bidder.receipts import RECEIPT_SIGNING_PREFIX, key_id, load_public_key, verify_receipt

KEY = Ed25519PrivateKey.generate()


def signed(payload: dict, key: Ed25519PrivateKey = KEY) -> dict:
    return {
        "receipt": payload,
        "signature": base64.b64encode(key.sign(RECEIPT_SIGNING_PREFIX + rfc8785.dumps(payload))).decode(),
        "key_id": key_id(key.public_key()),
    }


def files(tmp_path: Path) -> tuple[Path, Path, dict]:
    envelope = tmp_path / "bid.env"
    envelope.write_bytes(b"sealed bytes" * 100)
    import hashlib

    payload = {
        "bid_id": 42,
        "tender_id": 12,
        "lot_id": 3,
        "envelope_sha256": hashlib.sha256(envelope.read_bytes()).hexdigest(),
        "received_at": "2026-11-30T12:00:00.123456Z",
        "ledger": {"entry_hash": "ab" * 32, "time": "2026-11-30T12:00:00.123456Z"},
        "note": "中文",
    }
    public = tmp_path / "platform.pub.pem"
    public.write_bytes(
        KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return envelope, public, payload


def test_good_receipt(tmp_path: Path) -> None:
    envelope, public, payload = files(tmp_path)
    check = verify_receipt(signed(payload), load_public_key(public.read_bytes()), envelope=envelope)
    assert check.payload == payload and check.key_id == key_id(KEY.public_key())
    # the signature may also come as an object, and the key as raw base64
    document = signed(payload)
    document["signature"] = {"algorithm": "Ed25519", "signature": document["signature"]}
    raw = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    verify_receipt(document, load_public_key(base64.b64encode(raw)))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["receipt"].update(bid_id=43),
        lambda d: d["receipt"].update(received_at="2026-11-30T11:59:59.000000Z"),
        lambda d: d["receipt"]["ledger"].update(entry_hash="cd" * 32),
        lambda d: d["receipt"].pop("note"),
        lambda d: d.update(signature=base64.b64encode(b"\x00" * 64).decode()),
    ],
)
def test_tampered_receipt(tmp_path: Path, tamper) -> None:
    _envelope, public, payload = files(tmp_path)
    document = copy.deepcopy(signed(payload))
    tamper(document)
    with pytest.raises(VerificationError, match="not valid") as caught:
        verify_receipt(document, load_public_key(public.read_bytes()))
    assert caught.value.exit_code == 4


def test_wrong_key_and_other_envelope(tmp_path: Path) -> None:
    envelope, public, payload = files(tmp_path)
    other = Ed25519PrivateKey.generate()
    with pytest.raises(VerificationError, match="signed by key"):
        verify_receipt(signed(payload, other), load_public_key(public.read_bytes()))
    envelope.write_bytes(b"another file")
    with pytest.raises(VerificationError, match="another file"):
        verify_receipt(signed(payload), load_public_key(public.read_bytes()), envelope=envelope)
    with pytest.raises(InputError, match="Ed25519"):
        load_public_key(b"not a key")
    with pytest.raises(VerificationError, match="not a receipt"):
        verify_receipt({"hello": 1}, load_public_key(public.read_bytes()))


def test_cli_receipt_verify_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    envelope, public, payload = files(tmp_path)
    receipt = tmp_path / "bid.env.receipt.json"
    receipt.write_text(json.dumps(signed(payload)))
    assert (
        main(["receipt", "verify", str(receipt), "--public-key", str(public), "--envelope", str(envelope)])
        == 0
    )
    assert "valid receipt" in capsys.readouterr().out
    tampered = signed(payload)
    tampered["receipt"]["lot_id"] = 4
    receipt.write_text(json.dumps(tampered))
    assert main(["receipt", "verify", str(receipt), "--public-key", str(public)]) == 4
    assert "not valid" in capsys.readouterr().err
    assert main(["receipt", "verify", str(tmp_path / "absent.json"), "--public-key", str(public)]) == 3
    assert main(["receipt", "verify", str(receipt)]) == 2  # --public-key is required
