"""``flush`` that may empty the ledger's insert-only tables on SQLite (it overrides Django's).

On SQLite the log tables refuse DELETE by trigger unless the marker table ``ledger_flushing``
holds a row (migration ``ledger.0004_sqlite_insert_only``). Django's ``flush`` (run by the test
harness after every ``TransactionTestCase`` / ``transactional_db`` test, or by an operator) deletes
every row of every table; this command inserts the marker row, runs Django's flush and deletes the
marker row again, all in one transaction, so no other connection ever sees the marker. On
PostgreSQL flush TRUNCATEs, which the row triggers do not see: Django's command runs unchanged.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections, transaction

MARKER = "ledger_flushing"


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        connection = connections[database]
        if connection.vendor != "sqlite" or MARKER not in connection.introspection.table_names():
            super().handle(**options)
            return
        if options["interactive"]:
            confirm = input(
                f'You have requested a flush of the database "{connection.settings_dict["NAME"]}".\n'
                "This will IRREVERSIBLY DESTROY all data in it, the evidence ledger included.\n"
                "Type 'yes' to continue, or 'no' to cancel: "
            )
            if confirm != "yes":
                self.stdout.write("Flush cancelled.")
                return
        with transaction.atomic(using=database):
            with connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {MARKER} (started_at) VALUES (datetime('now'))")  # noqa: S608
            super().handle(**{**options, "interactive": False})
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {MARKER}")  # noqa: S608
