"""Signed notes (C2SP signed-note), checkpoints (C2SP tlog-checkpoint) and entry promises."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from yingshang.ledger.note import (
    NoteSigner,
    add_signature,
    checkpoint_body,
    key_id,
    promise_text,
    sign_note,
    sign_promise,
    verifier_key,
    verify_promise,
)
from yingshang.ledger.verifier import (
    EMPTY_ROOT,
    NoteError,
    PromiseError,
    leaf_hash,
    parse_checkpoint,
    parse_verifier_key,
    verify_note,
)

# The example of golang.org/x/mod/sumdb/note (also used by the C2SP signed-note spec's implementations).
GO_SKEY_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


@pytest.fixture
def go_signer() -> NoteSigner:
    return NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(GO_SKEY_SEED))


@pytest.fixture
def log() -> NoteSigner:
    return NoteSigner("ggzy.example.cn/ledger", Ed25519PrivateKey.generate())


def test_key_id_and_verifier_key_match_the_go_vector(go_signer):
    public = go_signer.private_key.public_key()
    assert key_id("PeterNeumann", public).hex() == "c74f20a3"
    assert verifier_key("PeterNeumann", public) == GO_VKEY
    assert go_signer.verifier_key == GO_VKEY
    parsed = parse_verifier_key(GO_VKEY)
    assert parsed.name == "PeterNeumann"
    assert parsed.key_id == bytes.fromhex("c74f20a3")


def test_signing_reproduces_the_go_note_byte_for_byte(go_signer):
    assert sign_note(GO_TEXT, [go_signer]) == GO_NOTE
    assert go_signer.sign(GO_TEXT) == GO_NOTE.split("\n\n")[1].rstrip("\n")
    opened = verify_note(GO_NOTE, [parse_verifier_key(GO_VKEY)])
    assert opened.body == GO_TEXT
    assert opened.verified_by == ("PeterNeumann",)


def test_tampered_body_fails():
    with pytest.raises(NoteError, match="invalid signature for key 'PeterNeumann'"):
        verify_note(GO_NOTE.replace("cryptography", "cryptographY"), [parse_verifier_key(GO_VKEY)])


def test_wrong_key_and_unknown_keys(log):
    other = NoteSigner(log.name, Ed25519PrivateKey.generate())
    note = sign_note("hello\n", [log])
    # the same name with another key is a different key id: not known, so nothing verified
    with pytest.raises(NoteError, match="not signed by any known key"):
        verify_note(note, [parse_verifier_key(other.verifier_key)])
    # unknown signers are ignored as the spec says
    both = sign_note("hello\n", [other, log])
    opened = verify_note(both, [parse_verifier_key(log.verifier_key)])
    assert opened.verified_by == (log.name,)
    assert [s.name for s in opened.unverified] == [log.name]


def test_forged_signature_by_a_known_key_is_an_error(log):
    body = "hello\n"
    forged = body + "\n— " + log.name + " " + base64.b64encode(log.key_id + bytes(64)).decode() + "\n"
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(forged, [parse_verifier_key(log.verifier_key)])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hello\n— a AAAA\n", "blank line"),
        ("hello\n\n", "no signature lines"),
        ("hello\n\n- a AAAAAAA=\n", "em dash"),
        ("hello\n\n— a+b AAAAAAA=\n", "malformed signature line"),
        ("hello\n\n— a ***\n", "not valid base64"),
        ("hello\n\n— a AAAA\n", "too short"),
        ("hel\tlo\n\n— a AAAAAAA=\n", "control characters"),
        ("hello\n\n— a AAAAAAA=", "end with a newline"),
    ],
)
def test_malformed_notes_are_refused(text, reason):
    with pytest.raises(NoteError, match=reason):
        verify_note(text, [parse_verifier_key(GO_VKEY)])


@pytest.mark.parametrize(
    ("vkey", "reason"),
    [
        ("PeterNeumann+c74f20a3", "has the form"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("PeterNeumann+c74f20a3+" + base64.b64encode(b"\x02" + bytes(32)).decode(), "not an Ed25519 key"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid key name"),
        ("PeterNeumann+c74f20a3+!!!", "not valid base64"),
    ],
)
def test_malformed_verifier_keys_are_refused(vkey, reason):
    with pytest.raises(NoteError, match=reason):
        parse_verifier_key(vkey)


def test_witness_cosignature_adds_a_second_signature_over_the_same_body(log):
    witness = NoteSigner("supervision.example.cn/witness", Ed25519PrivateKey.generate())
    body = checkpoint_body(log.name, 8, EMPTY_ROOT)
    note = sign_note(body, [log])
    cosigned = add_signature(note, witness)
    assert cosigned.startswith(note)
    opened = verify_note(
        cosigned, [parse_verifier_key(log.verifier_key), parse_verifier_key(witness.verifier_key)]
    )
    assert opened.body == body
    assert opened.verified_by == (log.name, witness.name)
    # signing twice replaces, never repeats
    assert add_signature(cosigned, witness).count(witness.name) == 1


def test_checkpoint_body_round_trip():
    root = leaf_hash(b"x")
    body = checkpoint_body("ggzy.example.cn/ledger", 1234, root, ["ext one"])
    assert body == f"ggzy.example.cn/ledger\n1234\n{base64.b64encode(root).decode()}\next one\n"
    parsed = parse_checkpoint(body)
    assert (parsed.origin, parsed.size, parsed.root, parsed.extensions) == (
        "ggzy.example.cn/ledger",
        1234,
        root,
        ("ext one",),
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("origin\n12\n", "needs an origin line"),
        ("\n12\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n", "origin line is empty"),
        ("o\n012\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n", "leading zeros"),
        ("o\n-1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n", "not a decimal"),
        ("o\n1\n" + base64.b64encode(b"short").decode() + "\n", "not 32"),
        ("o\n1\n" + base64.b64encode(EMPTY_ROOT).decode(), "ending with a newline"),
    ],
)
def test_malformed_checkpoints_are_refused(body, reason):
    with pytest.raises(NoteError, match=reason):
        parse_checkpoint(body)


def test_checkpoint_body_refuses_bad_input():
    with pytest.raises(ValueError, match="origin"):
        checkpoint_body("two\nlines", 1, EMPTY_ROOT)
    with pytest.raises(ValueError, match="32 bytes"):
        checkpoint_body("o", 1, b"short")
    with pytest.raises(ValueError, match="tree size"):
        checkpoint_body("o", -1, EMPTY_ROOT)


def test_entry_promise_bytes_sign_and_verify():
    key = Ed25519PrivateKey.generate()
    leaf = leaf_hash(b"entry")
    text = promise_text(origin="ggzy.example.cn/ledger", leaf_hash=leaf, time="2026-11-30T08:00:00.000000Z")
    assert text == (
        b"yingshang-entry-promise/1\nggzy.example.cn/ledger\n"
        + leaf.hex().encode()
        + b"\n2026-11-30T08:00:00.000000Z\n"
    )
    signature = sign_promise(key, text)
    verify_promise(key.public_key(), text, signature)
    with pytest.raises(PromiseError, match="does not verify"):
        verify_promise(Ed25519PrivateKey.generate().public_key(), text, signature)
    with pytest.raises(PromiseError, match="does not verify"):
        verify_promise(key.public_key(), text.replace(b"08:00", b"08:01"), signature)
    with pytest.raises(PromiseError, match="not valid base64"):
        verify_promise(key.public_key(), text, "%%%")
    with pytest.raises(ValueError, match="single line"):
        promise_text(origin="a\nb", leaf_hash=leaf, time="t")


def test_verifier_keys_whose_base64_contains_plus_parse():
    seeds = (bytes([i]) * 32 for i in range(256))
    signer = next(
        s
        for s in (NoteSigner("log", Ed25519PrivateKey.from_private_bytes(seed)) for seed in seeds)
        if "+" in s.verifier_key.split("+", 2)[2]
    )
    note = sign_note("body\n", [signer])
    assert verify_note(note, [parse_verifier_key(signer.verifier_key)]).verified_by == ("log",)
