"""Claiming: each pending run goes to exactly one worker, oldest first, within its agent's limit.

PostgreSQL: the oldest claimable run is locked with FOR UPDATE SKIP LOCKED (concurrent claimers
take different runs, nobody waits on a row another is taking), then updated in the same
transaction. SQLite: every writing transaction begins IMMEDIATE, so one conditional
`UPDATE … WHERE id = (SELECT … LIMIT 1) AND state = 'pending' RETURNING …` is exclusive.

Lock order, so that no two transactions wait on each other: a worker's row before any run row
(heartbeat, sign-on, sign-off); a run row before its agent's row (claim); reports on a run lock
that run only. Leases (reclaiming, releasing) are in run_leases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from praisonai_platform.core.actors import Actor
from praisonai_platform.core.clock import database_now
from praisonai_platform.core.errors import Conflict, NotFound
from praisonai_platform.db.models import ActorType, Agent, EventType, Member, Run, RunState
from praisonai_platform.runs import leases as run_leases
from praisonai_platform.runs.history import run_changed
from praisonai_platform.runs.settings import RunSettings
from praisonai_platform.runs.workers import service as workers
from praisonai_platform.workspaces.permissions import Action, workspace_access

# On PostgreSQL a candidate whose agent filled up meanwhile is skipped; give up after this many.
_CLAIM_TRIES = 5


@dataclass(frozen=True, slots=True)
class ClaimFilter:
    """Which runs a worker takes. Named workspaces (`workspace_id`, `workspace_ids`) and named
    agents (`agent_id`, `agent_ids`) narrow the queue: a run must be of one of the named
    workspaces, if any, and of one of the named agents, if any."""

    agent_id: str | None = None
    workspace_id: str | None = None
    run_id: str | None = None
    workspace_ids: tuple[str, ...] = ()
    agent_ids: tuple[str, ...] = ()

    @property
    def workspaces(self) -> list[str]:
        return _named(self.workspace_id, self.workspace_ids)

    @property
    def agents(self) -> list[str]:
        return _named(self.agent_id, self.agent_ids)

    @property
    def names_work(self) -> bool:
        """Whether the worker said which work it takes (workspaces, agents or one run)."""
        return bool(self.workspaces or self.agents or self.run_id is not None)


def _named(one: str | None, many: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*([one] if one is not None else []), *many]))


async def claim(
    session: AsyncSession,
    actor: Actor,
    worker_id: str,
    settings: RunSettings,
    filters: ClaimFilter | None = None,
    *,
    reclaim: bool = True,
) -> Run | None:
    """Give the oldest pending run this worker may take to it, or None when there is none.

    A run is claimable while its agent runs fewer than `max_concurrent_tasks` runs. The server's
    own worker processes (the system actor) take any, within `filters`. A remote worker takes
    runs of workspaces its person is a member of only (of its agent only, for an agent's
    credential), and of the workspaces or agents it names; naming none, only runs its person
    queued, directly or through an agent they own. So nobody who adds a person to a workspace
    sends work to that person's worker. Lapsed leases are reclaimed first unless `reclaim` is
    False (the worker process does that on its own schedule, off the claiming path).
    """
    await workers.ensure_owned(session, actor, worker_id)
    if reclaim:
        await run_leases.reclaim_expired(session, settings)
    filters = filters or ClaimFilter()
    if session.get_bind().dialect.name == "postgresql":
        run = await _claim_postgres(session, actor, worker_id, settings, filters)
    else:
        run = await _claim_sqlite(session, actor, worker_id, settings, filters)
    if run is None:
        return None
    run_changed(
        session,
        run,
        action="claimed",
        event_type=EventType.RUN_PROCESSING,
        actor=actor,
        by_agent=True,
        old_state=RunState.PENDING.value,
        message=f"attempt {run.attempt_count} of {run.max_attempts}",
        details={"attempt": run.attempt_count},
    )
    await session.flush()
    return run


async def claim_run(
    session: AsyncSession, actor: Actor, worker_id: str, run_id: str, settings: RunSettings
) -> Run:
    """Claim one particular run; 409 when it is not pending or its agent is at its limit."""
    workspace_id = await session.scalar(select(Run.workspace_id).where(Run.id == run_id))
    if workspace_id is None:
        raise NotFound("run not found")
    if not actor.is_system:
        await workspace_access(session, actor, workspace_id, Action.RUN_WORK)
    run = await claim(session, actor, worker_id, settings, ClaimFilter(run_id=run_id))
    if run is not None:
        return run
    state = await session.scalar(select(Run.state).where(Run.id == run_id))
    if state is RunState.PENDING:
        raise Conflict("the run's agent is running as many runs as it may", code="agent_busy")
    raise Conflict(
        f"the run is {state.value if state else 'gone'}, not pending", code="not_pending"
    )


# Built once: aliased entities are costly to adapt, and the statements are reused with filters.
_candidate = aliased(Run, name="candidate")
_busy = aliased(Run, name="busy")
_CANDIDATES = (
    select(_candidate.id, _candidate.agent_id)
    .join(Agent, Agent.id == _candidate.agent_id)
    .where(
        _candidate.state == RunState.PENDING,
        select(func.count())
        .where(_busy.agent_id == _candidate.agent_id, _busy.state == RunState.PROCESSING)
        .scalar_subquery()
        < Agent.max_concurrent_tasks,
    )
    .order_by(_candidate.created_at, _candidate.id)
    .limit(1)
)


def _candidates(
    actor: Actor, filters: ClaimFilter, excluded_agents: Sequence[str] = ()
) -> Select[str, str]:
    """Claimable runs, oldest first: pending, their agent below its limit, within reach."""
    conditions: list[ColumnElement[bool]] = []
    if agents := filters.agents:
        conditions.append(_candidate.agent_id.in_(agents))
    if workspaces := filters.workspaces:
        conditions.append(_candidate.workspace_id.in_(workspaces))
    if filters.run_id is not None:
        conditions.append(_candidate.id == filters.run_id)
    if excluded_agents:
        conditions.append(_candidate.agent_id.not_in(list(excluded_agents)))
    if not actor.is_system:
        conditions.append(
            _candidate.workspace_id.in_(
                select(Member.workspace_id).where(Member.user_id == actor.user_id)
            )
        )
        if actor.workspace_id is not None:
            conditions.append(_candidate.workspace_id == actor.workspace_id)
        if actor.is_agent:  # an agent's API key works on that agent's runs only
            conditions.append(_candidate.agent_id == actor.id)
        elif not filters.names_work:
            conditions.append(_queued_by(actor.user_id))
    return _CANDIDATES.where(*conditions) if conditions else _CANDIDATES


def _queued_by(user_id: str) -> ColumnElement[bool]:
    """Runs the person queued themselves, or that an agent they own queued."""
    return or_(
        and_(_candidate.created_by_type == ActorType.USER, _candidate.created_by_id == user_id),
        and_(
            _candidate.created_by_type == ActorType.AGENT,
            _candidate.created_by_id.in_(select(Agent.id).where(Agent.owner_id == user_id)),
        ),
    )


def _claimed_values(session: AsyncSession, worker_id: str, settings: RunSettings) -> dict[str, Any]:
    return {
        "state": RunState.PROCESSING,
        # Counted when it starts, so a run reads "attempt 1" while its first attempt runs and
        # after it completed; a release (the worker shut down) gives the attempt back.
        "attempt_count": Run.attempt_count + 1,
        "worker_id": worker_id,
        "lease_expires_at": database_now(session, settings.lease),
        "started_at": database_now(session),
        "stop_requested": False,
        "stop_requested_at": None,
    }


async def _claim_sqlite(
    session: AsyncSession,
    actor: Actor,
    worker_id: str,
    settings: RunSettings,
    filters: ClaimFilter,
) -> Run | None:
    pick = _candidates(actor, filters).with_only_columns(_candidate.id).scalar_subquery()
    statement = (
        update(Run)
        .where(Run.id == pick)
        .where(Run.state == RunState.PENDING)
        .values(**_claimed_values(session, worker_id, settings))
        .returning(Run)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return await session.scalar(statement)


async def _claim_postgres(
    session: AsyncSession,
    actor: Actor,
    worker_id: str,
    settings: RunSettings,
    filters: ClaimFilter,
) -> Run | None:
    excluded: list[str] = []
    for _ in range(_CLAIM_TRIES):
        pick = _candidates(actor, filters, excluded)
        row = (
            await session.execute(pick.with_for_update(of=_candidate, skip_locked=True))
        ).one_or_none()
        if row is None:
            return None
        # Concurrent claimers see neither each other's locked candidates nor their uncommitted
        # claims. The agent's row serialises them; the UPDATE that follows the lock counts the
        # agent's runs again in a snapshot taken behind it.
        limit = await session.scalar(
            select(Agent.max_concurrent_tasks)
            .where(Agent.id == row.agent_id)
            .with_for_update(key_share=True)
        )
        running = (
            select(func.count())
            .where(_busy.agent_id == row.agent_id, _busy.state == RunState.PROCESSING)
            .scalar_subquery()
        )
        run = await session.scalar(
            update(Run)
            .where(Run.id == row.id, running < (limit or 0))
            .values(**_claimed_values(session, worker_id, settings))
            .returning(Run)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        if run is not None:
            return run
        excluded.append(row.agent_id)
    return None
