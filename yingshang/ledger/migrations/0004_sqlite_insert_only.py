"""SQLite: the log tables refuse DELETE too (docs/ledger.md, "Insert-only tables").

Migration 0003 made ``ledger_logentry``, ``ledger_treenode``, ``ledger_checkpoint`` and
``ledger_cosignature`` refuse UPDATE on SQLite, and UPDATE and DELETE on PostgreSQL. This one
adds the SQLite DELETE triggers.

The one legitimate whole-database wipe is Django's ``flush`` (the test harness runs it after every
``TransactionTestCase`` / ``transactional_db`` test; an operator may run ``yingshang flush``). On
PostgreSQL it TRUNCATEs, which row triggers do not see. On SQLite it DELETEs row by row, so the
DELETE triggers give way only while the one-row marker table ``ledger_flushing`` holds a row; the
ledger app's own ``flush`` command (``yingshang/ledger/management/commands/flush.py``, which
overrides Django's) inserts that row and deletes it again inside the flush's transaction, so no
other connection ever sees it. ``ledger_flushing`` is not a Django model (``flush`` leaves it
alone) and nothing else writes it. The condition fails closed: if the marker table were dropped
the triggers refuse every DELETE (``no such table``).

On SQLite these triggers guard against the application (an ORM call, an admin action, a stray
statement), not against someone who can write the database file: they could drop the triggers
just as well. ``yingshang ledger verify`` finds any change to the log in either case.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLES = ("ledger_logentry", "ledger_treenode", "ledger_checkpoint", "ledger_cosignature")
MARKER = "ledger_flushing"


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(f"CREATE TABLE {MARKER} (started_at TEXT NOT NULL)")
    for table in TABLES:
        refuse = f"SELECT RAISE(ABORT, 'ledger table {table} is insert-only: DELETE refused')"
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "  # noqa: S608 (constant names)
            f"WHEN NOT EXISTS (SELECT 1 FROM {MARKER}) BEGIN {refuse}; END"
        )


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    schema_editor.execute(f"DROP TABLE IF EXISTS {MARKER}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_insert_only")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
