"""What the worker holding a run reports on it: heartbeats, progress, events, and the end
(completed, failed, or stopped as asked).

Only the worker that claimed a run may report on it: every report is conditional on
`worker_id` and `state = 'processing'`, so a worker whose lease lapsed and whose run went to
another cannot finish it a second time (409 `run_not_held`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from praisonai_platform.core.actors import Actor
from praisonai_platform.core.clock import database_now, utcnow
from praisonai_platform.core.errors import Conflict, NotFound, ValidationFailed
from praisonai_platform.core.limits import (
    MAX_CURRENT_STEP,
    MAX_EVENT_CONTEXT_BYTES,
    MAX_EVENT_SUMMARY,
    MAX_FAILURE_REASON,
    MAX_PROGRESS,
    MAX_RESULT_BYTES,
    MAX_TEXT,
)
from praisonai_platform.db.models import EventType, Run, RunState
from praisonai_platform.runs import checks as run_values
from praisonai_platform.runs.events import service as events
from praisonai_platform.runs.history import post_agent_comment, run_changed
from praisonai_platform.runs.leases import FRESH_ATTEMPT
from praisonai_platform.runs.settings import RunSettings
from praisonai_platform.runs.workers import service as workers
from praisonai_platform.workspaces.permissions import Action, workspace_access

WORKER_EVENT_TYPES = frozenset({EventType.ERROR, EventType.SYSTEM})
# The table itself: an UPDATE of it takes a list of parameters (one row each) in one statement.
_RUNS = cast(Table, Run.__table__)


async def heartbeat(
    session: AsyncSession, actor: Actor, run_id: str, worker_id: str, settings: RunSettings
) -> Run:
    """Extend the run's lease; the answer says whether a stop was asked for."""
    await authorize_worker(session, actor, run_id, worker_id)
    await workers.note_current_run(session, worker_id, run_id)  # the worker's row first
    return await _update_held(
        session, run_id, worker_id, {"lease_expires_at": database_now(session, settings.lease)}
    )


async def progress(
    session: AsyncSession,
    actor: Actor,
    run_id: str,
    worker_id: str,
    settings: RunSettings,
    *,
    percentage: float | None = None,
    message: str | None = None,
    steps_completed: int | None = None,
    steps_total: int | None = None,
    current_step: str | None = None,
) -> Run:
    """Record progress (and extend the lease: progress is a sign of life). Fields left None keep
    their value. Written as a `run_progress` event, not to the audit trail."""
    values: dict[str, Any] = {"lease_expires_at": database_now(session, settings.lease)}
    if percentage is not None:
        values["progress_percentage"] = run_values.percentage(percentage, "percentage")
    if message is not None:
        values["progress_message"] = run_values.text(message, "message", MAX_TEXT)
    if steps_completed is not None:
        values["steps_completed"] = run_values.count(steps_completed, "steps_completed")
    if steps_total is not None:
        values["steps_total"] = run_values.count(steps_total, "steps_total")
    if current_step is not None:
        values["current_step"] = run_values.text(current_step, "current_step", MAX_CURRENT_STEP)
    await authorize_worker(session, actor, run_id, worker_id)
    run = await _update_held(session, run_id, worker_id, values)
    events.record(
        session,
        EventType.RUN_PROGRESS,
        workspace_id=run.workspace_id,
        run_id=run.id,
        worker_id=worker_id,
        message=run.progress_message,
        context={
            "percentage": run.progress_percentage,
            "steps_completed": run.steps_completed,
            "steps_total": run.steps_total,
            "current_step": run.current_step,
        },
    )
    await session.flush()
    return run


async def add_event(
    session: AsyncSession,
    actor: Actor,
    run_id: str,
    worker_id: str,
    *,
    event_type: EventType = EventType.SYSTEM,
    message: str | None = None,
    context: dict[str, Any] | None = None,
) -> None:
    """An event of the worker's own about the run it holds (`error` or `system`)."""
    if event_type not in WORKER_EVENT_TYPES:
        raise ValidationFailed(
            "event_type: a worker reports `error` or `system` events; the others come with "
            "the changes they describe",
            code="invalid_event_type",
        )
    if message is not None:
        message = run_values.text(message, "message", MAX_TEXT)
    context = run_values.json_object(context or {}, "context", MAX_EVENT_CONTEXT_BYTES)
    await authorize_worker(session, actor, run_id, worker_id)
    run = await lock_held_run(session, run_id, worker_id)
    events.record(
        session,
        event_type,
        workspace_id=run.workspace_id,
        run_id=run.id,
        worker_id=worker_id,
        message=message,
        context=context,
    )
    await session.flush()


@dataclass(frozen=True, slots=True)
class Completion:
    """A run's end as its worker reports it, checked (`completion`) before it is written."""

    run_id: str
    result: dict[str, Any]
    message: str | None = None


def completion(
    run_id: str, result: dict[str, Any] | None = None, message: str | None = None
) -> Completion:
    """Check a completion: `result` must be storable JSON; `message` (or a string
    `result["message"]`) is posted on the run's issue as the agent's comment."""
    result = run_values.json_object(result or {}, "result", MAX_RESULT_BYTES)
    if message is None and isinstance(result.get("message"), str):
        message = result["message"]
    if message is not None:
        message = run_values.text(message, "message", MAX_TEXT)
    return Completion(run_id, result, message)


async def complete(
    session: AsyncSession,
    actor: Actor,
    run_id: str,
    worker_id: str,
    *,
    result: dict[str, Any] | None = None,
    message: str | None = None,
) -> Run:
    """The run is done. `message` (or a string `result["message"]`) is posted on the run's issue
    as the agent's comment."""
    done = completion(run_id, result, message)
    await authorize_worker(session, actor, run_id, worker_id)
    run = await _update_held(
        session,
        run_id,
        worker_id,
        {
            "state": RunState.COMPLETED,
            "result": done.result,
            "progress_percentage": float(MAX_PROGRESS),
            "lease_expires_at": None,
            "finished_at": database_now(session),
        },
    )
    _completed(session, actor, run, done)
    await session.flush()
    return run


async def complete_many(
    session: AsyncSession,
    actor: Actor,
    worker_id: str,
    completions: Sequence[Completion],
    *,
    history_now: bool = True,
) -> list[Run]:
    """Several runs this worker holds are done, written in one transaction (a worker finishing
    many short runs). Runs it no longer holds are left as they are and out of the answer: the
    others complete all the same. With `history_now=False` only the runs are written now, and
    their events and audit rows with the session's next flush (with those of a claim)."""
    by_id = {done.run_id: done for done in completions}
    for run_id in by_id:
        await authorize_worker(session, actor, run_id, worker_id)
    rows = await session.execute(
        select(Run, database_now(session))
        .where(
            Run.id.in_(list(by_id)), Run.worker_id == worker_id, Run.state == RunState.PROCESSING
        )
        .order_by(Run.id)
        .with_for_update(of=Run)
        .execution_options(populate_existing=True)
    )
    held = list(rows)
    if not held:
        return []
    ended = {
        "state": RunState.COMPLETED,
        "progress_percentage": float(MAX_PROGRESS),
        "lease_expires_at": None,
    }
    # One statement for them all, each with its own result.
    await session.execute(
        update(_RUNS)
        .where(_RUNS.c.id == bindparam("run_id"))
        .values(result=bindparam("run_result"), finished_at=bindparam("run_finished"), **ended),
        [
            {"run_id": run.id, "run_result": by_id[run.id].result, "run_finished": now}
            for run, now in held
        ],
    )
    runs: list[Run] = []
    for run, now in held:
        done = by_id[run.id]
        # What was written, as the loaded run's state (nothing left for the flush to write).
        for name, value in {**ended, "result": done.result, "finished_at": now}.items():
            set_committed_value(run, name, value)
        _completed(session, actor, run, done)
        runs.append(run)
    if history_now:
        await session.flush()
    return runs


def _completed(session: AsyncSession, actor: Actor, run: Run, done: Completion) -> None:
    run_changed(
        session,
        run,
        action="completed",
        event_type=EventType.RUN_COMPLETED,
        actor=actor,
        by_agent=True,
        old_state=RunState.PROCESSING.value,
        message=done.message[:MAX_EVENT_SUMMARY] if done.message else "completed",
        details={"attempt": run.attempt_count},
    )
    if done.message:
        post_agent_comment(session, run, done.message)


async def fail(
    session: AsyncSession,
    actor: Actor,
    run_id: str,
    worker_id: str,
    *,
    reason: str = "error",
    message: str | None = None,
    retry: bool = True,
) -> Run:
    """This attempt failed: the run is queued again while attempts remain (and `retry`, and no
    stop was asked for), else it ends `failed`."""
    reason = run_values.text(reason, "reason", MAX_FAILURE_REASON) or "error"
    if message is not None:
        message = run_values.text(message, "message", MAX_TEXT)
    await authorize_worker(session, actor, run_id, worker_id)
    run = await lock_held_run(session, run_id, worker_id)
    return await end_attempt(
        session, actor, run, worker_id, reason=reason, message=message, retry=retry
    )


async def end_attempt(
    session: AsyncSession,
    actor: Actor,
    run: Run,
    worker_id: str,
    *,
    reason: str,
    message: str | None,
    retry: bool,
) -> Run:
    """End the attempt of a run this worker holds (locked by `lock_held_run`) as failed: queued
    again while attempts remain and `retry`, else failed for good."""
    # Counted when it was claimed; at least this one (a run claimed before claims counted).
    attempts = max(run.attempt_count, 1)
    again = retry and not run.stop_requested and attempts < run.max_attempts
    run.attempt_count = attempts
    run.failure_reason, run.failure_message = reason, message
    run.worker_id, run.lease_expires_at = None, None
    if again:
        run.state = RunState.PENDING
        for name, value in FRESH_ATTEMPT.items():
            setattr(run, name, value)
    else:
        run.state = RunState.FAILED
        run.finished_at = utcnow()
    run_changed(
        session,
        run,
        action="retried" if again else "failed",
        event_type=EventType.RUN_PENDING if again else EventType.RUN_FAILED,
        actor=actor,
        by_agent=True,
        old_state=RunState.PROCESSING.value,
        message=f"attempt {attempts} of {run.max_attempts} failed: {reason}",
        details={"reason": reason, "attempt_count": attempts, "retry": again},
        worker_id=worker_id,
    )
    await session.flush()
    return run


async def acknowledge_stop(
    session: AsyncSession,
    actor: Actor,
    run_id: str,
    worker_id: str,
    *,
    message: str | None = None,
    result: dict[str, Any] | None = None,
) -> Run:
    """The worker stopped working on the run (as asked): it ends `stopped`, keeping whatever
    partial `result` the worker had."""
    if message is not None:
        message = run_values.text(message, "message", MAX_TEXT)
    partial = (
        run_values.json_object(result, "result", MAX_RESULT_BYTES) if result is not None else None
    )
    await authorize_worker(session, actor, run_id, worker_id)
    run = await _update_held(
        session,
        run_id,
        worker_id,
        {
            "state": RunState.STOPPED,
            "lease_expires_at": None,
            "finished_at": database_now(session),
            **({"result": partial} if partial is not None else {}),
        },
    )
    run_changed(
        session,
        run,
        action="stopped",
        event_type=EventType.RUN_STOPPED,
        actor=actor,
        by_agent=True,
        old_state=RunState.PROCESSING.value,
        message=message or "stopped as asked",
    )
    await session.flush()
    return run


async def authorize_worker(
    session: AsyncSession, actor: Actor, run_id: str, worker_id: str
) -> None:
    """A remote worker reports only on runs of its person's workspaces, as a worker it owns.
    The server's own worker processes (the system actor) work on the shared database directly."""
    if actor.is_system:
        return
    workspace_id = await session.scalar(select(Run.workspace_id).where(Run.id == run_id))
    if workspace_id is None:
        raise NotFound("run not found")
    await workspace_access(session, actor, workspace_id, Action.RUN_WORK)
    await workers.ensure_owned(session, actor, worker_id)


async def _update_held(
    session: AsyncSession, run_id: str, worker_id: str, values: dict[str, Any]
) -> Run:
    run = await session.scalar(
        update(Run)
        .where(Run.id == run_id, Run.worker_id == worker_id, Run.state == RunState.PROCESSING)
        .values(**values)
        .returning(Run)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if run is None:
        await _not_held(session, run_id)
    return run


async def lock_held_run(session: AsyncSession, run_id: str, worker_id: str) -> Run:
    run = await session.scalar(
        select(Run)
        .where(Run.id == run_id, Run.worker_id == worker_id, Run.state == RunState.PROCESSING)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if run is None:
        await _not_held(session, run_id)
    return run


async def _not_held(session: AsyncSession, run_id: str) -> NoReturn:
    state = await session.scalar(select(Run.state).where(Run.id == run_id))
    if state is None:
        raise NotFound("run not found")
    raise Conflict(f"this worker does not hold the run (it is {state.value})", code="run_not_held")
