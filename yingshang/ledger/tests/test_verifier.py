"""Evidence bundles verified offline, and the standalone verifier script."""

from __future__ import annotations

import ast
import base64
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from yingshang.ledger import verifier
from yingshang.ledger.entry import canonical_entry
from yingshang.ledger.merkle import inclusion_proof, leaf_hash, root
from yingshang.ledger.note import NoteSigner, add_signature, checkpoint_body, sign_note
from yingshang.ledger.verifier import BUNDLE_FORMAT, BundleError, main, verify_bundle

ORIGIN = "ggzy.example.cn/ledger"
VERIFIER_PATH = Path(verifier.__file__)


def entry_for(subject_id: str, n: int) -> bytes:
    return canonical_entry(
        action="trading.bid.submitted",
        actor={"kind": "user", "user_id": n},
        subject={"context": "trading", "type": "bid", "id": subject_id},
        data={"n": n, "名称": "投标"},
        visibility={"kind": "public"},
        time=datetime(2026, 11, 30, 8, 0, n % 60, tzinfo=UTC),
        salt=bytes([n % 256]) * 16,
        request={"id": f"r{n}", "address": None},
    )


class Log:
    def __init__(self, size: int = 13) -> None:
        self.signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
        self.entries = [entry_for("A" if i % 3 == 0 else "B", i) for i in range(size)]
        self.leaves = [leaf_hash(e) for e in self.entries]
        self.note = sign_note(checkpoint_body(ORIGIN, size, root(self.leaves)), [self.signer])

    def bundle(self, indexes: list[int], subject_id: str | None = "A") -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT,
            "origin": ORIGIN,
            "verifier_key": self.signer.verifier_key,
            "checkpoint": self.note,
            "subject": None
            if subject_id is None
            else {"context": "trading", "type": "bid", "id": subject_id},
            "entries": [
                {
                    "index": i,
                    "entry": self.entries[i].decode(),
                    "proof": [base64.b64encode(h).decode() for h in inclusion_proof(self.leaves, i)],
                }
                for i in indexes
            ],
        }


@pytest.fixture
def log() -> Log:
    return Log()


def test_a_good_bundle_verifies_against_the_published_key(log):
    report = verify_bundle(log.bundle([0, 3, 6, 9, 12]), trusted_key=log.signer.verifier_key)
    assert report.trusted
    assert [e.index for e in report.entries] == [0, 3, 6, 9, 12]
    assert report.tree_size == 13
    assert report.root == root(log.leaves)
    assert report.entries[0].action == "trading.bid.submitted"
    assert report.key_id == log.signer.key_id.hex()
    assert "OK: 5 entries" in report.summary()


def test_without_a_trusted_key_the_bundle_is_only_self_consistent(log):
    report = verify_bundle(log.bundle([0]))
    assert not report.trusted
    assert "NOT checked against a published key" in report.summary()


def test_key_mismatch_is_named(log):
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(BundleError, match="key mismatch"):
        verify_bundle(log.bundle([0]), trusted_key=impostor.verifier_key)


def test_a_checkpoint_signed_by_another_key_fails(log):
    bundle = log.bundle([0])
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    bundle["checkpoint"] = sign_note(checkpoint_body(ORIGIN, 13, root(log.leaves)), [impostor])
    with pytest.raises(BundleError, match="checkpoint: the note is not signed by any known key"):
        verify_bundle(bundle)


def test_tampered_entry_text_is_named(log):
    bundle = log.bundle([0, 3])
    bundle["entries"][1]["entry"] = bundle["entries"][1]["entry"].replace('"n":3', '"n":4')
    with pytest.raises(BundleError, match="entry 3: wrong inclusion proof"):
        verify_bundle(bundle)


def test_wrong_proof_and_wrong_index_are_named(log):
    bundle = log.bundle([3])
    bundle["entries"][0]["proof"][0] = base64.b64encode(bytes(32)).decode()
    with pytest.raises(BundleError, match="entry 3: wrong inclusion proof"):
        verify_bundle(bundle)
    bundle = log.bundle([3])
    bundle["entries"][0]["index"] = 13
    with pytest.raises(BundleError, match="entry 13: wrong inclusion proof: leaf index 13 is outside"):
        verify_bundle(bundle)


def test_truncated_bundles_are_named(log):
    bundle = log.bundle([3])
    bundle["entries"][0]["proof"].pop()
    with pytest.raises(BundleError, match="entry 3: wrong inclusion proof: inclusion proof too short"):
        verify_bundle(bundle)
    bundle = log.bundle([3])
    del bundle["entries"][0]["proof"]
    with pytest.raises(BundleError, match="entry 3: missing field 'proof'"):
        verify_bundle(bundle)
    bundle = log.bundle([3])
    del bundle["checkpoint"]
    with pytest.raises(BundleError, match="missing field 'checkpoint'"):
        verify_bundle(bundle)
    bundle = log.bundle([3])
    bundle["checkpoint"] = bundle["checkpoint"][:-30]
    with pytest.raises(BundleError, match="checkpoint:"):
        verify_bundle(bundle)


def test_format_origin_subject_and_duplicates(log):
    bundle = log.bundle([0])
    bundle["format"] = "something/2"
    with pytest.raises(BundleError, match="unknown format"):
        verify_bundle(bundle)
    bundle = log.bundle([0])
    bundle["origin"] = "other.example/log"
    with pytest.raises(BundleError, match="origin mismatch"):
        verify_bundle(bundle)
    with pytest.raises(BundleError, match="entry 1: belongs to subject"):
        verify_bundle(log.bundle([0, 1], subject_id="A"))
    assert len(verify_bundle(log.bundle([0, 1], subject_id=None)).entries) == 2
    with pytest.raises(BundleError, match="entry 0: appears twice"):
        verify_bundle(log.bundle([0, 0]))
    with pytest.raises(BundleError, match="not a JSON object"):
        verify_bundle([])  # type: ignore[arg-type]


def test_witness_cosignatures(log):
    witness = NoteSigner("supervision.example.cn/witness", Ed25519PrivateKey.generate())
    bundle = log.bundle([0])
    bundle["cosignatures"] = [witness.verifier_key]
    with pytest.raises(BundleError, match="no cosignature from listed witness"):
        verify_bundle(bundle)
    bundle["checkpoint"] = add_signature(log.note, witness)
    assert verify_bundle(bundle).witnesses == (witness.name,)
    # a witness alone cannot stand in for the log
    bundle["checkpoint"] = sign_note(checkpoint_body(ORIGIN, 13, root(log.leaves)), [witness])
    with pytest.raises(BundleError, match="checkpoint"):
        verify_bundle(bundle)


# --- the command line and the standalone file ---------------------------------------------------


def write(tmp_path: Path, bundle: Any) -> Path:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return path


def test_main_reports_and_exits(log, tmp_path, capsys):
    path = write(tmp_path, log.bundle([0, 3]))
    assert main(["--key", log.signer.verifier_key, str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: 2 entries")
    assert "WARNING" not in out
    assert main([str(path)]) == 0
    assert "WARNING" in capsys.readouterr().out
    path.write_text(path.read_text(encoding="utf-8")[:200], encoding="utf-8")
    assert main([str(path)]) == 1
    assert "not valid JSON (truncated?)" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.json")]) == 1
    assert "cannot read" in capsys.readouterr().out


def test_verifier_imports_only_the_standard_library_and_cryptography():
    tree = ast.parse(VERIFIER_PATH.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            roots.add((node.module or "").split(".")[0])
    # gmalg: optional (SM2 second signatures), imported under try/except ImportError
    assert roots - {"__future__", "cryptography", "gmalg"} <= set(sys.stdlib_module_names)


def test_a_copied_verifier_runs_on_its_own(log, tmp_path):
    copy = tmp_path / "elsewhere" / "verifier.py"
    copy.parent.mkdir()
    shutil.copy(VERIFIER_PATH, copy)
    path = write(tmp_path, log.bundle([0, 3, 6]))
    # -I: isolated mode, the project is not on sys.path
    good = subprocess.run(
        [sys.executable, "-I", str(copy), "--key", log.signer.verifier_key, str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=copy.parent,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "OK: 3 entries" in good.stdout
    bad = log.bundle([0])
    bad["entries"][0]["proof"] = []
    bad_path = tmp_path / "bad.json"
    bad_path.write_text(json.dumps(bad), encoding="utf-8")
    failed = subprocess.run(
        [sys.executable, "-I", str(copy), str(bad_path)], capture_output=True, text=True, check=False
    )
    assert failed.returncode == 1
    assert "FAILED: entry 0: wrong inclusion proof" in failed.stdout


def test_module_entry_point(log, tmp_path):
    path = write(tmp_path, log.bundle([0]))
    result = subprocess.run(
        [sys.executable, "-m", "yingshang.ledger.verifier", "--key", log.signer.verifier_key, str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docs_examples_are_real():
    """docs/ledger-format.md shows values computed by this code; recompute them."""
    from decimal import Decimal

    from yingshang.ledger.contracts import Actor, Subject, Visibility
    from yingshang.ledger.note import promise_text, sign_promise

    doc = (Path(__file__).resolve().parents[3] / "docs" / "ledger-format.md").read_text(encoding="utf-8")
    entry = canonical_entry(
        action="trading.bid.submitted",
        actor=Actor.user(42, organisation_id=7, role="bidder").as_json(),
        subject=Subject("trading", "bid", "1234").as_json(),
        data={"amount_fen": 1234567800, "deposit": Decimal("20000.00"), "project": "某市政道路工程施工"},
        visibility=Visibility.public_from(
            "trading.opening.held", Subject("trading", "project", "88"), user_ids=[42], organisation_ids=[7]
        ).as_json(),
        time=datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=UTC),
        salt=bytes(range(16)),
        request={"id": "01JDX3Q7Z8", "address": "203.0.113.9"},
    )
    assert f"one line, {len(entry)} bytes" in doc
    assert entry.decode() in doc.replace("\n", "")  # the example is the entry, line-wrapped
    leaf = leaf_hash(entry)
    assert leaf.hex() in doc
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    signer = NoteSigner(ORIGIN, key)
    witness = NoteSigner("jw.example.cn/witness", Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64))))
    leaves = [leaf_hash(f"x{i}".encode()) for i in range(4)] + [leaf]
    note = sign_note(checkpoint_body(ORIGIN, 5, root(leaves)), [signer])
    assert signer.verifier_key in doc
    assert witness.verifier_key in doc
    assert note in doc
    assert add_signature(note, witness).splitlines()[-1] in doc
    assert root(leaves).hex() in doc
    assert base64.b64encode(inclusion_proof(leaves, 4)[0]).decode() in doc
    promise = promise_text(origin=ORIGIN, leaf_hash=leaf, time="2026-11-30T01:02:03.456789Z")
    assert sign_promise(key, promise) in doc
