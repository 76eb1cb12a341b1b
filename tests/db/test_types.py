"""Column types read back identically on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Issue, IssueStatus, User, Workspace


async def test_timestamps_are_aware_utc_and_exact(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    moment = datetime(
        2026, 3, 29, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))
    )
    async with session_scope(session_factory) as session:
        user = User(name="ada", email="ada@example.com", last_login_at=moment)
        session.add(user)
        await session.flush()
        user_id = user.id
    async with session_scope(session_factory, read_only=True) as session:
        stored = await session.get(User, user_id)
        assert stored is not None
        assert stored.last_login_at == moment
        assert stored.last_login_at.tzinfo == UTC
        assert stored.last_login_at.isoformat() == "2026-03-28T20:00:15.123456+00:00"
        assert stored.created_at.tzinfo == UTC
        assert abs(datetime.now(UTC) - stored.created_at) < timedelta(minutes=5)


async def test_naive_timestamps_are_refused(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with session_scope(session_factory) as session:
            session.add(
                User(name="bob", email="bob@example.com", last_login_at=datetime(2026, 1, 1))
            )


async def test_updated_at_moves_and_version_counts_updates(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(session_factory) as session:
        workspace = Workspace(name="W", slug="w")
        session.add(workspace)
        await session.flush()
        issue = Issue(workspace_id=workspace.id, title="first")
        session.add(issue)
    created_at, updated_at = issue.created_at, issue.updated_at
    assert issue.version == 1
    async with session_scope(session_factory) as session:
        stored = await session.get(Issue, issue.id)
        assert stored is not None
        stored.status = IssueStatus.IN_PROGRESS
    async with session_scope(session_factory, read_only=True) as session:
        stored = await session.get(Issue, issue.id)
        assert stored is not None
        assert stored.status is IssueStatus.IN_PROGRESS
        assert stored.version == 2
        assert stored.created_at == created_at
        assert stored.updated_at > updated_at


async def test_json_and_defaults_round_trip(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    settings = {"theme": "dark", "limits": [1, 2.5, None], "nested": {"ünïcode": "✓"}}
    async with session_scope(session_factory) as session:
        session.add(Workspace(name="J", slug="j", settings=settings))
        session.add(Workspace(name="D", slug="d"))
    async with session_scope(session_factory, read_only=True) as session:
        rows = {w.slug: w for w in (await session.execute(select(Workspace))).scalars()}
    assert rows["j"].settings == settings
    assert rows["d"].settings == {}
    assert rows["d"].issue_prefix == "ISSUE"
    assert rows["d"].description is None


async def test_seed_defaults_for_issues(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(session_factory) as session:
        workspace = Workspace(name="W", slug="w")
        session.add(workspace)
        await session.flush()
        issue = Issue(workspace_id=workspace.id, title="defaults")
        session.add(issue)
    assert (issue.status, issue.priority) == ("backlog", "medium")
    assert (issue.issue_number, issue.identifier) == (1, "ISSUE-1")


async def test_the_orm_refuses_values_outside_an_enum(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(StatementError):
        async with session_scope(session_factory) as session:
            workspace = Workspace(name="W", slug="w")
            session.add(workspace)
            await session.flush()
            session.add(Issue(workspace_id=workspace.id, title="t", status="in_progress"))
