"""Claiming: each pending run goes to exactly one worker, oldest first, within its agent's limit.

A claim takes up to as many runs as the worker has free slots, in one transaction: pick the
oldest pending runs of agents below their limit, count how many more each of their agents may
run, and mark that many claimed with one `UPDATE … RETURNING`. PostgreSQL: the candidates are
locked with FOR UPDATE SKIP LOCKED (concurrent claimers take different runs, nobody waits on a
row another is taking) and their agents' rows serialise the counting. SQLite: every writing
transaction begins IMMEDIATE, so the claim is exclusive.

Lock order, so that no two transactions wait on each other: a worker's row before any run row
(heartbeat, sign-on, sign-off); a run row before its agent's row (claim); reports on a run lock
that run only. Leases (reclaiming, releasing) are in run_leases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from praisonai_platform.core.actors import Actor
from praisonai_platform.core.clock import database_now
from praisonai_platform.core.errors import Conflict, NotFound
from praisonai_platform.db.models import ActorType, Agent, EventType, Member, Run, RunState
from praisonai_platform.runs import leases as run_leases
from praisonai_platform.runs.history import run_changed
from praisonai_platform.runs.settings import RunSettings
from praisonai_platform.runs.workers import service as workers
from praisonai_platform.workspaces.permissions import Action, workspace_access

# Candidates of an agent that filled up meanwhile are passed over; look again this many times.
_CLAIM_TRIES = 5


class AgentsFilledUp(Exception):
    """An optimistic claim took more runs of an agent than it may run: roll back, claim again."""


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
    runs = await claim_many(session, actor, worker_id, settings, filters, limit=1, reclaim=reclaim)
    return runs[0] if runs else None


async def claim_many(
    session: AsyncSession,
    actor: Actor,
    worker_id: str,
    settings: RunSettings,
    filters: ClaimFilter | None = None,
    *,
    limit: int,
    reclaim: bool = True,
    optimistic: bool = False,
) -> list[Run]:
    """Give up to `limit` of the oldest pending runs this worker may take to it, oldest first,
    as `claim` does for one: a worker with several free slots fills them in one transaction.

    `optimistic` (PostgreSQL): lock the agents only once the runs are claimed, for the shortest
    time; when an agent turned out to be past its limit (other workers took its last places
    meanwhile) this raises AgentsFilledUp, and the caller rolls back and claims again without.
    """
    await workers.ensure_owned(session, actor, worker_id)
    if reclaim:
        await run_leases.reclaim_expired(session, settings)
    filters = filters or ClaimFilter()
    if session.get_bind().dialect.name != "postgresql":
        # BEGIN IMMEDIATE holds every other writer off: the counts cannot change meanwhile.
        return await _claim(session, actor, worker_id, settings, filters, limit)
    # PostgreSQL: concurrent claimers see neither each other's locked candidates nor their
    # uncommitted claims, so their agents' rows serialise the counting. That lock is held until
    # commit: claimers of one agent queue behind it.
    if not optimistic:
        return await _claim(session, actor, worker_id, settings, filters, limit, lock_agents=True)
    # Claim on the counts as committed, then lock the agents and count again, this
    # transaction's claims included; the lock is held for that count and the commit only.
    claimed = await _claim(session, actor, worker_id, settings, filters, limit)
    if not await _within_limits(session, sorted({run.agent_id for run in claimed})):
        raise AgentsFilledUp
    return claimed


async def _claim(
    session: AsyncSession,
    actor: Actor,
    worker_id: str,
    settings: RunSettings,
    filters: ClaimFilter,
    limit: int,
    *,
    lock_agents: bool = False,
) -> list[Run]:
    postgres = session.get_bind().dialect.name == "postgresql"
    claimed: list[Run] = []
    full: list[str] = []  # agents found at their limit: their runs are passed over
    locked: set[str] = set()
    for _ in range(_CLAIM_TRIES):
        wanted = limit - len(claimed)
        candidates = _candidates(actor, filters, full).limit(wanted)
        if postgres:
            # Concurrent claimers skip each other's candidates instead of waiting on them.
            candidates = candidates.with_for_update(of=_candidate, skip_locked=True)
        rows = (await session.execute(candidates)).all()
        if not rows:
            break
        agent_ids = sorted({row.agent_id for row in rows})
        if lock_agents:
            new = [agent_id for agent_id in agent_ids if agent_id not in locked]
            # Only the first round waits for the agents' locks (in id order). A later round
            # already holds some: waiting then could close a cycle with a claimer holding the
            # others, so agents another claimer holds are passed over this time instead.
            got = await _lock(session, new, wait=not locked)
            locked.update(got)
            busy = [agent_id for agent_id in new if agent_id not in got]
            full.extend(busy)
            agent_ids = [agent_id for agent_id in agent_ids if agent_id in locked]
        room = await _room(session, agent_ids)
        chosen: list[str] = []
        for run_id, agent_id in rows:
            if room.get(agent_id, 0) > 0:
                room[agent_id] -= 1
                chosen.append(run_id)
            elif agent_id not in full:
                full.append(agent_id)
        claimed += await _take(session, chosen, worker_id, settings)
        if len(claimed) >= limit or (len(rows) < wanted and len(chosen) == len(rows)):
            break  # enough, or the queue has no more
    for run in claimed:
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
    if claimed:
        await session.flush()
    return claimed


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
# Agents running as many runs as they may. Computed once per claim from the running runs (few:
# as many as workers have slots), not once per pending run, which would make a claim's cost grow
# with the length of the queue.
_FULL_AGENTS = (
    select(_busy.agent_id)
    .join(Agent, Agent.id == _busy.agent_id)
    .where(_busy.state == RunState.PROCESSING)
    .group_by(_busy.agent_id, Agent.max_concurrent_tasks)
    .having(func.count() >= Agent.max_concurrent_tasks)
)
_CANDIDATES = (
    select(_candidate.id, _candidate.agent_id)
    .where(_candidate.state == RunState.PENDING, _candidate.agent_id.not_in(_FULL_AGENTS))
    .order_by(_candidate.created_at, _candidate.id)
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


async def _lock(session: AsyncSession, agent_ids: list[str], *, wait: bool = True) -> set[str]:
    """Lock the agents' rows, in id order so that claimers never wait on each other in a cycle;
    a count taken after this, in a statement of its own, sees every other claim of theirs.
    With `wait=False` the rows other transactions hold are skipped. Returns the ids locked."""
    if not agent_ids:
        return set()
    statement = _LOCK_AGENTS if wait else _LOCK_FREE_AGENTS
    return set(await session.scalars(statement, {"agent_ids": agent_ids}))


# The statements below run in every claim: built once, their values travel as parameters.
_AGENT_IDS: BindParameter[str] = bindparam("agent_ids", expanding=True)
# FOR NO KEY UPDATE: inserting runs still goes on.
_LOCK_AGENTS = (
    select(Agent.id)
    .where(Agent.id.in_(_AGENT_IDS))
    .order_by(Agent.id)
    .with_for_update(key_share=True)
)
_LOCK_FREE_AGENTS = _LOCK_AGENTS.with_for_update(key_share=True, skip_locked=True)
_RUNNING: ScalarSelect[int] = (
    select(func.count())
    .where(_busy.agent_id == Agent.id, _busy.state == RunState.PROCESSING)
    .scalar_subquery()
)
_ROOM = select(Agent.id, Agent.max_concurrent_tasks - _RUNNING).where(Agent.id.in_(_AGENT_IDS))
_OVER_LIMIT = (
    select(Agent.id).where(Agent.id.in_(_AGENT_IDS), Agent.max_concurrent_tasks < _RUNNING).limit(1)
)


async def _room(session: AsyncSession, agent_ids: list[str]) -> dict[str, int]:
    """How many more runs each agent may run now."""
    rows = await session.execute(_ROOM, {"agent_ids": agent_ids})
    return {agent_id: room for agent_id, room in rows}


async def _within_limits(session: AsyncSession, agent_ids: list[str]) -> bool:
    """Whether no agent runs more than it may, with this transaction's claims counted."""
    if not agent_ids:
        return True
    await _lock(session, agent_ids)
    return await session.scalar(_OVER_LIMIT, {"agent_ids": agent_ids}) is None


async def _take(
    session: AsyncSession, run_ids: list[str], worker_id: str, settings: RunSettings
) -> list[Run]:
    """Mark the chosen runs claimed by the worker; in the order chosen (oldest first)."""
    if not run_ids:
        return []
    taken = await session.scalars(
        update(Run)
        .where(Run.id.in_(run_ids), Run.state == RunState.PENDING)
        .values(
            state=RunState.PROCESSING,
            # Counted when it starts, so a run reads "attempt 1" while its first attempt runs
            # and after it completed; a release (the worker shut down) gives the attempt back.
            attempt_count=Run.attempt_count + 1,
            worker_id=worker_id,
            lease_expires_at=database_now(session, settings.lease),
            started_at=database_now(session),
            stop_requested=False,
            stop_requested_at=None,
        )
        .returning(Run)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    by_id = {run.id: run for run in taken}
    return [by_id[run_id] for run_id in run_ids if run_id in by_id]
