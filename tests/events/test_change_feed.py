"""The change feed: one numbered event per visible change, written with the change or not at all."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from praisonai_platform.activity import service as activity
from praisonai_platform.db import change_feed, session_scope
from praisonai_platform.db.models import ActivityLog, WorkspaceEvent

API = "/api/v1/workspaces"


async def feed(workspace_id: str) -> list[WorkspaceEvent]:
    async with session_scope(read_only=True) as session:
        rows = await session.scalars(
            select(WorkspaceEvent)
            .where(WorkspaceEvent.workspace_id == workspace_id)
            .order_by(WorkspaceEvent.id)
        )
        return list(rows)


async def test_api_changes_reach_the_feed_in_order(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    issue = await client.post(f"{API}/{ws}/issues", json={"title": "Ship"}, headers=owner.headers)
    assert issue.status_code == 201, issue.text
    issue_id = issue.json()["id"]
    comment = await client.post(
        f"{API}/{ws}/issues/{issue_id}/comments", json={"content": "hi"}, headers=owner.headers
    )
    assert comment.status_code == 201, comment.text
    events = await feed(ws)
    assert [e.type for e in events] == ["workspace.created", "issue.created", "comment.created"]
    ids = [e.id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 3
    created = events[1]
    assert (created.entity_id, created.issue_id, created.actor_id) == (
        issue_id,
        issue_id,
        owner.id,
    )
    assert events[2].issue_id == issue_id


async def test_a_rolled_back_change_is_never_announced(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    before = await feed(ws)
    with pytest.raises(RuntimeError):
        async with session_scope() as session:
            await activity.insert(
                session, None, workspace_id=ws, entity_type="issue", entity_id="x", action="created"
            )
            activity.record(
                session, None, workspace_id=ws, entity_type="issue", entity_id="y", action="updated"
            )
            await session.flush()
            raise RuntimeError("changed my mind")
    async with session_scope() as session:
        async with session.begin_nested() as savepoint:
            activity.record(
                session, None, workspace_id=ws, entity_type="label", entity_id="l", action="created"
            )
            await session.flush()
            await savepoint.rollback()
        activity.record(
            session, None, workspace_id=ws, entity_type="label", entity_id="k", action="deleted"
        )
    after = await feed(ws)
    assert [(e.type, e.entity_id) for e in after[len(before) :]] == [("label.deleted", "k")]


async def test_an_entry_completed_after_record_is_announced_as_completed(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    async with session_scope() as session:
        entry = activity.record(
            session, None, workspace_id=ws, entity_type="run", entity_id="r", action="claimed"
        )
        entry.actor_id = "agent-1"
    last = (await feed(ws))[-1]
    assert (last.type, last.actor_id) == ("run.claimed", "agent-1")


async def test_listeners_hear_each_commit_and_concurrent_writers_leave_no_gap(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    heard: list[frozenset[str]] = []
    remove = change_feed.on_commit(heard.append)
    seen: list[int] = []
    done = asyncio.Event()

    async def reader() -> None:
        # Reads after the last id it saw, as a stream does; a gap would be an id that commits
        # below one already read, and would never be read.
        while True:
            finished = done.is_set()
            async with session_scope(read_only=True) as session:
                rows = await session.scalars(
                    select(WorkspaceEvent.id)
                    .where(WorkspaceEvent.workspace_id == ws)
                    .where(WorkspaceEvent.id > (seen[-1] if seen else 0))
                    .order_by(WorkspaceEvent.id)
                )
                seen.extend(rows)
            if finished:
                return
            await asyncio.sleep(0)

    async def writer(n: int) -> None:
        for i in range(8):
            async with session_scope() as session:
                activity.record(
                    session,
                    None,
                    workspace_id=ws,
                    entity_type="issue",
                    entity_id=f"{n}-{i}",
                    action="updated",
                )

    try:
        reading = asyncio.create_task(reader())
        await asyncio.gather(*(writer(n) for n in range(6)))
        done.set()
        await reading
    finally:
        remove()
    everything = [e.id for e in await feed(ws)]
    assert seen == everything[-len(seen) :] and len(seen) >= 48
    assert sum(1 for changed in heard if ws in changed) >= 48
    async with session_scope(read_only=True) as session:
        audit = await session.scalar(
            select(ActivityLog.id).where(ActivityLog.workspace_id == ws).limit(1)
        )
    assert audit is not None
