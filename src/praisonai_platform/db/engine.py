"""The engine factory: one AsyncEngine over SQLite files, in-memory SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
import weakref
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool

from praisonai_platform.config import Settings, sqlite_file_path
from praisonai_platform.db.sqlite import READ_ONLY_OPTION, install_sqlite_discipline
from praisonai_platform.db.sqlite_inline import inline_connector


def create_database_engine(settings: Settings) -> AsyncEngine:
    """Create the application's async engine for the configured database."""
    url = settings.resolved_database_url
    if settings.is_memory_sqlite:
        return _create_memory_engine(settings)
    if settings.is_sqlite:
        if settings.run_db_migrations:
            # Only where the schema is about to be built: a process that merely uses the
            # database (a worker started from another folder) must not leave folders behind.
            prepare_sqlite_file(url)
        return _create_sqlite_file_engine(settings)
    return create_async_engine(
        url,
        echo=settings.database_echo,
        pool_pre_ping=settings.database_pool_pre_ping,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        connect_args={"timeout": settings.database_connect_timeout_seconds},
    )


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine for read-only transactions (deferred BEGIN / READ ONLY).

    On a SQLite file that is the engine's reader pool; elsewhere the same pool, with transactions
    marked read-only."""
    options: dict[str, Any] = {READ_ONLY_OPTION: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    sync_engine = engine.sync_engine
    # An engine with options of its own (engine.execution_options(...)) proxies the original.
    reader = _readers.get(getattr(sync_engine, "_proxied", sync_engine))
    return (reader or engine).execution_options(**options)


def engines_behind(engine: AsyncEngine) -> tuple[AsyncEngine, ...]:
    """The engine and, on a SQLite file, its readers' engine: where an event listener has to be
    registered to see every statement."""
    reader = _readers.get(engine.sync_engine)
    return (engine,) if reader is None else (engine, reader)


# How much CPU time a reader's statement may take on the event loop's thread before it is moved
# to a worker thread (see `db.sqlite_inline`): index lookups and pages finish well within it.
INLINE_READ_BUDGET_S = 0.002

# A SQLite file engine's reader pool, found from the writer engine the application holds.
_readers: weakref.WeakKeyDictionary[Engine, AsyncEngine] = weakref.WeakKeyDictionary()


def _create_sqlite_file_engine(settings: Settings) -> AsyncEngine:
    """Two pools on one file: a single writer connection and a pool of readers.

    Writers of this process queue for the writer connection in asyncio, so none of them ever
    sleeps in SQLite's busy handler waiting for another; only writers of other processes meet
    that wait (retried in asyncio, see `db.sqlite_inline`). Both run their statements on the
    event loop's thread, with no hand-off to a driver thread per statement; a reader's statement
    that runs past INLINE_READ_BUDGET_S is moved to a thread, so a long scan never holds up the
    loop for longer than that.
    """
    url = make_url(settings.resolved_database_url)
    if url.drivername != "sqlite+aiosqlite":
        engine = create_async_engine(
            url,
            echo=settings.database_echo,
            pool_pre_ping=settings.database_pool_pre_ping,
            connect_args={"timeout": settings.database_sqlite_busy_timeout_ms / 1000},
        )
        install_sqlite_discipline(engine.sync_engine, settings)
        return engine
    # Pool size and overflow are PostgreSQL's settings: a SQLite file has one writer at a time.
    # No pre-ping: nothing closes a SQLite file's connection behind the pool's back, and the
    # ping would cost a hand-off to the driver's thread on every checkout.
    (database,), options = SQLiteDialect_pysqlite().create_connect_args(url)
    reader = create_async_engine(
        url,
        echo=settings.database_echo,
        async_creator=inline_connector(
            database,
            uri=bool(options.get("uri")),
            busy_wait_s=settings.database_sqlite_busy_timeout_ms / 1000,
            read_budget_s=INLINE_READ_BUDGET_S,
        ),
        poolclass=AsyncAdaptedQueuePool,
    )
    install_sqlite_discipline(reader.sync_engine, settings, busy_timeout_ms=0)
    writer = create_async_engine(
        url,
        echo=settings.database_echo,
        async_creator=inline_connector(
            database,
            uri=bool(options.get("uri")),
            busy_wait_s=settings.database_sqlite_busy_timeout_ms / 1000,
        ),
        poolclass=AsyncAdaptedQueuePool,
        pool_size=1,
        max_overflow=0,
        pool_recycle=-1,
        pool_timeout=max(30.0, settings.database_connect_timeout_seconds),
    )
    install_sqlite_discipline(writer.sync_engine, settings, busy_timeout_ms=0)
    _readers[writer.sync_engine] = reader

    # Runs inside the writer's dispose, where the reader's pool can be closed too.
    @event.listens_for(writer.sync_engine, "engine_disposed")
    def _dispose_reader(_engine: Any) -> None:
        reader.sync_engine.dispose()

    return writer


def _create_memory_engine(settings: Settings) -> AsyncEngine:
    """One in-memory database for the engine's lifetime, shared by every session.

    The database is a named shared-cache memory database. A plain sqlite3 connection (the keeper)
    holds it open, so it survives even if the pool has to replace its connection, and creates the
    tables right away. The pool hands out exactly one connection at a time, so sessions take turns
    instead of interleaving their transactions on a shared connection.
    """
    name = f"praisonai-platform-{uuid.uuid4().hex}"
    uri = f"file:{name}?mode=memory&cache=shared"
    keeper = sqlite3.connect(uri, uri=True, check_same_thread=False)
    _create_schema(uri, settings)
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{uri}&uri=true",
        echo=settings.database_echo,
        poolclass=AsyncAdaptedQueuePool,
        pool_size=1,
        max_overflow=0,
        pool_recycle=-1,
        pool_timeout=max(30.0, settings.database_connect_timeout_seconds),
    )
    install_sqlite_discipline(engine.sync_engine, settings, in_memory=True)

    # The listener's closure is what keeps the keeper (and so the database) alive.
    @event.listens_for(engine.sync_engine, "engine_disposed")
    def _close_keeper(_engine: Any) -> None:
        keeper.close()

    return engine


def _create_schema(uri: str, settings: Settings) -> None:
    from praisonai_platform.db.schema import create_schema_and_stamp

    sync_engine = create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool
    )
    install_sqlite_discipline(sync_engine, settings, in_memory=True)
    with sync_engine.begin() as connection:
        create_schema_and_stamp(connection)
    sync_engine.dispose()


def prepare_sqlite_file(database_url: str) -> None:
    """Create the folder of a SQLite file about to be migrated or opened, and the file itself,
    readable by this account only: it holds password hashes and webhook secrets. (SQLite gives
    its journal and WAL files the database file's permissions.) An existing file is left as it
    is."""
    path = sqlite_file_path(database_url)
    if path is None:
        return
    if path.parent != path:
        path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
