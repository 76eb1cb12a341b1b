"""Agents: created by a member, who owns them; changed by their owner or an admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.enums import BUSY_AGENT_STATUSES
from praisonai_platform.core.errors import NotFound
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import Agent, AgentRuntimeMode, AgentStatus
from praisonai_platform.db.types import new_id
from praisonai_platform.workspaces.permissions import Access, Action, workspace_access


async def create(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    *,
    name: str,
    description: str | None = None,
    runtime_mode: AgentRuntimeMode = AgentRuntimeMode.LOCAL,
    runtime_config: dict[str, Any] | None = None,
    instructions: str | None = None,
    max_concurrent_tasks: int = 1,
    status: AgentStatus | None = None,
    avatar_url: str | None = None,
    config: dict[str, Any] | None = None,
) -> Agent:
    await workspace_access(session, actor, workspace_id, Action.AGENT_CREATE)
    agent = Agent(
        id=new_id(),
        workspace_id=workspace_id,
        name=name,
        description=description,
        runtime_mode=runtime_mode,
        runtime_config=runtime_config or {},
        instructions=instructions,
        max_concurrent_tasks=max_concurrent_tasks,
        status=status or AgentStatus.IDLE,
        avatar_url=avatar_url,
        config=config or {},
        owner_id=actor.user_id,
    )
    session.add(agent)
    _record(session, actor, agent, "created", {"name": name})
    await session.flush()
    return agent


async def get(session: AsyncSession, actor: Actor, workspace_id: str, agent_id: str) -> Agent:
    access = await workspace_access(session, actor, workspace_id, Action.AGENT_READ)
    return await _load(session, access, agent_id)


async def list_for(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    page: PageRequest,
    *,
    status: AgentStatus | None = None,
) -> Page[Agent]:
    await workspace_access(session, actor, workspace_id, Action.AGENT_READ)
    statement = select(Agent).where(Agent.workspace_id == workspace_id)
    if status in BUSY_AGENT_STATUSES:
        # One state under two names (the seed's `active`, 0.1.9's `working`): either finds both.
        statement = statement.where(Agent.status.in_(sorted(BUSY_AGENT_STATUSES)))
    elif status is not None:
        statement = statement.where(Agent.status == status)
    order = [SortKey("created_at", Agent.created_at, kind=datetime), SortKey("id", Agent.id)]
    return await paginate(session, statement, order, page)


async def update(
    session: AsyncSession, actor: Actor, workspace_id: str, agent_id: str, changes: dict[str, Any]
) -> Agent:
    access = await workspace_access(session, actor, workspace_id, Action.AGENT_CHANGE)
    agent = await _load(session, access, agent_id)
    access.require(Action.AGENT_CHANGE, own=_is_owner(agent, actor))
    changed = activity.apply_changes(agent, changes)
    if changed:
        _record(session, actor, agent, "updated", {"changes": changed})
        await session.flush()
    return agent


async def delete(session: AsyncSession, actor: Actor, workspace_id: str, agent_id: str) -> None:
    """Delete the agent. Its runs and agent-bound API keys go with it; issues, comments and
    projects it was named on keep existing without it (the foreign keys set NULL)."""
    access = await workspace_access(session, actor, workspace_id, Action.AGENT_CHANGE)
    agent = await _load(session, access, agent_id)
    access.require(Action.AGENT_CHANGE, own=_is_owner(agent, actor))
    await session.delete(agent)
    _record(session, actor, agent, "deleted", {"name": agent.name})
    await session.flush()


async def _load(session: AsyncSession, access: Access, agent_id: str) -> Agent:
    agent = await session.scalar(
        select(Agent).where(Agent.workspace_id == access.workspace.id, Agent.id == agent_id)
    )
    if agent is None:
        raise NotFound("agent not found")
    return agent


def _is_owner(agent: Agent, actor: Actor) -> bool:
    return agent.owner_id is not None and agent.owner_id == actor.user_id


def _record(
    session: AsyncSession, actor: Actor, agent: Agent, action: str, details: dict[str, Any]
) -> None:
    activity.record(
        session,
        actor,
        workspace_id=agent.workspace_id,
        entity_type="agent",
        entity_id=agent.id,
        action=action,
        details=details,
    )
