"""Who may be answered a replayed request (a repeat of an Idempotency-Key) that queued or
claimed a run: the REST routes and the MCP tools ask the same."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core import idempotency as nonces
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import NotFound
from praisonai_platform.runs.workers import service as workers
from praisonai_platform.workspaces.permissions import Action, workspace_access

Recheck = Callable[[nonces.RecordedResponse], Awaitable[None]]


def may_queue(session: AsyncSession, actor: Actor, workspace_id: str) -> Recheck:
    """A replayed queueing (or delegation) answers only a caller who may queue runs in the
    workspace now: 404 for a non-member, 403 for a read-only key or one limited to another
    workspace, as the route itself would answer."""

    async def recheck(_: nonces.RecordedResponse) -> None:
        await workspace_access(session, actor, workspace_id, Action.RUN_CREATE)

    return recheck


def may_hold(session: AsyncSession, actor: Actor, worker_id: str) -> Recheck:
    """A replayed claim answers only the worker's own person, with a credential that may work
    on the claimed run's workspace (and, for an agent's key, on that agent's runs)."""

    async def recheck(earlier: nonces.RecordedResponse) -> None:
        await workers.ensure_owned(session, actor, worker_id)
        if earlier.body is None:
            return
        await workspace_access(session, actor, str(earlier.body["workspace_id"]), Action.RUN_WORK)
        if actor.is_agent and earlier.body.get("agent_id") != actor.id:
            raise NotFound("run not found")

    return recheck
