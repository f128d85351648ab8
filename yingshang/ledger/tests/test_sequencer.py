"""The sequencer: outbox -> log with no gaps, stored subtrees, consistent signed checkpoints."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection

from yingshang.ledger import facade, locks, merkle, note, services, verifier
from yingshang.ledger.models import Checkpoint, LogEntry, OutboxEntry, TreeNode
from yingshang.ledger.selectors import fetch_nodes
from yingshang.ledger.tests.reading import run_ledger as run
from yingshang.ledger.tests.recording import TEST_ACTION, record_many, tampering

pytestmark = pytest.mark.django_db


def checkpoint_body(checkpoint: Checkpoint) -> verifier.CheckpointBody:
    key = verifier.parse_verifier_key(facade.verifier_key())
    return verifier.parse_checkpoint(verifier.verify_note(checkpoint.note, [key]).body)


def test_sequencing_assigns_indexes_without_gaps_and_signs_checkpoints() -> None:
    promises = record_many(23)
    result = facade.sequence_once(batch_size=5)
    assert (result.sequenced, result.size, result.already_running) == (23, 23, False)
    assert not OutboxEntry.objects.exists()
    entries = list(LogEntry.objects.order_by("index"))
    assert [e.index for e in entries] == list(range(23))
    assert [e.leaf_hash for e in entries] == [p.entry_hash for p in promises]
    # the denormalised columns come from the entry text
    first = entries[0]
    assert (first.action, first.subject_context, first.subject_type, first.subject_id) == (
        TEST_ACTION,
        "ledger",
        "test",
        "0",
    )
    assert (first.actor_user_id, first.actor_organisation_id) == (7, 3)
    assert first.visibility == {"kind": "parties", "user_ids": [7], "organisation_ids": [3]}
    assert first.time == promises[0].time
    # one checkpoint per batch of five, each signed and consistent with the one before
    sizes = list(Checkpoint.objects.order_by("size").values_list("size", flat=True))
    assert sizes == [5, 10, 15, 20, 23]
    leaves = [bytes.fromhex(e.leaf_hash) for e in entries]
    previous = None
    for checkpoint in Checkpoint.objects.order_by("size"):
        body = checkpoint_body(checkpoint)
        assert (body.origin, body.size) == (facade.origin(), checkpoint.size)
        assert body.root == merkle.root(leaves[: checkpoint.size]) == bytes.fromhex(checkpoint.root)
        if previous is not None:
            proof = merkle.consistency_proof_from(fetch_nodes, previous.size, checkpoint.size)
            merkle.verify_consistency(previous.size, checkpoint.size, previous.root, body.root, proof)
        previous = body
    assert result.checkpoint is not None and result.checkpoint.size == 23
    # every complete subtree above the leaves is stored: sum over levels >= 1 of floor(23 / 2**level)
    assert TreeNode.objects.count() == sum(23 >> level for level in range(1, 5))
    assert not TreeNode.objects.filter(level=0).exists()  # leaves are the log's own leaf hashes
    for index in (0, 11, 22):
        proof = merkle.inclusion_proof_from(fetch_nodes, index, 23)
        merkle.verify_inclusion(leaves[index], index, 23, proof, merkle.root(leaves))


def test_later_passes_extend_the_log_and_never_go_backwards() -> None:
    record_many(3)
    facade.sequence_once()
    nothing = facade.sequence_once()
    assert (nothing.sequenced, nothing.size, nothing.checkpoint) == (0, 3, None)
    record_many(6, start=3)
    result = facade.sequence_once(batch_size=4)
    assert (result.sequenced, result.size) == (6, 9)
    assert list(LogEntry.objects.order_by("index").values_list("index", flat=True)) == list(range(9))
    assert list(Checkpoint.objects.order_by("size").values_list("size", flat=True)) == [3, 7, 9]


def test_an_empty_log_gets_a_signed_empty_checkpoint() -> None:
    result = facade.sequence_once()
    assert (result.sequenced, result.size) == (0, 0)
    assert result.checkpoint is not None
    assert checkpoint_body(result.checkpoint).root == merkle.EMPTY_ROOT
    assert facade.sequence_once().checkpoint is None  # signed once, not on every pass
    record_many(2)
    assert facade.sequence_once().size == 2
    code, out, _ = run("verify")
    assert code == 0 and "2 entries" in out


def test_a_second_sequencer_is_told_one_is_running() -> None:
    record_many(2)
    if connection.vendor == "postgresql":
        other = psycopg.connect(**_psycopg_settings(), autocommit=True)
        try:
            assert other.execute("SELECT pg_try_advisory_lock(%s)", [locks.ADVISORY_KEY]).fetchone() == (
                True,
            )
            result = facade.sequence_once()
            other.execute("SELECT pg_advisory_unlock(%s)", [locks.ADVISORY_KEY])
        finally:
            other.close()
    else:
        with locks.sequencer_lock() as acquired:
            assert acquired
            result = facade.sequence_once()
    assert result.already_running and result.sequenced == 0 and result.checkpoint is None
    assert OutboxEntry.objects.count() == 2
    code, out, _ = run("sequence")
    assert code == 0 and "sequenced 2 entries; tree size 2" in out
    assert not OutboxEntry.objects.exists()


def _psycopg_settings() -> dict[str, Any]:
    params = connection.get_connection_params()
    return {k: v for k, v in params.items() if k in {"dbname", "user", "password", "host", "port"}}


def _entry_text(number: int) -> str:
    from yingshang.ledger.entry import canonical_entry, new_salt

    return canonical_entry(
        action=TEST_ACTION,
        actor={"kind": "system", "name": "test"},
        subject={"context": "ledger", "type": "test", "id": str(number)},
        data={},
        visibility={"kind": "public"},
        time=datetime.now(UTC),
        salt=new_salt(),
        request={},
    ).decode()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_rows_committed_out_of_id_order_are_all_sequenced() -> None:
    """On PostgreSQL a transaction that took a lower id may commit later: it is neither skipped
    nor deleted unsequenced."""
    late = _entry_text(1)
    other = psycopg.connect(**_psycopg_settings())
    try:
        with other.cursor() as cursor:  # takes the lower id but commits last
            cursor.execute(
                "INSERT INTO ledger_outboxentry (entry, leaf_hash, recorded_at, action, subject_context, "
                "subject_type, subject_id, actor_user_id, actor_organisation_id, visibility) "
                "VALUES (%s, %s, now(), %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                [
                    late,
                    merkle.leaf_hash(late.encode()).hex(),
                    *(
                        json.dumps(value) if name == "visibility" else value
                        for name, value in services.outbox_columns(late).items()
                    ),
                ],
            )
            returned = cursor.fetchone()
            assert returned is not None
            late_id = returned[0]
        early = record_many(1)[0]
        assert early.outbox_id > late_id
        assert facade.sequence_once().sequenced == 1
        other.commit()
    finally:
        other.close()
    assert OutboxEntry.objects.filter(pk=late_id).exists()
    assert facade.sequence_once().sequenced == 1
    assert list(LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)) == [
        early.entry_hash,
        merkle.leaf_hash(late.encode()).hex(),
    ]
    assert not OutboxEntry.objects.exists()
    assert run("verify")[0] == 0


def tamper_log_check(expected: str) -> None:
    code, _, err = run("verify")
    assert code == 1
    assert expected in err, err


def test_verify_passes_on_an_honest_log() -> None:
    record_many(40)
    facade.sequence_once(batch_size=9)
    code, out, err = run("verify")
    assert code == 0, err
    assert "ok: 40 entries" in out and "5 checkpoints" in out


def test_verify_detects_an_edited_entry() -> None:
    record_many(12)
    facade.sequence_once(batch_size=5)
    with tampering():
        entry = LogEntry.objects.get(index=7)
        LogEntry.objects.filter(index=7).update(entry=entry.entry.replace('"number":7', '"number":8'))
    tamper_log_check("entry 7: leaf hash does not match its text")


def test_verify_detects_a_deleted_node() -> None:
    record_many(12)
    facade.sequence_once(batch_size=5)
    with tampering():
        TreeNode.objects.filter(level=1, position=2).delete()
    tamper_log_check("tree node (level 1, position 2) is missing")


def test_verify_detects_a_changed_node() -> None:
    record_many(12)
    facade.sequence_once(batch_size=5)
    with tampering():
        TreeNode.objects.filter(level=2, position=1).update(hash=b"\x00" * 32)
    tamper_log_check("tree node (level 2, position 1) does not match the leaves under it")


def test_verify_detects_a_forged_checkpoint() -> None:
    record_many(12)
    facade.sequence_once(batch_size=5)
    checkpoint = Checkpoint.objects.get(size=10)
    intruder = note.NoteSigner(facade.origin(), Ed25519PrivateKey.generate())
    forged = note.sign_note(
        note.checkpoint_body(facade.origin(), 10, bytes.fromhex(checkpoint.root)), [intruder]
    )
    with tampering():
        Checkpoint.objects.filter(size=10).update(note=forged)
    tamper_log_check("checkpoint 10: the note is not signed by any known key")


def test_verify_detects_a_checkpoint_signed_over_a_wrong_root() -> None:
    record_many(12)
    facade.sequence_once(batch_size=5)
    wrong = services.sign_checkpoint(10, b"\x07" * 32)
    with tampering():
        Checkpoint.objects.filter(size=10).update(note=wrong, root=(b"\x07" * 32).hex())
    tamper_log_check("checkpoint 10: its root does not match the root recomputed from the entries")


def test_verify_detects_a_missing_entry_and_a_checkpoint_beyond_the_log() -> None:
    record_many(12)
    facade.sequence_once(batch_size=5)
    with tampering():
        LogEntry.objects.filter(index=11).delete()
    tamper_log_check("checkpoint 12: claims more entries than the log's 11")
    with tampering():
        LogEntry.objects.filter(index=4).delete()
    tamper_log_check("entry 4 is missing (the next stored entry is 5)")


def test_the_sequencer_refuses_to_extend_a_damaged_tree() -> None:
    record_many(3)
    facade.sequence_once()
    with tampering():
        LogEntry.objects.filter(index=2).update(leaf_hash="00" * 32)  # level 0 of the tree
    record_many(1, start=3)
    with pytest.raises(services.SequencerError, match="differs from the signed checkpoint"):
        facade.sequence_once()
    assert OutboxEntry.objects.count() == 1


def test_checkpoint_and_public_key_commands() -> None:
    code, _, err = run("checkpoint")
    assert code == 1 and "no checkpoint yet" in err
    record_many(2)
    facade.sequence_once()
    code, out, _ = run("checkpoint")
    assert code == 0
    assert out == Checkpoint.objects.get(size=2).note
    code, out, _ = run("public-key")
    assert code == 0
    key = verifier.parse_verifier_key(out.strip())
    assert key.name == facade.origin()
    verifier.verify_note(Checkpoint.objects.get(size=2).note, [key])


def test_the_sequencer_refuses_an_outbox_row_changed_after_it_was_recorded() -> None:
    record_many(4)
    (row_id,) = OutboxEntry.objects.order_by("id").values_list("id", flat=True)[2:3]
    text = OutboxEntry.objects.get(pk=row_id).entry
    OutboxEntry.objects.filter(pk=row_id).update(entry=text.replace('"number":2', '"number":9'))
    with pytest.raises(services.SequencerError, match=f"outbox row {row_id}: its leaf hash does not match"):
        facade.sequence_once()
    assert LogEntry.objects.count() == 0 and OutboxEntry.objects.count() == 4  # nothing moved


def test_level_zero_of_the_tree_is_served_from_the_log() -> None:
    record_many(5)
    facade.sequence_once()
    leaves = [
        bytes.fromhex(h) for h in LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]
    found = fetch_nodes([(0, 4), (1, 0), (2, 0), (0, 0)])
    assert found == {
        (0, 4): leaves[4],
        (0, 0): leaves[0],
        (1, 0): merkle.node_hash(leaves[0], leaves[1]),
        (2, 0): merkle.root(leaves[:4]),
    }


def test_migration_0005_fills_the_columns_of_rows_already_waiting() -> None:
    """Rows recorded before the outbox carried the log's columns get them from their entries."""
    import importlib

    from django.apps import apps

    lean_log = importlib.import_module("yingshang.ledger.migrations.0005_lean_log")
    record_many(2)
    expected = list(OutboxEntry.objects.order_by("id").values_list("action", "subject_id", "visibility"))
    OutboxEntry.objects.update(action="", subject_context="", subject_type="", subject_id="", visibility={})
    lean_log.fill_outbox(apps, None)
    assert (
        list(OutboxEntry.objects.order_by("id").values_list("action", "subject_id", "visibility")) == expected
    )
    facade.sequence_once()
    assert list(LogEntry.objects.order_by("index").values_list("action", flat=True)) == [TEST_ACTION] * 2
