"""The full-text index behind search: FTS5 tables on SQLite, `tsvector` columns on PostgreSQL.

One source for the SQL, like `ledger_ddl`: migration 0010 runs it on migrated databases (and
indexes the rows already there), and the `after_create` listeners below run it wherever
`Base.metadata.create_all` builds the tables (`init_db` on a new database, the in-memory one).

SQLite: external-content FTS5 tables (the text is not stored twice), keyed by the row's rowid
and kept in step by triggers. PostgreSQL: stored generated tsvector columns with GIN indexes;
the title (or name) carries weight A, the rest weight B. Issues' titles have an index of their
own on both (`ISSUE_TITLES`).

Neither is declared in the models (the SQL differs per backend); the migrations' `env.py`
leaves them out of the comparison with `is_search_object`.

A SQLite migration that rebuilds one of these tables in batch mode (copy, drop, rename) drops
its triggers with the old table and may renumber its rowids; such a migration must run
`recreate_statements` afterwards for each entry of `INDEXED` on that table (issues have two),
which also reindexes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import DDL, Table, event

from praisonai_platform.db.models.comments import Comment
from praisonai_platform.db.models.issues import Issue
from praisonai_platform.db.models.projects import Project

# Text search configuration on PostgreSQL: no stemming and no stop words, like FTS5's
# unicode61 tokenizer, so both backends find the same words.
POSTGRES_CONFIG = "simple"
VECTOR_COLUMN = "search_vector"


@dataclass(frozen=True, slots=True)
class Indexed:
    """A searchable table's index: its heading column (weight A) and its body column (weight
    B); `name` names an index of its own over some of a table's columns (a table's first
    index is named after the table)."""

    table: str
    heading: str | None
    body: str
    name: str | None = None

    @property
    def fts(self) -> str:
        """The FTS5 table (SQLite)."""
        return f"{self.name}_fts" if self.name else f"{self.table}_fts"

    @property
    def vector(self) -> str:
        """The tsvector column (PostgreSQL)."""
        return f"{self.name}_{VECTOR_COLUMN}" if self.name else VECTOR_COLUMN

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.heading, self.body) if self.heading else (self.body,)

    @property
    def vector_index(self) -> str:
        return f"ix_{self.table}_{self.vector}"


ISSUES = Indexed("issues", "title", "description")
# Titles alone: "every word in the title" is then an index of its own, read newest first (or
# counted) however often the words occur in descriptions, where a column filter (FTS5) or a
# weight (tsvector) on ISSUES would have to skip through every description match.
ISSUE_TITLES = Indexed("issues", None, "title", name="issue_title")
COMMENTS = Indexed("comments", None, "content")
PROJECTS = Indexed("projects", "name", "description")
INDEXED = (ISSUES, ISSUE_TITLES, COMMENTS, PROJECTS)

# FTS5 keeps each table's index in these shadow tables.
_FTS_SHADOWS = ("", "_data", "_idx", "_docsize", "_config", "_content")


def sqlite_create(indexed: Indexed) -> list[str]:
    columns = ", ".join(indexed.columns)
    new = ", ".join(f"new.{c}" for c in indexed.columns)
    old = ", ".join(f"old.{c}" for c in indexed.columns)
    fts = indexed.fts
    forget = f"INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.rowid, {old});"
    remember = f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.rowid, {new});"
    # Prefix indexes make two- and three-letter prefixes as cheap as whole words.
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({columns}, content='{indexed.table}', "
        "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {indexed.table} BEGIN {remember} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {indexed.table} BEGIN {forget} END",
        # Only changes of the indexed text touch the index (not a status or an assignee).
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {columns} ON {indexed.table} "
        f"BEGIN {forget} {remember} END",
    ]


def sqlite_drop(indexed: Indexed) -> list[str]:
    return [
        *(
            f"DROP TRIGGER IF EXISTS {indexed.fts}_{event}"
            for event in ("insert", "delete", "update")
        ),
        f"DROP TABLE IF EXISTS {indexed.fts}",
    ]


def sqlite_rebuild(indexed: Indexed) -> str:
    """Index every row the table holds (after creating the index on a table with rows)."""
    return f"INSERT INTO {indexed.fts}({indexed.fts}) VALUES ('rebuild')"


def _vector(indexed: Indexed) -> str:
    parts = [
        f"setweight(to_tsvector('{POSTGRES_CONFIG}', coalesce({column}, '')), '{weight}')"
        for column, weight in zip(indexed.columns, "AB" if indexed.heading else "B", strict=True)
    ]
    return " || ".join(parts)


def postgres_create(indexed: Indexed) -> list[str]:
    # A stored generated column is filled for existing rows when it is added, and kept right
    # by the database on every write: no trigger, no write path to remember it.
    return [
        f"ALTER TABLE {indexed.table} ADD COLUMN {indexed.vector} tsvector "
        f"GENERATED ALWAYS AS ({_vector(indexed)}) STORED",
        f"CREATE INDEX {indexed.vector_index} ON {indexed.table} USING gin ({indexed.vector})",
    ]


def postgres_drop(indexed: Indexed) -> list[str]:
    return [
        f"DROP INDEX IF EXISTS {indexed.vector_index}",
        f"ALTER TABLE {indexed.table} DROP COLUMN IF EXISTS {indexed.vector}",
    ]


def create_statements(dialect: str, indexed: Indexed) -> list[str]:
    """The DDL that indexes `indexed`, including the rows it already holds."""
    if dialect == "sqlite":
        return [*sqlite_create(indexed), sqlite_rebuild(indexed)]
    if dialect == "postgresql":
        return postgres_create(indexed)
    return []


def drop_statements(dialect: str, indexed: Indexed) -> list[str]:
    if dialect == "sqlite":
        return sqlite_drop(indexed)
    if dialect == "postgresql":
        return postgres_drop(indexed)
    return []


def recreate_statements(dialect: str, indexed: Indexed) -> list[str]:
    """For a migration that rebuilt `indexed.table`: the index again, from the rows as they are."""
    return [*drop_statements(dialect, indexed), *create_statements(dialect, indexed)]


def is_search_object(kind: str, name: str | None, table: str | None = None) -> bool:
    """Whether a reflected object belongs to the search index (not declared in the models)."""
    if name is None:
        return False
    if kind == "table":
        return any(name == i.fts + shadow for i in INDEXED for shadow in _FTS_SHADOWS)
    if kind == "column":
        return any(name == i.vector and table == i.table for i in INDEXED)
    if kind == "index":
        return name in {i.vector_index for i in INDEXED}
    return False


def _listen() -> None:
    tables: dict[str, Table] = {
        ISSUES.table: Issue.__table__,  # type: ignore[dict-item]
        COMMENTS.table: Comment.__table__,  # type: ignore[dict-item]
        PROJECTS.table: Project.__table__,  # type: ignore[dict-item]
    }
    for indexed in INDEXED:
        table = tables[indexed.table]
        # A new table has no rows: no rebuild needed.
        for statement in sqlite_create(indexed):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
        for statement in postgres_create(indexed):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
        # The triggers go with the table; the FTS table outlives it unless dropped.
        event.listen(
            table,
            "after_drop",
            DDL(f"DROP TABLE IF EXISTS {indexed.fts}").execute_if(dialect="sqlite"),
        )


_listen()
