"""The log tables are insert-only, enforced by the database (docs/ledger.md, "Insert-only tables").

PostgreSQL: a row trigger on each table refuses UPDATE and DELETE, for every role, the owner
included (``ALTER TABLE ... DISABLE TRIGGER`` would need the owner and shows in the logs).
TRUNCATE is not refused by row triggers; Django's test flush uses it; the auditor role has no
TRUNCATE privilege.

SQLite: triggers refuse UPDATE (DELETE is left to the services on SQLite, because Django's test
flush deletes rows there row by row and SQLite is the development database).

The outbox is not protected: the sequencer deletes the rows it has moved.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLES = ("ledger_logentry", "ledger_treenode", "ledger_checkpoint", "ledger_cosignature")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger table % is insert-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'ledger table {table} is insert-only: UPDATE refused'); END"
            )


def backwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_refuse_change()")
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_ledgerevent")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
