"""SQLite: reinstall the insert-only triggers of the log tables (idempotent).

On SQLite, Django alters a column by rebuilding the table (create a copy, move the rows, drop the
old table, rename), and dropping a table drops its triggers: migration 0005's ``AlterField`` on
``ledger_logentry`` removed the UPDATE trigger of 0003 and the DELETE trigger of 0004 from it.
This migration creates every trigger that is missing. **Any later migration that alters one of
the four log tables must end by doing the same** (``test_insert_only_delete.py`` checks that
every trigger exists, so a forgotten one fails the SQLite test pass).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLES = ("ledger_logentry", "ledger_treenode", "ledger_checkpoint", "ledger_cosignature")


def reinstall(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'ledger table {table} is insert-only: UPDATE refused'); END"
        )
        refuse = f"SELECT RAISE(ABORT, 'ledger table {table} is insert-only: DELETE refused')"
        schema_editor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "  # noqa: S608
            f"WHEN NOT EXISTS (SELECT 1 FROM ledger_flushing) BEGIN {refuse}; END"
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_lean_log")]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop, elidable=False)]
