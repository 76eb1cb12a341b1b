"""Concurrent writers: nothing lost, nothing doubled, no error."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from praisonai_platform.config import Settings
from praisonai_platform.core.actors import Actor
from praisonai_platform.db import (
    create_database_engine,
    create_session_factory,
    get_engine,
    session_scope,
)
from praisonai_platform.db.models import ActivityLog, Issue, Member, User, Workspace
from praisonai_platform.issues import service as issues

WRITERS = 50


async def make_workspace(sessions: async_sessionmaker[AsyncSession], slug: str = "w") -> str:
    async with session_scope(sessions) as session:
        workspace = Workspace(name=slug, slug=slug, issue_prefix="ENG")
        session.add(workspace)
        await session.flush()
        return workspace.id


async def read_counter(sessions: async_sessionmaker[AsyncSession], workspace_id: str) -> int:
    async with session_scope(sessions, read_only=True) as session:
        workspace = await session.get(Workspace, workspace_id)
        assert workspace is not None
        return workspace.issue_counter


@pytest.mark.sqlite_only
async def test_read_modify_write_transactions_lose_no_update_on_sqlite(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    workspace_id = await make_workspace(session_factory)

    async def increment() -> None:
        async with session_scope(session_factory) as session:
            workspace = await session.get(Workspace, workspace_id)
            assert workspace is not None
            value = workspace.issue_counter
            await asyncio.sleep(0.002)  # let every other writer run up to its own read
            workspace.issue_counter = value + 1

    results = await asyncio.gather(*(increment() for _ in range(WRITERS)), return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert await read_counter(session_factory, workspace_id) == WRITERS


async def test_atomic_updates_lose_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    workspace_id = await make_workspace(session_factory)

    async def increment() -> int:
        async with session_scope(session_factory) as session:
            await asyncio.sleep(0.002)
            return (
                await session.execute(
                    update(Workspace)
                    .where(Workspace.id == workspace_id)
                    .values(issue_counter=Workspace.issue_counter + 1)
                    .returning(Workspace.issue_counter)
                )
            ).scalar_one()

    results = await asyncio.gather(*(increment() for _ in range(WRITERS)), return_exceptions=True)
    assert sorted(results) == list(range(1, WRITERS + 1))  # each writer saw its own new value
    assert await read_counter(session_factory, workspace_id) == WRITERS


async def test_concurrent_issue_creation_numbers_are_unique_and_gap_free(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    workspace_id = await make_workspace(session_factory)

    async def create(i: int) -> tuple[int, str]:
        async with session_scope(session_factory) as session:
            issue = Issue(workspace_id=workspace_id, title=f"issue {i}")
            session.add(issue)
            await session.flush()
            return issue.issue_number, issue.identifier

    created = await asyncio.gather(*(create(i) for i in range(100)), return_exceptions=True)
    assert [r for r in created if isinstance(r, BaseException)] == []
    assert sorted(number for number, _ in created) == list(range(1, 101))
    assert {identifier for _, identifier in created} == {f"ENG-{n}" for n in range(1, 101)}


async def test_a_rolled_back_create_leaves_no_gap(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    workspace_id = await make_workspace(session_factory)
    with pytest.raises(RuntimeError):
        async with session_scope(session_factory) as session:
            session.add(Issue(workspace_id=workspace_id, title="abandoned"))
            await session.flush()
            raise RuntimeError("give up")
    async with session_scope(session_factory) as session:
        issue = Issue(workspace_id=workspace_id, title="kept")
        session.add(issue)
        await session.flush()
        assert issue.issue_number == 1


async def test_default_in_memory_database_keeps_every_concurrent_insert() -> None:
    assert str(get_engine().url).startswith("sqlite+aiosqlite:///file")
    async with session_scope() as session:
        workspace = Workspace(name="memory", slug="memory")
        session.add(workspace)
        await session.flush()
        workspace_id = workspace.id

    async def insert(i: int) -> str:
        async with session_scope() as session:
            issue = Issue(workspace_id=workspace_id, title=f"in memory {i}")
            session.add(issue)
            await session.flush()
            return issue.id

    ids = await asyncio.gather(*(insert(i) for i in range(300)))
    assert len(set(ids)) == 300

    async def read_back(issue_id: str) -> bool:
        async with session_scope(read_only=True) as session:
            return await session.get(Issue, issue_id) is not None

    assert all(await asyncio.gather(*(read_back(issue_id) for issue_id in ids)))
    async with session_scope(read_only=True) as session:
        count = await session.scalar(select(func.count()).select_from(Issue))
        assert count == 300


async def make_owner(sessions: async_sessionmaker[AsyncSession], workspace_id: str) -> Actor:
    async with session_scope(sessions) as session:
        user = User(name="owner", email=f"owner-{workspace_id}@example.com")
        session.add(user)
        await session.flush()
        session.add(Member(workspace_id=workspace_id, user_id=user.id, role="owner"))
    return Actor.for_user(user)


async def create_through_the_service(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, workspace_id: str, count: int
) -> list[int]:
    async def create(i: int) -> int:
        async with session_scope(sessions) as session:
            issue = await issues.create(session, actor, workspace_id, title=f"issue {i}")
            return issue.issue_number

    return await asyncio.gather(*(create(i) for i in range(count)))


async def test_concurrent_creates_through_the_service_are_numbered_1_to_n_with_their_activity(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    workspace_id = await make_workspace(session_factory)
    owner = await make_owner(session_factory, workspace_id)
    numbers = await create_through_the_service(session_factory, owner, workspace_id, WRITERS)
    assert sorted(numbers) == list(range(1, WRITERS + 1))
    async with session_scope(session_factory, read_only=True) as session:
        identifiers = select(Issue.identifier).where(Issue.workspace_id == workspace_id)
        keys = set(await session.scalars(identifiers))
        created = await session.scalar(
            select(func.count())
            .select_from(ActivityLog)
            .where(ActivityLog.workspace_id == workspace_id, ActivityLog.action == "created")
            .where(ActivityLog.entity_type == "issue")
        )
    assert keys == {f"ENG-{n}" for n in range(1, WRITERS + 1)}
    assert created == WRITERS
    assert await read_counter(session_factory, workspace_id) == WRITERS


@pytest.mark.sqlite_only
async def test_writers_of_two_processes_on_one_file_lose_nothing(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """A second engine on the same file stands for another process: its writers meet this one's
    at SQLite's write lock (retried in asyncio), and still every create gets its own number."""
    workspace_id = await make_workspace(session_factory)
    owner = await make_owner(session_factory, workspace_id)
    other = create_database_engine(settings)
    try:
        half = WRITERS // 2
        here, there = await asyncio.gather(
            create_through_the_service(session_factory, owner, workspace_id, half),
            create_through_the_service(create_session_factory(other), owner, workspace_id, half),
        )
    finally:
        await other.dispose()
    assert sorted(here + there) == list(range(1, 2 * half + 1))
