"""Runs as members see them: an agent's unit of work, queued by delegating an issue to the agent
or directly; read, listed and stopped by the workspace's members.

What workers do with runs (claim, heartbeat, report) lives in run_queue and run_reports.
`parameters` are stored for the agent and never read here: nothing in them changes who may do
what, which agent runs, or what it costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import service as activity
from praisonai_platform.billing import metering as run_usage
from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.clock import utcnow
from praisonai_platform.core.errors import Conflict, NotFound, ValidationFailed
from praisonai_platform.core.limits import (
    DEFAULT_MAX_ATTEMPTS,
    MAX_ATTEMPTS,
    MAX_PARAMETERS_BYTES,
    MAX_RUN_BUDGET,
)
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import Agent, EventType, Issue, Run, RunState
from praisonai_platform.db.types import new_id
from praisonai_platform.runs import checks as run_values
from praisonai_platform.runs.history import run_changed
from praisonai_platform.workspaces.permissions import Access, Action, workspace_access
from praisonai_platform.workspaces.references import ensure_agent, issue_in_workspace, resolve_issue

FINISHED = frozenset({RunState.COMPLETED, RunState.FAILED, RunState.STOPPED})

_NEWEST_FIRST = [
    SortKey("created_at", Run.created_at, descending=True, kind=datetime),
    SortKey("id", Run.id, descending=True),
]


async def create(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    *,
    agent_id: str,
    billing: BillingSettings,
    issue_id: str | None = None,
    parameters: dict[str, Any] | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    budget: int | None = None,
) -> Run:
    """Queue a run for an agent of the workspace, optionally about one of its issues; `budget`
    caps in micro-credits what its steps may be charged together."""
    access = await workspace_access(session, actor, workspace_id, Action.RUN_CREATE)
    agent = await ensure_agent(session, workspace_id, agent_id, "agent_id")
    issue = None
    if issue_id is not None:
        issue = await issue_in_workspace(session, access.workspace, issue_id, "issue_id")
    return await _enqueue(
        session, access, agent, issue, parameters, max_attempts, billing, budget=budget
    )


async def delegate(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    issue_ref: str,
    *,
    billing: BillingSettings,
    agent_id: str | None = None,
    parameters: dict[str, Any] | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    budget: int | None = None,
) -> Run:
    """Hand an issue (id or key) to an agent: `agent_id`, or else the agent it is assigned to."""
    access = await workspace_access(session, actor, workspace_id, Action.RUN_CREATE)
    issue = await resolve_issue(session, access, issue_ref)
    agent_id = agent_id or issue.assignee_agent_id
    if agent_id is None:
        raise ValidationFailed(
            "agent_id: the issue is not assigned to an agent; name the agent to delegate to",
            code="agent_required",
        )
    agent = await ensure_agent(session, workspace_id, agent_id, "agent_id")
    return await _enqueue(
        session, access, agent, issue, parameters, max_attempts, billing, budget=budget
    )


async def get(session: AsyncSession, actor: Actor, workspace_id: str, run_id: str) -> Run:
    await workspace_access(session, actor, workspace_id, Action.RUN_READ)
    return await _load(session, workspace_id, run_id)


async def get_by_id(session: AsyncSession, actor: Actor, run_id: str) -> Run:
    """A run by its id alone (what a worker knows); members of its workspace only."""
    run = await session.scalar(select(Run).where(Run.id == run_id))
    if run is None:
        raise NotFound("run not found")
    await workspace_access(session, actor, run.workspace_id, Action.RUN_READ)
    return run


@dataclass(frozen=True, slots=True)
class RunFilter:
    """Each non-empty field keeps the runs matching any of its values."""

    states: Sequence[RunState] = ()
    agent_ids: Sequence[str] = ()
    issue_id: str | None = None

    def apply(self, statement: Select[Run]) -> Select[Run]:
        if self.states:
            statement = statement.where(Run.state.in_(list(self.states)))
        if self.agent_ids:
            statement = statement.where(Run.agent_id.in_(list(self.agent_ids)))
        if self.issue_id is not None:
            statement = statement.where(Run.issue_id == self.issue_id)
        return statement


async def list_runs(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    page: PageRequest,
    filters: RunFilter | None = None,
    *,
    issue_ref: str | None = None,
) -> Page[Run]:
    """The workspace's runs (or one issue's), newest first."""
    access = await workspace_access(session, actor, workspace_id, Action.RUN_READ)
    filters = filters or RunFilter()
    if issue_ref is not None:
        issue = await resolve_issue(session, access, issue_ref)
        filters = RunFilter(filters.states, filters.agent_ids, issue.id)
    statement = filters.apply(select(Run).where(Run.workspace_id == workspace_id))
    return await paginate(session, statement, _NEWEST_FIRST, page)


async def request_stop(session: AsyncSession, actor: Actor, workspace_id: str, run_id: str) -> Run:
    """Stop a run: a pending one at once; a processing one when its worker next heartbeats.

    Asking again is harmless; a run that already completed or failed cannot be stopped (409).
    """
    await workspace_access(session, actor, workspace_id, Action.RUN_STOP)
    run = await _load(session, workspace_id, run_id, lock=True)
    if run.state is RunState.STOPPED or (run.state is RunState.PROCESSING and run.stop_requested):
        return run
    if run.state in FINISHED:
        raise Conflict(f"the run has already {run.state.value}", code="run_finished")
    now = utcnow()
    old_state = run.state.value
    run.stop_requested, run.stop_requested_at = True, now
    if run.state is RunState.PENDING:
        run.state, run.finished_at = RunState.STOPPED, now
        run_changed(
            session,
            run,
            action="stopped",
            event_type=EventType.RUN_STOPPED,
            actor=actor,
            old_state=old_state,
            message="stopped before any worker took it",
        )
    else:
        # Not a change of state yet: the audit trail has it, the event comes with the stop.
        activity.record(
            session,
            actor,
            workspace_id=run.workspace_id,
            entity_type="run",
            entity_id=run.id,
            issue_id=run.issue_id,
            action="stop_requested",
            details={"changes": {"stop_requested": [False, True]}},
        )
    await session.flush()
    return run


async def _enqueue(
    session: AsyncSession,
    access: Access,
    agent: Agent,
    issue: Issue | None,
    parameters: dict[str, Any] | None,
    max_attempts: int,
    billing: BillingSettings,
    *,
    budget: int | None = None,
) -> Run:
    if parameters is not None:
        run_values.json_object(parameters, "parameters", MAX_PARAMETERS_BYTES)
    if not 1 <= max_attempts <= MAX_ATTEMPTS:
        raise ValidationFailed(
            f"max_attempts: between 1 and {MAX_ATTEMPTS}", code="invalid_max_attempts"
        )
    if budget is not None and (
        isinstance(budget, bool) or not isinstance(budget, int) or not 0 < budget <= MAX_RUN_BUDGET
    ):
        raise ValidationFailed(
            f"budget: whole micro-credits from 1 to {MAX_RUN_BUDGET}", code="invalid_budget"
        )
    actor = access.actor
    await run_usage.require_start_balance(session, actor, billing)
    run = Run(
        id=new_id(),
        workspace_id=access.workspace.id,
        issue_id=issue.id if issue else None,
        agent_id=agent.id,
        created_by_type=actor.type,
        created_by_id=actor.id,
        state=RunState.PENDING,
        parameters=parameters or {},
        max_attempts=max_attempts,
        budget=budget,
        spent=0,
    )
    session.add(run)
    details: dict[str, Any] = {"agent_id": agent.id, "agent_name": agent.name}
    if issue is not None:
        details["identifier"] = issue.identifier
    if budget is not None:
        details["budget"] = budget
    run_changed(
        session,
        run,
        action="created",
        event_type=EventType.RUN_PENDING,
        actor=actor,
        message=f"queued for {agent.name}",
        details=details,
    )
    await session.flush()
    return run


async def _load(
    session: AsyncSession, workspace_id: str, run_id: str, *, lock: bool = False
) -> Run:
    statement = select(Run).where(Run.id == run_id, Run.workspace_id == workspace_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    run = await session.scalar(statement)
    if run is None:
        raise NotFound("run not found")
    return run
