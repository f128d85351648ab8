"""The optional SM2 second signature on checkpoints (signed-note type 0xff), off by default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from yingshang.ledger import bundles, facade, keyring, note, verifier
from yingshang.ledger.contracts import Subject, Visibility
from yingshang.ledger.models import Checkpoint
from yingshang.ledger.tests.reading import run_ledger, sequenced
from yingshang.ledger.tests.recording import tampering

SUBJECT = Subject("ledger", "sm2_test", "1")


def test_sm2_verification_matches_the_standard_example() -> None:
    """GB/T 32918 (GM/T 0003) example: the key 3945208F..., user ID 1234567812345678, the message
    "message digest" and its published signature (r, s)."""
    private = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
    point = note.SM2NoteSigner("example.com/log", private).point
    assert point.hex().startswith("0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020")
    r = bytes.fromhex("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3")
    s = bytes.fromhex("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")
    assert verifier.sm2_verify(point, b"message digest", r + s)
    assert not verifier.sm2_verify(point, b"message digest!", r + s)


def test_an_sm2_signed_note_round_trips_and_ed25519_verifiers_ignore_the_line() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    ed = note.NoteSigner("example.com/log", Ed25519PrivateKey.generate())
    sm2 = note.SM2NoteSigner("example.com/log", note.sm2_private_key())
    body = note.checkpoint_body("example.com/log", 3, b"\x05" * 32)
    text = note.sign_note(body, [ed, sm2])
    assert len(verifier.split_note(text)[1]) == 2
    key = verifier.parse_sm2_verifier_key(sm2.verifier_key)
    assert key.algorithm == verifier.ALG_OTHER and key.key_id == sm2.key_id
    assert sm2.verifier_key.split("+")[1] == verifier.key_hash("example.com/log", sm2.key).hex()
    assert verifier.verify_note(text, [key]).verified_by == ("example.com/log",)
    only_ed = verifier.verify_note(text, [verifier.parse_verifier_key(ed.verifier_key)])
    assert [s.key_id for s in only_ed.unverified] == [sm2.key_id]  # ignored, as the spec says
    forged = text.replace("\n3\n", "\n4\n")
    with pytest.raises(verifier.NoteError, match="invalid signature"):
        verifier.verify_note(forged, [key])
    with pytest.raises(verifier.NoteError, match="not an SM2 key"):
        verifier.parse_sm2_verifier_key(ed.verifier_key)


@pytest.fixture
def sm2_key(tmp_path: Path, settings: Any) -> str:
    path = tmp_path / "sm2.key"
    status, out, err = run_ledger("sm2-key", "--create", str(path))
    assert status == 0, err
    assert path.stat().st_mode & 0o077 == 0
    settings.YINGSHANG = {**settings.YINGSHANG, "LEDGER_SM2_KEY": str(path)}
    vkey = out.splitlines()[-1]
    assert run_ledger("sm2-key")[1].strip() == vkey
    return vkey


@pytest.mark.django_db
def test_checkpoints_carry_an_sm2_signature_when_configured(sm2_key: str, tmp_path: Path) -> None:
    sequenced(Visibility.public(), Visibility.public(), subject=SUBJECT)
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest is not None
    signed = verifier.verify_note(latest.note, [verifier.parse_sm2_verifier_key(sm2_key)])
    assert len(signed.signatures) == 2
    verifier.verify_note(latest.note, [verifier.parse_verifier_key(facade.verifier_key())])
    status, out, err = run_ledger("verify")
    assert status == 0, err
    assert "with a valid SM2 signature" in out
    assert Client().get("/api/v1/ledger/public-key").json()["sm2_verifier_key"] == sm2_key

    bundle = bundles.build_bundle(subject=SUBJECT, principal=bundles.OPERATOR)
    assert bundle["sm2_verifier_key"] == sm2_key
    report = verifier.verify_bundle(bundle, trusted_key=facade.verifier_key(), sm2_key=sm2_key)
    assert report.sm2 == f"verified (key id {sm2_key.split('+')[1]})"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    assert verifier.main(["--key", facade.verifier_key(), "--sm2-key", sm2_key, str(path)]) == 0

    other = note.SM2NoteSigner(facade.origin(), note.sm2_private_key())
    with pytest.raises(verifier.BundleError, match="SM2 key mismatch"):
        verifier.verify_bundle(bundle, sm2_key=other.verifier_key)
    body, lines = verifier.split_note(bundle["checkpoint"])
    forged_line = verifier.NoteSignature(lines[1].name, lines[1].key_id, other.signature(body).signature)
    forged = {**bundle, "checkpoint": body + "\n" + lines[0].line() + "\n" + forged_line.line() + "\n"}
    with pytest.raises(verifier.BundleError, match="invalid signature"):
        verifier.verify_bundle(forged, sm2_key=sm2_key)


@pytest.mark.django_db
def test_sm2_is_off_by_default() -> None:
    assert keyring.sm2_key_path() is None
    sequenced(Visibility.public(), subject=SUBJECT)
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest is not None and len(verifier.split_note(latest.note)[1]) == 1
    assert Client().get("/api/v1/ledger/public-key").json()["sm2_verifier_key"] is None
    assert "sm2_verifier_key" not in bundles.build_bundle(subject=SUBJECT, principal=bundles.OPERATOR)
    assert "no SM2 key configured" in run_ledger("sm2-key")[1]


def test_an_sm2_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sm2.key"
    keyring.write_sm2_key(path)
    path.chmod(0o644)
    with pytest.raises(keyring.SM2KeyError, match="chmod 600"):
        keyring.read_sm2_key(path)


@pytest.mark.django_db
def test_ledger_verify_fails_on_a_bad_sm2_signature(sm2_key: str) -> None:
    sequenced(Visibility.public(), Visibility.public(), subject=SUBJECT)
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest is not None
    body, lines = verifier.split_note(latest.note)
    other = note.SM2NoteSigner(facade.origin(), note.sm2_private_key())
    forged_line = verifier.NoteSignature(lines[1].name, lines[1].key_id, other.signature(body).signature)
    forged = body + "\n" + lines[0].line() + "\n" + forged_line.line() + "\n"
    with tampering():
        Checkpoint.objects.filter(pk=latest.pk).update(note=forged)
    status, _out, err = run_ledger("verify")
    assert status == 1
    assert f"checkpoint {latest.size}: invalid signature" in err
