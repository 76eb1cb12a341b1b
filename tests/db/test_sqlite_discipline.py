"""SQLite connections: pragmas from settings, write transactions that queue instead of failing."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from praisonai_platform.config import Settings, load_settings
from praisonai_platform.db import create_database_engine, create_session_factory, session_scope
from praisonai_platform.db.engine import read_only_engine

PRAGMA_NAMES = (
    "journal_mode",
    "synchronous",
    "busy_timeout",
    "cache_size",
    "foreign_keys",
    "temp_store",
)
SYNCHRONOUS_CODES = {"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}
TEMP_STORE_CODES = {"DEFAULT": 0, "FILE": 1, "MEMORY": 2}


async def read_pragmas(engine: AsyncEngine) -> dict[str, object]:
    """The pragmas of a reader connection; its busy timeout is waited in asyncio (see below)."""
    async with read_only_engine(engine).connect() as connection:
        return {name: await read_pragma(connection, name) for name in (*PRAGMA_NAMES, "mmap_size")}


async def read_pragma(connection: AsyncConnection, name: str) -> object:
    """A pragma; for `busy_timeout`, how long the connection waits for a lock in asyncio (its
    statements run on the event loop, so SQLite's own busy handler is off: 0)."""
    value = (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
    if name != "busy_timeout":
        return value
    assert value == 0
    raw = await connection.get_raw_connection()
    return round(raw.driver_connection.busy_wait_s * 1000)


def file_settings(path: Path, **overrides: object) -> Settings:
    return load_settings(database_url=f"sqlite+aiosqlite:///{path}", **overrides)


async def test_pragmas_on_every_pooled_connection_equal_the_settings(tmp_path: Path) -> None:
    engine = create_database_engine(file_settings(tmp_path / "p.db"))
    try:
        # Hold several (read-only, so not write-locking) connections at once, so the pool has to
        # open more than one.
        connections = [await read_only_engine(engine).connect() for _ in range(3)]
        for connection in connections:
            values = [await read_pragma(connection, name) for name in PRAGMA_NAMES]
            assert values == ["wal", 1, 5000, -64000, 1, TEMP_STORE_CODES["MEMORY"]]
        for connection in connections:
            await connection.close()
    finally:
        await engine.dispose()


async def test_changing_a_setting_changes_the_pragma(tmp_path: Path) -> None:
    settings = file_settings(
        tmp_path / "q.db",
        database_sqlite_journal_mode="DELETE",
        database_sqlite_synchronous="FULL",
        database_sqlite_busy_timeout_ms=1234,
        database_sqlite_cache_size=-2000,
        database_sqlite_foreign_keys=False,
        database_sqlite_mmap_size=1048576,
        database_sqlite_temp_store="FILE",
    )
    engine = create_database_engine(settings)
    try:
        assert await read_pragmas(engine) == {
            "journal_mode": "delete",
            "synchronous": SYNCHRONOUS_CODES["FULL"],
            "busy_timeout": 1234,
            "cache_size": -2000,
            "foreign_keys": 0,
            "temp_store": TEMP_STORE_CODES["FILE"],
            "mmap_size": 1048576,
        }
    finally:
        await engine.dispose()


async def test_pragmas_follow_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_DATABASE_SQLITE_BUSY_TIMEOUT_MS", "2500")
    monkeypatch.setenv("APP_DATABASE_SQLITE_CACHE_SIZE", "-1000")
    engine = create_database_engine(file_settings(tmp_path / "e.db"))
    try:
        pragmas = await read_pragmas(engine)
        assert (pragmas["busy_timeout"], pragmas["cache_size"]) == (2500, -1000)
    finally:
        await engine.dispose()


async def test_the_writer_never_sleeps_in_sqlites_busy_handler(tmp_path: Path) -> None:
    """The writer connection runs on the event loop: it must not wait inside SQLite."""
    engine = create_database_engine(file_settings(tmp_path / "b.db"))
    try:
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar_one() == 0
    finally:
        await engine.dispose()


async def test_another_processs_writer_waits_at_begin_and_fails_there(tmp_path: Path) -> None:
    """Another engine on the file (as another process would be) waits at BEGIN IMMEDIATE for the
    busy timeout; with a short one it fails there, not later."""
    settings = file_settings(tmp_path / "w.db", database_sqlite_busy_timeout_ms=50)
    engine, other = create_database_engine(settings), create_database_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        async with create_session_factory(engine)() as first:
            await first.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: first holds the write lock
            async with create_session_factory(other)() as second:
                with pytest.raises(OperationalError, match="locked"):
                    await second.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
        await other.dispose()


async def test_another_processs_writer_gets_the_lock_once_it_is_free(tmp_path: Path) -> None:
    settings = file_settings(tmp_path / "x.db")
    engine, other = create_database_engine(settings), create_database_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        first = create_session_factory(engine)()
        await first.execute(text("INSERT INTO t VALUES (1)"))
        waiting = asyncio.ensure_future(_insert(other, 2))
        await asyncio.sleep(0)  # `waiting` is now retrying BEGIN IMMEDIATE in asyncio
        assert not waiting.done()
        await first.commit()
        await first.close()
        await waiting
        async with read_only_engine(engine).connect() as connection:
            rows = (await connection.exec_driver_sql("SELECT n FROM t ORDER BY n")).scalars()
            assert list(rows) == [1, 2]
    finally:
        await engine.dispose()
        await other.dispose()


async def _insert(engine: AsyncEngine, n: int) -> None:
    async with session_scope(create_session_factory(engine)) as session:
        await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})


async def test_writers_of_one_process_queue_for_the_writer(tmp_path: Path) -> None:
    """A second write session of the same engine waits for the first to end instead of
    meeting SQLite's lock: it starts as soon as the first commits."""
    settings = file_settings(tmp_path / "q.db", database_sqlite_busy_timeout_ms=0)
    engine = create_database_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        first = create_session_factory(engine)()
        await first.execute(text("INSERT INTO t VALUES (1)"))
        waiting = asyncio.ensure_future(_insert(engine, 2))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiting.done()
        await first.commit()
        await first.close()
        await waiting  # with busy_timeout 0, meeting the lock would have failed
    finally:
        await engine.dispose()


async def test_read_only_sessions_do_not_block_or_wait_for_writers(tmp_path: Path) -> None:
    settings = file_settings(tmp_path / "r.db", database_sqlite_busy_timeout_ms=50)
    engine = create_database_engine(settings)
    writers = create_session_factory(engine)
    readers = create_session_factory(engine, read_only=True)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
            await connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        async with writers() as writer, readers() as reader:
            await writer.execute(text("UPDATE t SET n = 2"))
            assert (await reader.execute(text("SELECT n FROM t"))).scalar_one() == 1
            await writer.commit()
    finally:
        await engine.dispose()


async def test_read_only_scope_never_keeps_writes(tmp_path: Path) -> None:
    settings = file_settings(tmp_path / "ro.db")
    engine = create_database_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        sessions = create_session_factory(engine, read_only=True)
        async with session_scope(sessions, read_only=True) as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("SELECT count(*) FROM t")).scalar_one() == 0
    finally:
        await engine.dispose()


async def test_many_concurrent_writers_and_readers_raise_nothing(tmp_path: Path) -> None:
    settings = file_settings(tmp_path / "mix.db")
    engine = create_database_engine(settings)
    writers = create_session_factory(engine)
    readers = create_session_factory(engine, read_only=True)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")

        async def write(i: int) -> None:
            async with session_scope(writers) as session:
                await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": i})

        async def read() -> int:
            async with session_scope(readers, read_only=True) as session:
                return (await session.execute(text("SELECT count(*) FROM t"))).scalar_one()

        await asyncio.gather(*(write(i) for i in range(100)), *(read() for _ in range(50)))
        assert await read() == 100
    finally:
        await engine.dispose()


async def test_a_new_database_file_and_its_wal_are_readable_by_this_account_only(
    tmp_path: Path,
) -> None:
    """It holds password hashes and webhook secrets: whatever the umask, others cannot read it."""
    path = tmp_path / "data" / "platform.db"
    previous = os.umask(0o022)
    try:
        engine = create_database_engine(file_settings(path, run_db_migrations=True))
        try:
            async with session_scope(create_session_factory(engine)) as session:
                await session.execute(text("CREATE TABLE things (name TEXT)"))
                await session.execute(text("INSERT INTO things VALUES ('x')"))
            # While a connection is open, the write-ahead log and its index exist beside it.
            for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
                assert stat.S_IMODE((path.parent / name).stat().st_mode) == 0o600, name
        finally:
            await engine.dispose()
    finally:
        os.umask(previous)
