"""The issue create path: the fewest statements, and an object that behaves as a loaded one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActivityLog, Issue, IssuePriority
from praisonai_platform.issues import service as issues
from tests.db.test_concurrency import make_owner, make_workspace


async def test_a_create_writes_its_rows_and_feed_event_and_reads_no_issue_back(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    workspace_id = await make_workspace(session_factory)
    owner = await make_owner(session_factory, workspace_id)
    statements: list[str] = []

    def remember(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()[:3]).upper())

    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    try:
        async with session_scope(session_factory) as session:
            issue = await issues.create(session, owner, workspace_id, title="first")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", remember)
    writes = [s for s in statements if not s.startswith(("SELECT", "BEGIN"))]
    # The counter, the issue, its audit entry, and (at commit) its change-feed event.
    assert writes == [
        "UPDATE WORKSPACES SET",
        "INSERT INTO ISSUES",
        "INSERT INTO ACTIVITY_LOGS",
        "INSERT INTO WORKSPACE_EVENTS",
    ]
    assert not [s for s in statements if "ISSUE" in s and s.startswith("SELECT")]
    assert (issue.issue_number, issue.identifier, issue.version) == (1, "ENG-1", 1)


async def test_a_created_issue_can_be_changed_in_the_same_transaction(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """The object a create returns is in the session like a loaded one: changes to it are
    flushed, with its version moving on."""
    workspace_id = await make_workspace(session_factory)
    owner = await make_owner(session_factory, workspace_id)
    async with session_scope(session_factory) as session:
        issue = await issues.create(session, owner, workspace_id, title="first")
        issue.priority = IssuePriority.HIGH
        await session.flush()
        assert issue.version == 2
    async with session_scope(session_factory, read_only=True) as session:
        stored = await session.get(Issue, issue.id)
        assert stored is not None
        assert (stored.priority, stored.version, stored.created_at) == (
            IssuePriority.HIGH,
            2,
            issue.created_at,
        )
        activity = (
            await session.scalars(select(ActivityLog).where(ActivityLog.issue_id == issue.id))
        ).one()
        assert (activity.action, activity.actor_id, activity.details) == (
            "created",
            owner.id,
            {"identifier": "ENG-1", "title": "first"},
        )
