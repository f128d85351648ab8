"""UPDATE and DELETE of every insert-only log table are refused by trigger, on SQLite and on
PostgreSQL; Django's flush (the test harness's, or ``yingshang flush``) still empties them.

Migrations ``ledger.0003_insert_only`` (PostgreSQL: UPDATE and DELETE; SQLite: UPDATE) and
``ledger.0004_sqlite_insert_only`` (SQLite: DELETE, except inside ``flush``).
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from yingshang.identity.facade import principal_for_user
from yingshang.identity.testing import make_user
from yingshang.ledger import note, selectors, verifier, witnesses
from yingshang.ledger.contracts import Visibility
from yingshang.ledger.tests.reading import sequenced

TABLES = ("ledger_logentry", "ledger_treenode", "ledger_checkpoint", "ledger_cosignature")
UPDATES = {
    "ledger_logentry": "UPDATE ledger_logentry SET action = 'forged.action.done'",
    "ledger_treenode": "UPDATE ledger_treenode SET position = position + 1000",
    "ledger_checkpoint": "UPDATE ledger_checkpoint SET root = 'ff'",
    "ledger_cosignature": "UPDATE ledger_cosignature SET signature_line = 'forged'",
}
STATEMENTS = [(table, "UPDATE", UPDATES[table]) for table in TABLES] + [
    (table, "DELETE", f"DELETE FROM {table}") for table in TABLES
]


def _every_log_table_has_rows() -> None:
    """A sequenced entry and a witness's cosignature of the latest checkpoint."""
    sequenced(Visibility.public(), Visibility.public())
    principal = principal_for_user(make_user(roles=["supervisor"]))
    signer = note.NoteSigner("insert-only-witness", Ed25519PrivateKey.generate())
    witness = witnesses.register_witness(principal=principal, verifier_key=signer.verifier_key)
    checkpoint = selectors.latest_checkpoint()
    assert checkpoint is not None
    body = verifier.split_note(checkpoint.note)[0]
    witnesses.add_cosignature(principal=principal, witness_id=witness.pk, signature_line=signer.sign(body))


def _contents(table: str) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
        return [tuple(row) for row in cursor.fetchall()]


def _refused(table: str, operation: str, statement: str) -> None:
    _every_log_table_has_rows()
    before = _contents(table)
    assert before
    with (
        pytest.raises(DatabaseError, match=f"insert-only.*{operation}"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert _contents(table) == before


@pytest.mark.sqlite
@pytest.mark.django_db
@pytest.mark.parametrize(("table", "operation", "statement"), STATEMENTS)
def test_sqlite_refuses_update_and_delete(table: str, operation: str, statement: str) -> None:
    assert connection.vendor == "sqlite"
    _refused(table, operation, statement)


@pytest.mark.postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(("table", "operation", "statement"), STATEMENTS)
def test_postgresql_refuses_update_and_delete(table: str, operation: str, statement: str) -> None:
    assert connection.vendor == "postgresql"
    _refused(table, operation, statement)


@pytest.mark.django_db
def test_the_orm_cannot_delete_a_log_entry_either() -> None:
    from yingshang.ledger.models import LogEntry

    (entry,) = sequenced(Visibility.public())
    with pytest.raises(DatabaseError, match="insert-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    assert LogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_the_triggers_stay() -> None:
    """Committed rows (no test transaction around them): flush empties every log table, the
    marker row is gone afterwards and DELETE is refused again. The harness's own flush after
    this test must succeed too (it would error the test otherwise)."""
    _every_log_table_has_rows()
    call_command("flush", interactive=False, verbosity=0)
    for table in TABLES:
        assert _contents(table) == []
    if connection.vendor == "sqlite":
        assert _contents("ledger_flushing") == []
    _every_log_table_has_rows()
    with (
        pytest.raises(DatabaseError, match="insert-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM ledger_logentry")
    assert _contents("ledger_logentry")


@pytest.mark.sqlite
@pytest.mark.django_db
def test_every_sqlite_trigger_exists() -> None:
    """A migration that rebuilds a log table on SQLite (any AlterField) drops its triggers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {row[0] for row in cursor.fetchall()}
    wanted = {f"{table}_no_{op}" for table in TABLES for op in ("update", "delete")}
    assert wanted <= triggers, sorted(wanted - triggers)


@pytest.mark.postgresql
@pytest.mark.django_db
def test_every_postgresql_trigger_exists() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'O'")
        triggers = {row[0] for row in cursor.fetchall()}
    assert {f"{table}_insert_only" for table in TABLES} <= triggers
