"""PostgreSQL only: DELETE is refused by trigger even for the owner, and the documented auditor
role can SELECT but not write.

This module runs only when the test database is PostgreSQL (``DATABASE_URL=postgres://...``);
CI runs the suite on both databases, so it runs there. In the SQLite pass it is deselected
(the ``postgresql`` marker, see conftest.py) because the features it tests (row-level DELETE triggers on the log, database roles) are PostgreSQL's.
"""

from __future__ import annotations

import os

import pytest
from django.db import DatabaseError, connection, transaction

from yingshang.ledger.contracts import Visibility
from yingshang.ledger.dbroles import auditor_grants
from yingshang.ledger.models import LogEntry
from yingshang.ledger.tests.reading import sequenced

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgresql,
]

TABLES = ("ledger_logentry", "ledger_treenode", "ledger_checkpoint", "ledger_cosignature")


def _cosigned_checkpoint() -> None:
    """Two sequenced entries (a tree node above them) and a witness's cosignature, so every log
    table has rows."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from yingshang.identity.facade import principal_for_user
    from yingshang.identity.testing import make_user
    from yingshang.ledger import note, selectors, verifier, witnesses

    sequenced(Visibility.public(), Visibility.public())
    principal = principal_for_user(make_user(roles=["supervisor"]))
    signer = note.NoteSigner("pg-witness", Ed25519PrivateKey.generate())
    witness = witnesses.register_witness(principal=principal, verifier_key=signer.verifier_key)
    checkpoint = selectors.latest_checkpoint()
    assert checkpoint is not None
    body = verifier.split_note(checkpoint.note)[0]
    witnesses.add_cosignature(principal=principal, witness_id=witness.pk, signature_line=signer.sign(body))


@pytest.mark.parametrize("table", TABLES)
def test_delete_is_refused_even_for_the_owner(table: str) -> None:
    _cosigned_checkpoint()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, _superuser = cursor.fetchone()
        cursor.execute(f"SELECT tableowner FROM pg_tables WHERE tablename = '{table}'")
        assert cursor.fetchone()[0] == user  # we are the owner, yet the trigger refuses
    with (
        pytest.raises(DatabaseError, match="insert-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] > 0


def test_the_auditor_role_reads_and_cannot_write() -> None:
    (entry,) = sequenced(Visibility.public())
    role = f"yingshang_auditor_test_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")  # rolled back with the test's transaction
        for statement in auditor_grants(role):
            cursor.execute(statement)
        cursor.execute(f"SET ROLE {role}")
        try:
            cursor.execute("SELECT leaf_hash FROM ledger_logentry WHERE index = %s", [entry.index])
            assert cursor.fetchone()[0] == entry.leaf_hash
            cursor.execute("SELECT count(*) FROM identity_organisation")
            refused = [
                "INSERT INTO ledger_outboxentry (entry, leaf_hash, recorded_at) VALUES ('{}', 'x', now())",
                "UPDATE identity_organisation SET name = 'x'",
                "DELETE FROM ledger_outboxentry",
                "SELECT password FROM identity_user",
                "SELECT secret_hash FROM identity_apitoken",
            ]
            for statement in refused:
                with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                    cursor.execute(statement)
        finally:
            cursor.execute("RESET ROLE")
    assert LogEntry.objects.filter(pk=entry.pk).exists()
