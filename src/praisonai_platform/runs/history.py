"""Each change of a run is written twice in its own transaction: as a typed event (what the
worker and the run's watchers read) and as a row of the workspace's audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.db.models import ActorType, Comment, CommentType, EventType, Run
from praisonai_platform.db.types import new_id
from praisonai_platform.runs.events import service as events


def run_changed(
    session: AsyncSession,
    run: Run,
    *,
    action: str,
    event_type: EventType,
    actor: Actor,
    by_agent: bool = False,
    old_state: str | None = None,
    message: str | None = None,
    details: dict[str, Any] | None = None,
    worker_id: str | None = None,
) -> None:
    """Record that `run` changed.

    `by_agent`: the change is the agent's own work, reported by its worker (one of the server's
    worker processes, `actor` the system, or a remote worker signed in as `actor`); the audit
    trail names the agent, and the person whose credential reported it.
    """
    context: dict[str, Any] = {}
    if old_state is not None and old_state != run.state.value:
        context["changes"] = {"state": [old_state, run.state.value]}
    context.update(details or {})
    worker = worker_id or run.worker_id
    if worker is not None:
        context.setdefault("worker_id", worker)
    if by_agent and not actor.is_system:
        context["reported_by"] = actor.user_id
    events.record(
        session,
        event_type,
        workspace_id=run.workspace_id,
        run_id=run.id,
        worker_id=worker,
        message=message,
        context=context,
    )
    entry = activity.record(
        session,
        # The audit trail writes the system as no actor; the agent is filled in below.
        None if by_agent or actor.is_system else actor,
        workspace_id=run.workspace_id,
        entity_type="run",
        entity_id=run.id,
        issue_id=run.issue_id,
        action=action,
        details=context,
    )
    if by_agent:
        entry.actor_type = ActorType.AGENT
        entry.actor_id = run.agent_id


def post_agent_comment(session: AsyncSession, run: Run, content: str) -> Comment | None:
    """Post the agent's final message on the run's issue, authored by the agent."""
    if run.issue_id is None or not content.strip():
        return None
    comment = Comment(
        id=new_id(),
        issue_id=run.issue_id,
        author_agent_id=run.agent_id,
        type=CommentType.AGENT_RESULT,
        content=content,
    )
    session.add(comment)
    entry = activity.record(
        session,
        None,
        workspace_id=run.workspace_id,
        entity_type="comment",
        entity_id=comment.id,
        issue_id=run.issue_id,
        action="created",
        details={"run_id": run.id, "type": CommentType.AGENT_RESULT.value},
    )
    entry.actor_type = ActorType.AGENT
    entry.actor_id = run.agent_id
    return comment
