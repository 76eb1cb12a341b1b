"""Backing up and restoring the configured database, for `praisonai-platform backup` / `restore`.

SQLite: the online backup API copies the database as it was when the copy began (one read
transaction; in WAL mode writers go on meanwhile) into a temporary file beside the target, which
is checked (`PRAGMA integrity_check`), switched to a single file (no `-wal`) and renamed into
place; the file is readable by its owner only. A restore copies a checked backup into the
configured file with the same API (so a `-wal` beside the target is handled by SQLite) and
checks the result.

PostgreSQL: `pg_dump --format=custom` (one consistent snapshot) and
`pg_restore --single-transaction`, from the PostgreSQL client tools on PATH; the password travels
in the environment, never on a command line. A restore is checked by reading every table and
the migration revision.

A restore refuses a target that holds tables unless forced.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from praisonai_platform.config import Settings, sqlite_file_path

MIGRATIONS_TABLE = "alembic_version"
# libpq parameters taken over from the database URL's query; asyncpg spells sslmode `ssl`.
_LIBPQ_QUERY = {"ssl": "sslmode", "sslmode": "sslmode", "sslrootcert": "sslrootcert",
                "sslcert": "sslcert", "sslkey": "sslkey", "host": "host", "port": "port",
                "application_name": "application_name"}  # fmt: skip
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class BackupFailed(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Check:
    """What a check of a database found: its migration revision and its tables' row counts."""

    revision: str | None
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def tables(self) -> int:
        return len(self.rows)


# Backups


def backup(settings: Settings, target: Path, *, force: bool = False) -> Check:
    """Write a backup of the configured database to `target`; returns the backup's check."""
    if target.is_dir():
        raise BackupFailed(f"{target} is a directory; name the backup file")
    if target.exists() and not force:
        raise BackupFailed(f"{target} exists; pass --force to replace it")
    if not target.parent.is_dir():
        raise BackupFailed(f"{target.parent} is not a directory")
    with _plain_errors():
        if settings.is_sqlite:
            source = _sqlite_file(settings, must_exist=True)
            _refuse_same_file(source, target)
            return _backup_sqlite(source, target)
        return _backup_postgres(settings, target)


def restore(settings: Settings, source: Path, *, force: bool = False) -> Check:
    """Restore `source` (made by `backup`) into the configured database; returns its check."""
    if not source.is_file():
        raise BackupFailed(f"{source} is not a file")
    with _plain_errors():
        if settings.is_sqlite:
            target = _sqlite_file(settings, must_exist=False)
            _refuse_same_file(source, target)
            return _restore_sqlite(source, target, force=force)
        return _restore_postgres(settings, source, force=force)


@contextmanager
def _plain_errors() -> Iterator[None]:
    """A file or SQLite failure becomes a one-line BackupFailed."""
    try:
        yield
    except sqlite3.Error as exc:
        raise BackupFailed(f"SQLite: {exc}") from None
    except OSError as exc:
        raise BackupFailed(str(exc)) from None


# SQLite


def _sqlite_file(settings: Settings, *, must_exist: bool) -> Path:
    path = sqlite_file_path(settings.resolved_database_url)
    if path is None:
        raise BackupFailed(
            "the in-memory database cannot be backed up or restored; set DATABASE_URL to a "
            "SQLite file or a PostgreSQL database"
        )
    if must_exist and not path.is_file():
        raise BackupFailed(f"the database file {path} does not exist")
    return path


def _refuse_same_file(backup_file: Path, database: Path) -> None:
    if backup_file.resolve() == database.resolve():
        raise BackupFailed(f"{backup_file} is the database itself; name another file")


def _sqlite_connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    else:
        connection = sqlite3.connect(path)
    connection.isolation_level = None
    connection.execute("PRAGMA busy_timeout = 30000")
    return connection


def _backup_sqlite(source: Path, target: Path) -> Check:
    partial = _private_temporary(target)
    try:
        with closing(_sqlite_connect(source)) as origin, closing(_sqlite_connect(partial)) as copy:
            try:
                origin.backup(copy)  # all pages in one step: one consistent snapshot
            except sqlite3.DatabaseError as exc:
                raise BackupFailed(f"cannot read {source}: {exc}") from None
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            checked = _check_sqlite(copy, str(source))
        os.replace(partial, target)
    finally:
        _remove_sqlite_files(partial)
    _sync_directory(target.parent)
    return checked


def _restore_sqlite(source: Path, target: Path, *, force: bool) -> Check:
    try:
        with closing(_sqlite_connect(source, read_only=True)) as backup_file:
            _check_sqlite(backup_file, str(source))
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(f"{source} is not a SQLite backup: {exc}") from None
    if target.exists() and not force:
        with closing(_sqlite_connect(target)) as existing:
            tables = _sqlite_tables(existing)
        if tables:
            raise BackupFailed(
                f"{target} holds {len(tables)} tables; pass --force to replace its contents "
                "(stop the servers and workers on it first)"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(_sqlite_connect(source, read_only=True)) as origin,
        closing(_sqlite_connect(target)) as destination,
    ):
        origin.backup(destination)
        destination.execute("PRAGMA journal_mode = WAL")
        return _check_sqlite(destination, str(target))


def _check_sqlite(connection: sqlite3.Connection, name: str) -> Check:
    problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupFailed(f"{name} is damaged: {'; '.join(problems[:5])}")
    dangling = connection.execute("PRAGMA foreign_key_check").fetchall()
    if dangling:
        raise BackupFailed(f"{name} has {len(dangling)} rows whose references are missing")
    tables = _sqlite_tables(connection)
    if MIGRATIONS_TABLE not in tables:
        raise BackupFailed(f"{name} is not a platform database (no {MIGRATIONS_TABLE} table)")
    rows = {
        table: int(connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
        for table in tables
    }
    revision = connection.execute(f"SELECT version_num FROM {MIGRATIONS_TABLE}").fetchone()
    return Check(revision[0] if revision else None, rows)


def _sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    return [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]


def _private_temporary(target: Path) -> Path:
    """An empty file beside `target` that only its owner may read (the backup holds secrets)."""
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.partial")
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    return partial


def _remove_sqlite_files(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


def _sync_directory(directory: Path) -> None:
    """Make a rename durable."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# PostgreSQL


def _backup_postgres(settings: Settings, target: Path) -> Check:
    pg_dump = _client_tool("pg_dump")
    partial = _private_temporary(target)
    try:
        _run_tool(
            [pg_dump, "--format=custom", "--file", str(partial), "--dbname", _conninfo(settings)],
            settings,
        )
        _run_tool([_client_tool("pg_restore"), "--list", str(partial)], settings)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _sync_directory(target.parent)
    return _check_postgres(settings)


def _restore_postgres(settings: Settings, source: Path, *, force: bool) -> Check:
    pg_restore = _client_tool("pg_restore")
    try:
        _run_tool([pg_restore, "--list", str(source)], settings)
    except BackupFailed:
        raise BackupFailed(f"{source} is not a backup made by pg_dump --format=custom") from None
    tables = _postgres_tables(settings)
    if tables and not force:
        raise BackupFailed(
            f"the database holds {len(tables)} tables; pass --force to replace them "
            "(stop the servers and workers on it first)"
        )
    command = [pg_restore, "--dbname", _conninfo(settings), "--no-owner", "--no-privileges",
               "--exit-on-error", "--single-transaction"]  # fmt: skip
    if tables:
        command += ["--clean", "--if-exists"]
    _run_tool([*command, str(source)], settings)
    return _check_postgres(settings)


def _check_postgres(settings: Settings) -> Check:
    engine = create_engine(settings.resolved_alembic_database_url)
    try:
        with engine.connect() as connection:
            tables = _schema_tables(connection)
            if not any(name == MIGRATIONS_TABLE for _, name in tables):
                raise BackupFailed(f"not a platform database (no {MIGRATIONS_TABLE} table)")
            rows = {
                f"{schema}.{name}" if schema != "public" else name: int(
                    connection.execute(text(f'SELECT count(*) FROM "{schema}"."{name}"')).scalar()
                    or 0
                )
                for schema, name in tables
            }
            revision = connection.execute(
                text(f"SELECT version_num FROM {MIGRATIONS_TABLE}")
            ).scalar()
    finally:
        engine.dispose()
    return Check(revision, rows)


def _postgres_tables(settings: Settings) -> list[tuple[str, str]]:
    engine = create_engine(settings.resolved_alembic_database_url)
    try:
        with engine.connect() as connection:
            return _schema_tables(connection)
    finally:
        engine.dispose()


def _schema_tables(connection: object) -> list[tuple[str, str]]:
    inspector = inspect(connection)
    return [
        (schema, name)
        for schema in inspector.get_schema_names()
        if schema not in _SYSTEM_SCHEMAS and not schema.startswith("pg_")
        for name in sorted(inspector.get_table_names(schema=schema))
    ]


def _client_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(
            f"{name} was not found on PATH; install the PostgreSQL client tools (of the "
            "server's major version or newer) to back up or restore a PostgreSQL database"
        )
    return found


def _conninfo(settings: Settings) -> str:
    """A libpq connection string of the database, without its password."""
    url = make_url(settings.resolved_database_url)
    parts = {"host": url.host, "port": url.port, "dbname": url.database, "user": url.username}
    for key, value in url.query.items():
        if key in _LIBPQ_QUERY:
            parts[_LIBPQ_QUERY[key]] = value if isinstance(value, str) else value[-1]
    return " ".join(f"{key}={_quoted(str(value))}" for key, value in parts.items() if value)


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _run_tool(command: list[str], settings: Settings) -> None:
    environment = dict(os.environ)
    password = make_url(settings.resolved_database_url).password
    if password:
        environment["PGPASSWORD"] = str(password)
    completed = subprocess.run(
        command, env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        detail = (
            " ".join(completed.stderr.strip().splitlines()[-3:])
            or f"exit status {completed.returncode}"
        )
        raise BackupFailed(f"{Path(command[0]).name} failed: {detail}")
