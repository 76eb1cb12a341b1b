"""An aiosqlite-shaped SQLite connection that runs each statement on the event loop's own thread.

SQLAlchemy's aiosqlite dialect hands every statement (and every fetch) to the connection's worker
thread and back. A request's statements are mostly sub-millisecond index lookups, so those
hand-offs cost more than SQLite itself. This connection runs them inline instead: the async engine
of a SQLite file uses it for its single writer connection and for its readers (see `db.engine`).

A reader must not stall the loop with a long scan (a search, a filter no index serves). So a
reader's statement runs inline within a small budget of CPU time (`read_budget_s`, and ten times
that in elapsed time, for a statement waiting on the disk): SQLite's progress handler interrupts
it once the budget is spent, and the statement is run again, from the start and with no budget, on
a worker thread while the loop serves others. CPU time, so that a busy machine taking the CPU away
mid-statement does not count against it. Interrupting a SELECT leaves its transaction (and so its
snapshot) as it was, and running it again reads the same rows.

Nothing inline may wait on a lock: SQLite's own busy handler would put the whole loop to sleep. So
the connection runs with `busy_timeout = 0`, and a statement refused with SQLITE_BUSY (another
process holds the write lock) is retried after an asyncio sleep, until the configured busy timeout
has passed. Writers of this process never meet that path: they queue for the one writer
connection in asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

# Retrying is pointless for a snapshot conflict: the reader has to start a new transaction.
_SQLITE_BUSY_SNAPSHOT = 517
_SQLITE_INTERRUPT = 9
# How many SQLite virtual-machine steps pass between two looks at a reader's clock.
_STEPS_PER_CHECK = 1000
# A reader's inline statement may take this many times its CPU budget in elapsed time.
_ELAPSED_PER_CPU_BUDGET = 10
_INTERRUPT_EVERY_S = 0.01
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


async def _until_not_busy_async(statement: Callable[[], Awaitable[Any]], wait_s: float) -> Any:
    """`_until_not_busy` for a statement run elsewhere (on a thread)."""
    deadline: float | None = None
    pause = _FIRST_PAUSE_S
    while True:
        try:
            return await statement()
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
        connection = self._connection
        if connection.read_budget_s is None:
            await _until_not_busy(
                lambda: self._cursor.execute(sql, arguments), connection.busy_wait_s
            )
            return self
        try:
            rows = await _until_not_busy(
                lambda: self._run_within_budget(sql, arguments), connection.busy_wait_s
            )
        except sqlite3.OperationalError as error:
            if not connection.overran(error):
                raise
            # Over budget: the same statement again, on a thread, with no budget.
            rows = await _until_not_busy_async(
                lambda: self._run_on_thread(sql, arguments), connection.busy_wait_s
            )
        self._rows = rows
        return self

    async def _run_on_thread(self, sql: str, arguments: Sequence[Any]) -> list[Any] | None:
        """`_run_all` on a worker thread. If the caller is cancelled meanwhile, the statement is
        interrupted and waited for, so the connection is idle before it goes back to the pool."""
        running = asyncio.ensure_future(asyncio.to_thread(self._run_all, sql, arguments))
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            # Interrupting is a no-op until the thread has started the statement: repeat it
            # until the thread is done, whatever further cancellations arrive meanwhile.
            while not running.done():
                self._connection._conn.interrupt()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait({running}, timeout=_INTERRUPT_EVERY_S)
            with contextlib.suppress(Exception):
                running.result()
            raise

    def _run_within_budget(self, sql: str, arguments: Sequence[Any]) -> list[Any] | None:
        connection = self._connection
        budget = connection.read_budget_s or 0.0
        connection.deadline = (
            time.thread_time() + budget,
            time.perf_counter() + budget * _ELAPSED_PER_CPU_BUDGET,
        )
        try:
            return self._run_all(sql, arguments)
        finally:
            connection.deadline = None

    def _run_all(self, sql: str, arguments: Sequence[Any]) -> list[Any] | None:
        """Execute and read every row (the adapter reads them all at once anyway)."""
        self._cursor.execute(sql, arguments)
        return None if self._cursor.description is None else self._cursor.fetchall()

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)  # a generator could not be replayed by a retry
        self._rows = None
        await _until_not_busy(
            lambda: self._cursor.executemany(sql, rows), self._connection.busy_wait_s
        )
        return self

    # A reader's rows, read by `execute`; None: read them from the cursor.
    _rows: list[Any] | None = None

    async def fetchone(self) -> Any:
        if self._rows is None:
            return self._cursor.fetchone()
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self._cursor.arraysize if size is None else size
        if self._rows is None:
            return self._cursor.fetchmany(count)
        taken, self._rows = self._rows[:count], self._rows[count:]
        return taken

    async def fetchall(self) -> list[Any]:
        if self._rows is None:
            return self._cursor.fetchall()
        taken, self._rows = self._rows, []
        return taken

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

    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        busy_wait_s: float,
        read_budget_s: float | None = None,
    ) -> None:
        self._conn = connection
        self._tx = _RunAtOnce()
        self.busy_wait_s = busy_wait_s
        # A reader: each statement runs inline for at most this long (see the module docstring).
        self.read_budget_s = read_budget_s
        # While a reader's statement runs inline: until when, in CPU time and elapsed time.
        self.deadline: tuple[float, float] | None = None
        self._overran = False
        if read_budget_s is not None:
            connection.set_progress_handler(self._past_deadline, _STEPS_PER_CHECK)

    def _past_deadline(self) -> bool:
        """SQLite's progress handler: True interrupts the running statement."""
        deadline = self.deadline
        if deadline is None or (
            time.thread_time() < deadline[0] and time.perf_counter() < deadline[1]
        ):
            return False
        self._overran = True
        return True

    def overran(self, error: sqlite3.OperationalError) -> bool:
        """Whether `error` is the interruption of a statement that ran past its budget."""
        overran, self._overran = self._overran, False
        code: int | None = getattr(error, "sqlite_errorcode", None)
        return overran and (code is None or code & 0xFF == _SQLITE_INTERRUPT)

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


def inline_connector(
    database: str, *, uri: bool, busy_wait_s: float, read_budget_s: float | None = None
) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine`: opens an inline connection to `database`
    (a reader's, whose statements move to a thread past `read_budget_s`, when that is given).

    The connection starts with Python's own transaction handling off and `busy_timeout = 0`; the
    engine's connect listener then applies the remaining pragmas."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(
            database, uri=uri, timeout=0, isolation_level=None, check_same_thread=False
        )
        return InlineConnection(connection, busy_wait_s=busy_wait_s, read_budget_s=read_budget_s)

    return connect
