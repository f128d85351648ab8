"""Key rotation: ``ledger rotate-key`` makes a new checkpoint key, later checkpoints are signed
with it, ``ledger verify`` checks each checkpoint against the key of its period, bundles carry
the key that signed their checkpoint (docs/keys.md, "Rotation")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from yingshang.kernel import keys
from yingshang.ledger import bundles, facade, keyring, note, verifier
from yingshang.ledger.contracts import Subject, Visibility
from yingshang.ledger.models import Checkpoint
from yingshang.ledger.tests.reading import run_ledger, sequenced
from yingshang.ledger.tests.recording import record_many, tampering

pytestmark = pytest.mark.django_db

SUBJECT = Subject("ledger", "rotation_test", "1")


@pytest.fixture(autouse=True)
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A platform key of this test's own, in a folder of its own (with its key history)."""
    path = tmp_path / "keys" / "platform-signing-ed25519.pem"
    monkeypatch.setenv("YINGSHANG_SIGNING_KEY_PATH", str(path))
    keys.platform_signing_key.cache_clear()
    yield path
    keys.platform_signing_key.cache_clear()


def _rotate() -> str:
    status, out, err = run_ledger("rotate-key")
    assert status == 0, err
    assert "publish the new verifier key: " in out
    return facade.verifier_key()


def test_checkpoints_after_a_rotation_are_signed_by_the_new_key_and_all_verify(own_key: Path) -> None:
    sequenced(Visibility.public(), Visibility.public(), Visibility.public(), subject=SUBJECT)
    first_key = facade.verifier_key()
    assert not keyring.history_path().exists()
    assert run_ledger("verify")[0] == 0

    second_key = _rotate()
    assert second_key != first_key
    history = keyring.history_path().read_text()
    assert f"0 {first_key}\n4 {second_key}\n" in history
    retired = own_key.with_name(f"{own_key.stem}.retired-{first_key.split('+')[1]}.pem")
    assert retired.exists() and retired.stat().st_mode & 0o077 == 0

    sequenced(Visibility.public(), Visibility.public(), subject=SUBJECT)
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest is not None and latest.size == 5
    assert latest.key_id == second_key.split("+")[1]
    verifier.verify_note(latest.note, [verifier.parse_verifier_key(second_key)])
    status, out, err = run_ledger("verify")
    assert status == 0, err
    assert "2 checkpoints verified" in out or "checkpoints verified" in out

    status, out, _err = run_ledger("keys")
    assert status == 0
    assert out.splitlines() == [f"0 3 {first_key}", f"4 - {second_key}"]

    answer = Client().get("/api/v1/ledger/public-key").json()
    assert answer["verifier_key"] == second_key
    assert answer["keys"] == [
        {"verifier_key": first_key, "first_size": 0, "last_size": 3},
        {"verifier_key": second_key, "first_size": 4, "last_size": None},
    ]


def test_a_bundle_carries_the_key_that_signed_its_checkpoint(tmp_path: Path) -> None:
    sequenced(Visibility.public(), Visibility.public(), subject=SUBJECT)
    first_key = facade.verifier_key()
    second_key = _rotate()  # no checkpoint since: the latest one is still the first key's
    bundle = bundles.build_bundle(subject=SUBJECT, principal=bundles.OPERATOR)
    assert bundle["verifier_key"] == first_key
    report = verifier.verify_bundle(bundle, trusted_key=[first_key, second_key])
    assert report.trusted and report.key_id == first_key.split("+")[1]
    with pytest.raises(verifier.BundleError, match="key mismatch"):
        verifier.verify_bundle(bundle, trusted_key=second_key)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    assert verifier.main(["--key", first_key, "--key", second_key, str(path)]) == 0

    sequenced(Visibility.public(), subject=SUBJECT)
    bundle = bundles.build_bundle(subject=SUBJECT, principal=bundles.OPERATOR)
    assert bundle["verifier_key"] == second_key
    assert verifier.verify_bundle(bundle, trusted_key=[first_key, second_key]).trusted


def _resign(size: int, signer: note.NoteSigner) -> None:
    checkpoint = Checkpoint.objects.get(size=size)
    forged = note.sign_note(
        note.checkpoint_body(facade.origin(), size, bytes.fromhex(checkpoint.root)), [signer]
    )
    with tampering():
        Checkpoint.objects.filter(size=size).update(note=forged)


def test_verify_names_a_checkpoint_signed_by_an_unknown_key() -> None:
    record_many(3)
    facade.sequence_once()
    _rotate()
    record_many(2, start=3)
    facade.sequence_once()
    _resign(5, note.NoteSigner(facade.origin(), Ed25519PrivateKey.generate()))
    status, _out, err = run_ledger("verify")
    assert status == 1
    assert "FAILED: checkpoint 5: the note is not signed by any known key" in err


def test_verify_refuses_a_retired_key_signing_after_its_period(own_key: Path) -> None:
    record_many(3)
    facade.sequence_once()
    old_id = facade.verifier_key().split("+")[1]
    _rotate()
    record_many(2, start=3)
    facade.sequence_once()
    retired = own_key.with_name(f"{own_key.stem}.retired-{old_id}.pem")
    old_key = serialization.load_pem_private_key(retired.read_bytes(), password=None)
    assert isinstance(old_key, Ed25519PrivateKey)
    _resign(5, note.NoteSigner(facade.origin(), old_key))
    status, _out, err = run_ledger("verify")
    assert status == 1
    assert f"FAILED: checkpoint 5: signed by key {old_id}, but its tree size belongs to key" in err


def test_a_key_replaced_without_rotate_key_is_reported(own_key: Path) -> None:
    record_many(1)
    facade.sequence_once()
    _rotate()
    own_key.unlink()  # someone swaps the key file by hand
    keys.ensure_signing_key()
    status, _out, err = run_ledger("verify")
    assert status == 1
    assert "is not the last key of" in err and "rotate-key" in err
