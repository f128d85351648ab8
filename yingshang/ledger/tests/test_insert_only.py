"""The log tables refuse UPDATE by database trigger, on SQLite and PostgreSQL alike.

(DELETE is refused on PostgreSQL too, with the auditor's read-only role: see
``test_postgresql_roles.py``, which runs only when the database is PostgreSQL.)
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from yingshang.ledger.contracts import Visibility
from yingshang.ledger.models import Checkpoint, LogEntry, TreeNode
from yingshang.ledger.tests.reading import sequenced

pytestmark = pytest.mark.django_db

UPDATES = {
    "ledger_logentry": "UPDATE ledger_logentry SET action = 'forged.action.done'",
    "ledger_treenode": "UPDATE ledger_treenode SET position = position + 1000",
    "ledger_checkpoint": "UPDATE ledger_checkpoint SET root = 'ff'",
}


@pytest.mark.parametrize("table", sorted(UPDATES))
def test_updates_of_the_log_tables_are_refused(table: str) -> None:
    sequenced(Visibility.public(), Visibility.public())
    before = (
        list(LogEntry.objects.values_list("action", flat=True)),
        list(Checkpoint.objects.values_list("root", flat=True)),
    )
    nodes = TreeNode.objects.count()
    with (
        pytest.raises(DatabaseError, match="insert-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(UPDATES[table])
    after = (
        list(LogEntry.objects.values_list("action", flat=True)),
        list(Checkpoint.objects.values_list("root", flat=True)),
    )
    assert after == before and TreeNode.objects.count() == nodes


def test_the_orm_cannot_update_a_log_entry_either() -> None:
    (entry,) = sequenced(Visibility.public())
    with pytest.raises(DatabaseError, match="insert-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(action="forged.action.done")
