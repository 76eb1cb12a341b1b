"""The broker that wakes open streams: commits here, NOTIFY from elsewhere, and the poll."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text

from praisonai_platform.db import change_feed, get_engine
from praisonai_platform.db.change_feed import FeedRow
from praisonai_platform.db.models import ActorType
from praisonai_platform.db.types import utcnow
from praisonai_platform.events import broker as broker_module
from praisonai_platform.events.broker import Broker
from tests.events.test_stream_support import SAFETY_SECONDS
from tests.factories import MakeUser, MakeWorkspace


async def workspace(make_user: MakeUser, make_workspace: MakeWorkspace) -> str:
    return str((await make_workspace(await make_user()))["id"])


async def write_elsewhere(workspace_id: str) -> None:
    """A feed event written as another process would: no commit listener of this one hears it
    (on PostgreSQL, its NOTIFY is sent all the same)."""
    row = FeedRow(
        workspace_id=workspace_id,
        type="issue.created",
        entity_type="issue",
        entity_id="elsewhere",
        issue_id=None,
        actor_type=ActorType.SYSTEM,
        actor_id=None,
        data={},
        created_at=utcnow(),
    )
    async with get_engine().begin() as connection:
        await connection.run_sync(lambda sync: change_feed.write(sync, [row]))


async def until(condition: Callable[[], bool]) -> None:
    """Wait for `condition()` to hold (bounded only against a hang): the broker's state
    changes on its own tasks, which announce nothing to wait on."""
    async with asyncio.timeout(SAFETY_SECONDS):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_a_commit_wakes_the_workspaces_waiters_only(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    ws, other = [await workspace(make_user, make_workspace) for _ in range(2)]
    broker = Broker(poll_seconds=300)
    try:
        mine, theirs = broker.subscribe(ws), broker.subscribe(other)
        change_feed.tell({ws})
        assert await mine.wait(0) and not await theirs.wait(0)
        mine.clear()
        # A commit on another thread (a synchronous session) is handed to the broker's loop.
        await asyncio.to_thread(change_feed.tell, {ws})
        assert await mine.wait(SAFETY_SECONDS)
        mine.close()
        theirs.close()
        assert broker.waiting() == 0
    finally:
        await broker.close()
    change_feed.tell({ws})  # a closed broker no longer listens: nothing to wake, no error
    with pytest.raises(RuntimeError):
        broker.subscribe(ws)


async def test_the_poll_wakes_the_waiters_of_a_workspace_that_grew(
    monkeypatch: pytest.MonkeyPatch,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
) -> None:
    monkeypatch.setattr(broker_module, "_is_postgres", lambda: False)  # the poll alone
    ws, quiet = [await workspace(make_user, make_workspace) for _ in range(2)]
    broker = Broker(poll_seconds=300)
    try:
        waiter, idle = broker.subscribe(ws), broker.subscribe(quiet)
        await broker.poll()  # learns where each feed is
        waiter.clear()
        idle.clear()
        await broker.poll()
        assert not await waiter.wait(0)
        await write_elsewhere(ws)
        assert not await waiter.wait(0)
        await broker.poll()
        assert await waiter.wait(0) and not await idle.wait(0)
    finally:
        await broker.close()


@pytest.mark.postgres_only
async def test_notify_from_another_connection_wakes_and_listening_survives_a_lost_connection(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    ws = await workspace(make_user, make_workspace)
    broker = Broker(poll_seconds=300)  # the poll never runs here
    try:
        waiter = broker.subscribe(ws)
        await until(lambda: broker.listening)
        waiter.clear()
        await write_elsewhere(ws)
        assert await waiter.wait(SAFETY_SECONDS)
        async with get_engine().connect() as connection:
            await connection.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": broker.listener_pid}
            )
        await until(lambda: broker.connections == 2 and broker.listening)
        waiter.clear()
        await write_elsewhere(ws)
        assert await waiter.wait(SAFETY_SECONDS)
    finally:
        await broker.close()
    assert not broker.listening
