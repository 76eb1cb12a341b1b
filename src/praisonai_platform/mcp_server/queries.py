"""The two lists the MCP server adds to the REST API's: ready work and the caller's runs.

Both check access as the REST lists do (`workspace_access`) before reading anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from praisonai_platform.core.actors import Actor
from praisonai_platform.core.paging import Page, PageRequest, paginate
from praisonai_platform.db.models import (
    Agent,
    DependencyType,
    Issue,
    IssueDependency,
    IssueStatus,
    Run,
    RunState,
)
from praisonai_platform.issues import queries as issue_queries
from praisonai_platform.runs import service as runs
from praisonai_platform.runs.service import RunFilter
from praisonai_platform.workspaces.permissions import Action, workspace_access

# Work someone may pick up or carry on; `blocked`, `done` and `cancelled` are not.
OPEN = (IssueStatus.BACKLOG, IssueStatus.TODO, IssueStatus.IN_PROGRESS, IssueStatus.IN_REVIEW)
# A blocker in one of these states blocks nothing any more.
FINISHED = (IssueStatus.DONE, IssueStatus.CANCELLED)


def _unblocked() -> list[ColumnElement[bool]]:
    """No unfinished issue blocks the issue, stated from either side."""
    before = aliased(Issue, name="blocker")
    blocked_by = (
        select(IssueDependency.id)
        .join(before, before.id == IssueDependency.depends_on_id)
        .where(
            IssueDependency.issue_id == Issue.id,
            IssueDependency.dependency_type == DependencyType.BLOCKED_BY,
            before.status.not_in(FINISHED),
        )
    )
    other = aliased(Issue, name="blocking")
    blocks = (
        select(IssueDependency.id)
        .join(other, other.id == IssueDependency.issue_id)
        .where(
            IssueDependency.depends_on_id == Issue.id,
            IssueDependency.dependency_type == DependencyType.BLOCKS,
            other.status.not_in(FINISHED),
        )
    )
    return [~exists(blocked_by), ~exists(blocks)]


async def ready_work(
    session: AsyncSession, actor: Actor, workspace_id: str, page: PageRequest
) -> Page[Issue]:
    """Open issues that nothing unfinished blocks, assigned to the caller (the agent, for an
    agent's key) or to nobody; most urgent first, then newest."""
    await workspace_access(session, actor, workspace_id, Action.ISSUE_READ)
    mine = (
        Issue.assignee_agent_id == actor.id
        if actor.is_agent
        else Issue.assignee_id == actor.user_id
    )
    unassigned = and_(Issue.assignee_id.is_(None), Issue.assignee_agent_id.is_(None))
    statement = select(Issue).where(
        Issue.workspace_id == workspace_id,
        Issue.status.in_(OPEN),
        or_(mine, unassigned),
        *_unblocked(),
    )
    return await paginate(session, statement, issue_queries.sort_keys("-priority"), page)


async def my_runs(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    page: PageRequest,
    states: Sequence[RunState] = (),
) -> Page[Run]:
    """The runs of the caller's agent (an agent's key), or of the agents the caller owns in
    the workspace; newest first."""
    await workspace_access(session, actor, workspace_id, Action.RUN_READ)
    if actor.is_agent:
        agent_ids = [actor.id]
    else:
        agent_ids = list(
            await session.scalars(
                select(Agent.id).where(
                    Agent.workspace_id == workspace_id, Agent.owner_id == actor.user_id
                )
            )
        )
    if not agent_ids:
        return Page(items=[], total=None, next_cursor=None, limit=page.limit, offset=page.offset)
    return await runs.list_runs(
        session, actor, workspace_id, page, RunFilter(states=states, agent_ids=agent_ids)
    )
