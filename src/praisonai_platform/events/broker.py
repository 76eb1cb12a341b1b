"""Waking the open event streams of this process when their workspace's feed grows.

One broker per process (per event loop). A stream subscribes to its workspace and waits; it is
woken by:

- a commit in this process (`change_feed.on_commit`), at once;
- on PostgreSQL, a NOTIFY on `change_feed.CHANNEL` sent by a commit in any process (another
  server worker, a run worker, the command line), heard on one dedicated connection that LISTENs
  while streams are open and reconnects when it is lost;
- a poll every PLATFORM_EVENTS_POLL_SECONDS of the newest event id of each workspace with open
  streams, as a safety net (and how SQLite hears of other processes' events).

A wake-up only says "read again": streams read the feed themselves, after the last id they sent,
so a missed or extra wake-up costs a delay or a query, never an event.

The broker also counts each caller's streams (`reserve`): a place is taken when a stream is
asked for, before anything is awaited, so streams asked for all at once cannot all find room.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from praisonai_platform.db import change_feed, get_engine, session_scope
from praisonai_platform.db.models import WorkspaceEvent

logger = logging.getLogger(__name__)

_POLL_CHUNK = 500
_RECONNECT_FIRST = 0.5
_RECONNECT_MAX = 30.0


class StreamSlot:
    """One caller's place for a stream (`Broker.reserve`), held until `release`."""

    def __init__(self, broker: Broker, owner: str) -> None:
        self.broker = broker
        self.owner = owner
        self._held = True

    def release(self) -> None:
        """Give the place back (once: again does nothing); on the broker's event loop."""
        if self._held:
            self._held = False
            self.broker._give_back(self.owner)


class Waiter:
    """One stream's subscription to a workspace."""

    def __init__(self, broker: Broker, workspace_id: str) -> None:
        self.broker = broker
        self.workspace_id = workspace_id
        self._event = asyncio.Event()

    def clear(self) -> None:
        """Forget past wake-ups: call before reading, so none after the read is missed."""
        self._event.clear()

    def wake(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> bool:
        """Wait until woken or `seconds` pass; True if woken."""
        if self._event.is_set():
            return True
        try:
            async with asyncio.timeout(max(0.0, seconds)):
                await self._event.wait()
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.broker.unsubscribe(self)

    def __enter__(self) -> Waiter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class Broker:
    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self.loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._waiters: dict[str, set[Waiter]] = {}
        self._newest: dict[str, int] = {}
        self._owners: Counter[str] = Counter()
        self._closed = False
        self._poller: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self.connections = 0
        """How many times the LISTEN connection was opened (reopened after a loss)."""
        self.listener_pid: int | None = None
        self._remove = change_feed.on_commit(self._committed)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def listening(self) -> bool:
        """True while the LISTEN connection (PostgreSQL) is up."""
        return self._listening.is_set()

    def subscribe(self, workspace_id: str) -> Waiter:
        """A waiter for the workspace."""
        if self._closed:
            raise RuntimeError("the event broker is closed")
        waiter = Waiter(self, workspace_id)
        self._waiters.setdefault(workspace_id, set()).add(waiter)
        self._start()
        return waiter

    def unsubscribe(self, waiter: Waiter) -> None:
        waiters = self._waiters.get(waiter.workspace_id)
        if waiters is None or waiter not in waiters:
            return
        waiters.discard(waiter)
        if not waiters:
            del self._waiters[waiter.workspace_id]
            self._newest.pop(waiter.workspace_id, None)

    def waiting(self) -> int:
        """How many streams are subscribed."""
        return sum(len(waiters) for waiters in self._waiters.values())

    def reserve(self, owner: str, limit: int) -> StreamSlot | None:
        """A place for one more stream of `owner`, taken at once; None when `owner` already
        holds `limit`. Synchronous on purpose: checked and taken with no await between, so
        streams asked for at the same moment are counted one after the other."""
        if self._owners[owner] >= limit:
            return None
        self._owners[owner] += 1
        return StreamSlot(self, owner)

    def _give_back(self, owner: str) -> None:
        self._owners[owner] -= 1
        if self._owners[owner] <= 0:
            del self._owners[owner]

    def streams_of(self, owner: str) -> int:
        """How many streams `owner` holds (or is opening) in this process."""
        return self._owners.get(owner, 0)

    def wake(self, workspace_ids: Iterable[str]) -> None:
        """Wake the streams of `workspace_ids`; on the broker's event loop only."""
        for workspace_id in workspace_ids:
            for waiter in self._waiters.get(workspace_id, ()):
                waiter.wake()

    def wake_all(self) -> None:
        self.wake(list(self._waiters))

    def _committed(self, workspace_ids: frozenset[str]) -> None:
        # Called by the committing code: on this loop's thread for the server's sessions, on
        # another thread for a synchronous session or another loop.
        if self._closed or self.loop.is_closed():
            return
        if threading.get_ident() == self._thread:
            self.wake(workspace_ids)
        else:
            self.loop.call_soon_threadsafe(self.wake, workspace_ids)

    def _start(self) -> None:
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="event-stream-poll")
        if (self._listener is None or self._listener.done()) and _is_postgres():
            self._listener = asyncio.create_task(self._listen(), name="event-stream-listen")

    async def _poll(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("polling the change feed failed", exc_info=True)

    async def poll(self) -> None:
        """Wake the streams of every watched workspace whose newest event id moved."""
        watched = list(self._waiters)
        grown: list[str] = []
        for start in range(0, len(watched), _POLL_CHUNK):
            chunk = watched[start : start + _POLL_CHUNK]
            async with session_scope(read_only=True) as session:
                rows = await session.execute(
                    select(WorkspaceEvent.workspace_id, func.max(WorkspaceEvent.id))
                    .where(WorkspaceEvent.workspace_id.in_(chunk))
                    .group_by(WorkspaceEvent.workspace_id)
                )
                for workspace_id, newest in rows:
                    if self._newest.get(workspace_id) != newest:
                        if workspace_id in self._waiters:
                            self._newest[workspace_id] = newest
                        grown.append(workspace_id)
        self.wake(grown)

    async def _listen(self) -> None:
        """Hold a connection that LISTENs on the feed's channel; reconnect when it is lost."""
        pause = _RECONNECT_FIRST
        while not self._closed:
            connection: AsyncConnection | None = None
            try:
                connection = await get_engine().connect()
                raw = await connection.get_raw_connection()
                driver: Any = raw.driver_connection
                # Out of the pool: it is closed with `connection`, never handed to a request.
                raw.detach()
                lost = asyncio.Event()
                driver.add_termination_listener(lambda _connection, lost=lost: lost.set())
                await driver.add_listener(change_feed.CHANNEL, self._notified)
                self.listener_pid = driver.get_server_pid()
                self.connections += 1
                self._listening.set()
                pause = _RECONNECT_FIRST
                self.wake_all()  # whatever was said while no one listened
                while not self._closed:
                    try:
                        async with asyncio.timeout(self.poll_seconds):
                            await lost.wait()
                    except TimeoutError:
                        async with asyncio.timeout(max(5.0, self.poll_seconds)):
                            await driver.fetchval("SELECT 1")  # a dead peer shows only so
                        continue
                    raise ConnectionError("the LISTEN connection was closed")
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning(
                    "listening for change feed notifications failed; again in %.1fs",
                    pause,
                    exc_info=True,
                )
            finally:
                self._listening.clear()
                if connection is not None:
                    await _close_quietly(connection)
            await asyncio.sleep(pause)
            pause = min(_RECONNECT_MAX, pause * 2)

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self.wake((payload,))

    async def close(self) -> None:
        """Stop listening and polling, and wake every stream so that it ends."""
        if self._closed:
            return
        self._closed = True
        self._remove()
        tasks = [task for task in (self._poller, self._listener) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.wake_all()


async def _close_quietly(connection: AsyncConnection) -> None:
    try:
        await asyncio.shield(connection.close())
    except Exception:
        logger.debug("closing the LISTEN connection failed", exc_info=True)


def _is_postgres() -> bool:
    return get_engine().dialect.name == "postgresql"


_broker: Broker | None = None


def get_broker(poll_seconds: float) -> Broker:
    """This process's broker, made on first use on the running event loop (a new one if the
    loop that made the last one has ended, as between tests)."""
    global _broker
    current = _broker
    if current is None or current.closed or current.loop is not asyncio.get_running_loop():
        if current is not None and not current.closed:
            current._remove()  # its loop is gone: its tasks went with it
        current = _broker = Broker(poll_seconds)
    current.poll_seconds = poll_seconds
    return current


async def shutdown() -> None:
    """Close this process's broker, if any (the application's shutdown)."""
    global _broker
    current, _broker = _broker, None
    if current is not None and current.loop is asyncio.get_running_loop():
        await current.close()
