"""Evidence bundles: built for what the reader may see, checked offline, tampering named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from yingshang.kernel.policy import Principal
from yingshang.ledger import bundles, facade, note, verifier
from yingshang.ledger.contracts import Subject, Visibility
from yingshang.ledger.tests.reading import record_fact, run_ledger, sequenced

pytestmark = pytest.mark.django_db

SUBJECT = Subject("ledger", "read_test", "bundle")
PARTY = Principal(user_id=7, organisation_id=70, roles=frozenset({"bidder"}))


def test_a_bundle_holds_only_what_the_principal_may_read_and_verifies() -> None:
    public, party, oversight = sequenced(
        Visibility.public(), Visibility.parties(user_ids=[7]), Visibility.oversight(), subject=SUBJECT
    )
    sequenced(Visibility.public())  # another subject
    record_fact(Visibility.public(), subject=SUBJECT)  # not sequenced yet: not in the bundle
    everything = bundles.build_bundle(subject=SUBJECT, principal=bundles.OPERATOR)
    assert [e["index"] for e in everything["entries"]] == [public.index, party.index, oversight.index]
    mine = bundles.build_bundle(subject=SUBJECT, principal=PARTY)
    assert [e["index"] for e in mine["entries"]] == [public.index, party.index]
    report = verifier.verify_bundle(mine, trusted_key=facade.verifier_key())
    assert report.trusted and [e.index for e in report.entries] == [public.index, party.index]
    by_index = bundles.build_bundle(subject=None, indexes=[oversight.index], principal=Principal.guest())
    assert by_index["entries"] == []


def test_bundle_and_verify_bundle_commands(tmp_path: Path) -> None:
    sequenced(Visibility.public(), Visibility.oversight(), subject=SUBJECT)
    path = tmp_path / "bundle.json"
    status, out, _err = run_ledger("bundle", "--subject", "ledger:read_test:bundle", "-o", str(path))
    assert status == 0 and "2 entries" in out
    key = facade.verifier_key()
    status, out, _err = run_ledger("verify-bundle", str(path), "--key", key)
    assert status == 0 and out.startswith("OK: 2 entries")

    bundle = json.loads(path.read_text())
    bundle["entries"][1]["entry"] = bundle["entries"][1]["entry"].replace('"n":1', '"n":2')
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(bundle))
    status, _out, err = run_ledger("verify-bundle", str(tampered), "--key", key)
    assert status == 1 and "wrong inclusion proof" in err

    truncated = tmp_path / "truncated.json"
    truncated.write_text(path.read_text()[:200])
    status, _out, err = run_ledger("verify-bundle", str(truncated))
    assert status == 1 and "not valid JSON" in err

    other_key = note.NoteSigner(facade.origin(), Ed25519PrivateKey.generate()).verifier_key
    status, _out, err = run_ledger("verify-bundle", str(path), "--key", other_key)
    assert status == 1 and "key mismatch" in err


def test_bundle_command_refuses_bad_subjects_and_an_empty_ledger(tmp_path: Path) -> None:
    status, _out, err = run_ledger("bundle", "--subject", "nonsense", "-o", str(tmp_path / "b.json"))
    assert status == 1 and "identity:organisation:7" in err
    status, _out, err = run_ledger("bundle", "--subject", "a:b:c", "-o", str(tmp_path / "b.json"))
    assert status == 1 and not (tmp_path / "b.json").exists()
