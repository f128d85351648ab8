"""The read-only PostgreSQL role for auditors (docs/ledger.md, "The auditor's database role").

``auditor_role_sql()`` is the SQL an operator runs as the database owner; ``yingshang ledger
auditor-sql`` prints it. The role may SELECT the ledger's tables and the ledgered aggregates'
tables, nothing else (no password hashes, token hashes, TOTP seeds or sessions), and its
transactions are read-only by default. The insert-only triggers hold even for the owner.
"""

from __future__ import annotations

#: Tables an auditor reads: the log, its tree and checkpoints, witnesses, publication events,
#: and the ledgered aggregates whose digests ``ledger audit`` checks.
AUDITOR_TABLES = (
    "ledger_logentry",
    "ledger_treenode",
    "ledger_checkpoint",
    "ledger_witness",
    "ledger_cosignature",
    "ledger_ledgerevent",
    "ledger_outboxentry",
    "identity_organisation",
    "identity_membership",
)


def auditor_grants(role: str) -> list[str]:
    """The GRANT statements for an existing role (also used by the PostgreSQL test)."""
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT ON {', '.join(AUDITOR_TABLES)} TO {role}",
    ]


def auditor_role_sql(*, role: str = "yingshang_auditor", database: str = "yingshang") -> str:
    """The whole script: create the login role, allow it to connect, grant SELECT, read-only."""
    statements = [
        f"CREATE ROLE {role} LOGIN PASSWORD 'change-me' NOSUPERUSER NOCREATEDB NOCREATEROLE",
        f"ALTER ROLE {role} SET default_transaction_read_only = on",
        f"GRANT CONNECT ON DATABASE {database} TO {role}",
        *auditor_grants(role),
    ]
    return "".join(statement + ";\n" for statement in statements)
