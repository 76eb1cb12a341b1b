"""The database itself refuses UPDATE and DELETE on credit_ledger, on both backends.

One source for the SQL: migration 0002 runs it on migrated databases, and the `after_create`
listeners below run it wherever `Base.metadata.create_all` builds the table (`init_db` on a new
database, the in-memory database). TRUNCATE is not blocked: row triggers do not fire on it, and
the test suite empties PostgreSQL with it.

A SQLite migration that rebuilds credit_ledger in batch mode drops these triggers with the old
table; such a migration must create them again.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from praisonai_platform.db.models.credits import CreditLedgerEntry

MESSAGE = "credit_ledger is append-only"

SQLITE_CREATE = (
    "CREATE TRIGGER credit_ledger_no_update BEFORE UPDATE ON credit_ledger "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    "CREATE TRIGGER credit_ledger_no_delete BEFORE DELETE ON credit_ledger "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS credit_ledger_no_update",
    "DROP TRIGGER IF EXISTS credit_ledger_no_delete",
)

# restrict_violation (23001): drivers report it as an integrity error, like the foreign key
# that keeps a user with ledger rows from being deleted.
POSTGRESQL_CREATE = (
    "CREATE OR REPLACE FUNCTION credit_ledger_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; "
    "END $$",
    "CREATE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON credit_ledger "
    "FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only()",
)
POSTGRESQL_DROP = (
    "DROP TRIGGER IF EXISTS credit_ledger_append_only ON credit_ledger",
    "DROP FUNCTION IF EXISTS credit_ledger_append_only()",
)

CREATE = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}
DROP = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}


def _listen() -> None:
    table = CreditLedgerEntry.__table__
    for dialect, statements in CREATE.items():
        for statement in statements:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
    # The trigger goes with the table; the PostgreSQL function outlives it unless dropped.
    event.listen(table, "after_drop", DDL(POSTGRESQL_DROP[1]).execute_if(dialect="postgresql"))


_listen()
