"""A SQLite file's readers run their statements on the event loop's thread, and a statement that
runs past its budget moves to a worker thread, in the same transaction."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from praisonai_platform.config import load_settings
from praisonai_platform.db import create_database_engine, create_session_factory, session_scope
from praisonai_platform.db.sqlite_inline import InlineConnection

# Long enough to outlast any reader's budget many times over, whatever the machine.
LONG_SCAN = (
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 2000000) "
    "SELECT count(*), thread_of_last_row() FROM c"
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_database_engine(
        load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    )
    async with engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        await connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    yield engine
    await engine.dispose()


async def _with_thread_probe(session: AsyncSession) -> InlineConnection:
    """The reader's inline connection, with `thread_of_last_row()` telling which thread ran the
    statement that calls it."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    inline = raw.driver_connection
    assert isinstance(inline, InlineConnection)
    inline._conn.create_function("thread_of_last_row", 0, threading.get_ident)
    return inline


async def test_a_short_read_runs_on_the_event_loops_thread(engine: AsyncEngine) -> None:
    readers = create_session_factory(engine, read_only=True)
    async with session_scope(readers, read_only=True) as session:
        await _with_thread_probe(session)
        found = (await session.execute(text("SELECT n, thread_of_last_row() FROM t"))).one()
    assert tuple(found) == (1, threading.get_ident())


async def test_a_long_read_moves_to_a_thread_and_answers_in_full(engine: AsyncEngine) -> None:
    readers = create_session_factory(engine, read_only=True)
    async with session_scope(readers, read_only=True) as session:
        await _with_thread_probe(session)
        count, thread = (await session.execute(text(LONG_SCAN))).one()
        assert count == 2_000_000
        assert thread != threading.get_ident()
        # Later statements start inline again.
        inline_thread = (await session.execute(text("SELECT thread_of_last_row()"))).scalar()
        assert inline_thread == threading.get_ident()


async def test_a_moved_read_stays_in_its_transaction(engine: AsyncEngine) -> None:
    """The interrupted statement leaves the reader's snapshot as it was: a write committed in
    between is not seen, before or after the move."""
    readers = create_session_factory(engine, read_only=True)
    writers = create_session_factory(engine)
    async with session_scope(readers, read_only=True) as reader:
        await _with_thread_probe(reader)
        assert (await reader.execute(text("SELECT count(*) FROM t"))).scalar() == 1
        async with session_scope(writers) as writer:
            await writer.execute(text("INSERT INTO t VALUES (2)"))
        moved = text(f"SELECT (SELECT count(*) FROM t), * FROM ({LONG_SCAN})")
        seen, count, thread = (await reader.execute(moved)).one()
        assert (seen, count) == (1, 2_000_000)
        assert thread != threading.get_ident()
        assert (await reader.execute(text("SELECT count(*) FROM t"))).scalar() == 1
    async with session_scope(readers, read_only=True) as fresh:
        assert (await fresh.execute(text("SELECT count(*) FROM t"))).scalar() == 2


async def test_a_failing_read_raises_as_before(engine: AsyncEngine) -> None:
    readers = create_session_factory(engine, read_only=True)
    with pytest.raises(Exception, match="no such table"):
        async with session_scope(readers, read_only=True) as session:
            await session.execute(text("SELECT * FROM missing"))
    async with session_scope(readers, read_only=True) as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 1


async def test_a_cancelled_moved_read_leaves_its_connection_idle(engine: AsyncEngine) -> None:
    """Cancelling a request whose read runs on a thread interrupts that read: the connection
    goes back to the pool idle and serves the next reader."""
    readers = create_session_factory(engine, read_only=True)
    started = asyncio.Event()

    async def long_read() -> None:
        async with session_scope(readers, read_only=True) as session:
            inline = await _with_thread_probe(session)
            inline._conn.create_function("started", 0, lambda: started_soon())
            endless = (
                "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL "
                "SELECT n + 1 FROM c WHERE n < 2000000000 AND started() = 0) SELECT count(*) FROM c"
            )
            await session.execute(text(endless))

    loop = asyncio.get_running_loop()

    def started_soon() -> int:
        loop.call_soon_threadsafe(started.set)
        return 0

    reading = asyncio.create_task(long_read())
    await asyncio.wait_for(started.wait(), 60)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    async with session_scope(readers, read_only=True) as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 1
