"""An aiosqlite-shaped SQLite connection that runs each statement on the event loop's own thread.

SQLAlchemy's aiosqlite dialect hands every statement (and every fetch) to the connection's worker
thread and back. A write transaction here is a handful of sub-millisecond statements, so those
hand-offs cost more than SQLite itself. This connection runs them inline instead: the async engine
of a SQLite file uses it for its single writer connection (see `db.engine`), while reads stay on
aiosqlite's threads, so a long scan never stalls the loop.

Nothing inline may wait on a lock: SQLite's own busy handler would put the whole loop to sleep. So
the connection runs with `busy_timeout = 0`, and a statement refused with SQLITE_BUSY (another
process holds the write lock) is retried after an asyncio sleep, until the configured busy timeout
has passed. Writers of this process never meet that path: they queue for the one writer
connection in asyncio.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

# Retrying is pointless for a snapshot conflict: the reader has to start a new transaction.
_SQLITE_BUSY_SNAPSHOT = 517
_FIRST_PAUSE_S = 0.001
_LONGEST_PAUSE_S = 0.02


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code: int | None = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return "database is locked" in str(error)
    return code & 0xFF == sqlite3.SQLITE_BUSY and code != _SQLITE_BUSY_SNAPSHOT


async def _until_not_busy(statement: Callable[[], Any], wait_s: float) -> Any:
    """Run `statement`; while another connection holds the lock, pause in asyncio and retry."""
    deadline: float | None = None
    pause = _FIRST_PAUSE_S
    while True:
        try:
            return statement()
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + wait_s
            if now >= deadline:
                raise
            await asyncio.sleep(min(pause, deadline - now))
            pause = min(pause * 2, _LONGEST_PAUSE_S)


class InlineCursor:
    """The subset of `aiosqlite.Cursor` that SQLAlchemy's adapter uses."""

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection._conn.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        arguments = () if parameters is None else parameters
        await _until_not_busy(
            lambda: self._cursor.execute(sql, arguments), self._connection.busy_wait_s
        )
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)  # a generator could not be replayed by a retry
        await _until_not_busy(
            lambda: self._cursor.executemany(sql, rows), self._connection.busy_wait_s
        )
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its thread: SQLAlchemy's adapter puts
    `(future, function)` on it (to set `isolation_level`), and here the function runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:
            future.set_exception(error)
        else:
            future.set_result(result)


class InlineConnection:
    """The subset of `aiosqlite.Connection` that SQLAlchemy's adapter uses, run inline."""

    def __init__(self, connection: sqlite3.Connection, *, busy_wait_s: float) -> None:
        self._conn = connection
        self._tx = _RunAtOnce()
        self.busy_wait_s = busy_wait_s

    @property
    def _connection(self) -> sqlite3.Connection | None:
        """What SQLAlchemy checks before commit and rollback: None once closed."""
        return self._conn if self._open else None

    _open = True

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def commit(self) -> None:
        await _until_not_busy(self._conn.commit, self.busy_wait_s)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._open:
            self._open = False
            self._conn.close()

    def stop(self) -> None:
        """aiosqlite's forced close, used when SQLAlchemy terminates a connection."""
        if self._open:
            self._open = False
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


def inline_connector(database: str, *, uri: bool, busy_wait_s: float) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine`: opens an inline connection to `database`.

    The connection starts with Python's own transaction handling off and `busy_timeout = 0`; the
    engine's connect listener then applies the remaining pragmas."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(
            database, uri=uri, timeout=0, isolation_level=None, check_same_thread=False
        )
        return InlineConnection(connection, busy_wait_s=busy_wait_s)

    return connect
