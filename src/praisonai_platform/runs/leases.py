"""Leases: a claimed run is held while its worker heartbeats. A run whose lease lapsed is taken
back; a worker that stops (or restarts) gives back what it holds.

Lock order as in run_queue: a worker's row before any run row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.actors import SYSTEM, Actor
from praisonai_platform.core.clock import database_now, utcnow
from praisonai_platform.db.models import EventType, Run, RunState, Worker
from praisonai_platform.runs.history import run_changed
from praisonai_platform.runs.settings import RunSettings
from praisonai_platform.runs.workers import service as workers

RECLAIM_BATCH = 100
# What a run starts each attempt from.
FRESH_ATTEMPT: dict[str, Any] = {
    "progress_percentage": 0.0,
    "progress_message": None,
    "steps_completed": 0,
    "steps_total": None,
    "current_step": None,
}


async def reclaim_expired(session: AsyncSession, settings: RunSettings) -> list[Run]:
    """Take back runs whose worker stopped heartbeating: pending again (the lapsed attempt stays
    counted), or failed (`lease_expired`) when that was the last attempt, or stopped when a stop
    had been asked for."""
    statement = (
        select(Run)
        .where(Run.state == RunState.PROCESSING, Run.lease_expires_at < database_now(session))
        .order_by(Run.lease_expires_at, Run.id)
        .limit(RECLAIM_BATCH)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    expired = list((await session.scalars(statement)).all())
    for run in expired:
        _take_back(session, run)
    if expired:
        await session.flush()
    return expired


async def release(
    session: AsyncSession, actor: Actor, worker_id: str, run_ids: Sequence[str] | None = None
) -> list[Run]:
    """A worker gives runs back unfinished (it is shutting down): pending again, the attempt given
    back (not counted against the run). Without `run_ids`, every run the worker holds."""
    await workers.ensure_owned(session, actor, worker_id)
    statement = (
        select(Run)
        .where(Run.worker_id == worker_id, Run.state == RunState.PROCESSING)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if run_ids is not None:
        statement = statement.where(Run.id.in_(list(run_ids)))
    held = list((await session.scalars(statement)).all())
    for run in held:
        stopping = run.stop_requested
        _set(run, worker_id=None, lease_expires_at=None)
        if stopping:
            _set(run, state=RunState.STOPPED, finished_at=utcnow())
        else:
            attempts = max(run.attempt_count - 1, 0)  # the claim counted it; give it back
            _set(run, state=RunState.PENDING, attempt_count=attempts, **FRESH_ATTEMPT)
        run_changed(
            session,
            run,
            action="stopped" if stopping else "released",
            event_type=EventType.RUN_STOPPED if stopping else EventType.RUN_PENDING,
            actor=actor,
            by_agent=True,
            old_state=RunState.PROCESSING.value,
            message="worker shut down before the run finished",
            details={"reason": "worker_shutdown"},
            worker_id=worker_id,
        )
    if held:
        await session.flush()
    return held


async def sign_on(
    session: AsyncSession, actor: Actor, worker_id: str | None = None, **fields: Any
) -> Worker:
    """Register a worker. A worker that registers again under its id has restarted: whatever it
    held before works no more, so it goes back to the queue at once."""
    worker = await workers.register(session, actor, worker_id=worker_id, **fields)
    await release(session, actor, worker.id)
    return worker


async def sign_off(session: AsyncSession, actor: Actor, worker_id: str) -> Worker:
    """The worker stops: it is listed offline, and what it still holds goes back to the queue."""
    worker = await workers.go_offline(session, actor, worker_id)
    await release(session, actor, worker_id)
    return worker


def _take_back(session: AsyncSession, run: Run) -> None:
    worker_id = run.worker_id
    # Counted when it was claimed; at least this one (a run claimed before claims counted).
    attempts = max(run.attempt_count, 1)
    _set(run, attempt_count=attempts, worker_id=None, lease_expires_at=None)
    if run.stop_requested:
        _set(run, state=RunState.STOPPED, finished_at=utcnow())
        event_type, action = EventType.RUN_STOPPED, "stopped"
        message = "stopped: its worker went away before acknowledging the stop"
    elif attempts >= run.max_attempts:
        _set(
            run,
            state=RunState.FAILED,
            finished_at=utcnow(),
            failure_reason="lease_expired",
            failure_message=(
                f"the worker stopped heartbeating and the lease expired; "
                f"attempt {attempts} of {run.max_attempts} was the last"
            ),
        )
        event_type, action, message = EventType.RUN_FAILED, "failed", "lease expired, no retry left"
    else:
        _set(run, state=RunState.PENDING, **FRESH_ATTEMPT)
        event_type, action = EventType.RUN_RECLAIMED, "reclaimed"
        message = f"lease expired on attempt {attempts} of {run.max_attempts}; queued again"
    run_changed(
        session,
        run,
        action=action,
        event_type=event_type,
        actor=SYSTEM,
        old_state=RunState.PROCESSING.value,
        message=message,
        details={"reason": "lease_expired", "attempt_count": attempts},
        worker_id=worker_id,
    )


def _set(run: Run, **values: Any) -> None:
    for name, value in values.items():
        setattr(run, name, value)
