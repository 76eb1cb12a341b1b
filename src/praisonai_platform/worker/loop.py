"""The worker: registers, heartbeats, claims runs and hands each to the handler, up to
`concurrency` at a time, directly on the shared database (no HTTP, no web framework).

One coroutine claims (so an idle worker asks the queue once per poll, not once per slot, and a
worker with several free slots fills them in one claim), each claimed run gets a task of its
own, completions are written together (worker.completions), and a heartbeat coroutine keeps
their leases, passes stop requests on, and every so often reclaims lapsed leases and purges
expired idempotency keys.
On shutdown: stop claiming, give running handlers the grace period, release what did not
finish, and sign off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from praisonai_platform.billing.settings import BillingSettings, load_billing_settings
from praisonai_platform.core import idempotency as nonces
from praisonai_platform.core.actors import SYSTEM
from praisonai_platform.core.clock import utcnow
from praisonai_platform.core.errors import Conflict, InsufficientCredits, NotFound
from praisonai_platform.core.limits import MAX_HANDLER_ERROR
from praisonai_platform.db import get_engine
from praisonai_platform.db.models import Issue, Run, RunState
from praisonai_platform.runs import leases as run_leases
from praisonai_platform.runs import queue as run_queue
from praisonai_platform.runs.queue import ClaimFilter
from praisonai_platform.runs.reports import service as run_reports
from praisonai_platform.runs.settings import RunSettings, load_run_settings
from praisonai_platform.runs.workers import service as workers
from praisonai_platform.worker.completions import CompletionWriter, Waiting
from praisonai_platform.worker.context import ClaimedRun, RunContext
from praisonai_platform.worker.database import describe
from praisonai_platform.worker.handlers import Handler
from praisonai_platform.worker.invoke import HandlerOutcome, invoke
from praisonai_platform.worker.logs import logger, run_event
from praisonai_platform.worker.settings import WorkerSettings, load_worker_settings
from praisonai_platform.worker.transactions import in_transaction

T = TypeVar("T")


def default_worker_id() -> str:
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:60].lstrip(".-") or "host"
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class WorkerLoop:
    def __init__(
        self,
        handler: Handler,
        *,
        concurrency: int = 1,
        agent_id: str | None = None,
        worker_id: str | None = None,
        name: str | None = None,
        workspace_ids: Sequence[str] = (),
        run_settings: RunSettings | None = None,
        settings: WorkerSettings | None = None,
        billing: BillingSettings | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.handler = handler
        self.concurrency = concurrency
        self.agent_id = agent_id
        # The operator's worker serves every workspace unless given some.
        self.workspace_ids = tuple(workspace_ids)
        self.worker_id = worker_id or default_worker_id()
        self.name = name or self.worker_id
        self.run_settings = run_settings or load_run_settings()
        self.settings = settings or load_worker_settings()
        self.billing = billing or load_billing_settings()
        self._sessions = sessions
        self._active: dict[str, RunContext] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._hurry = asyncio.Event()
        self._run_ended = asyncio.Event()
        self._completions = CompletionWriter(self.worker_id, self._transaction)
        self.database = ""  # named in every database error it logs; known once it runs

    def request_shutdown(self) -> None:
        """Stop claiming and wind down (SIGTERM). Asked a second time: release at once."""
        if self._stopping.is_set():
            self._hurry.set()
        self._stopping.set()
        for context in self._active.values():
            context.shutting_down = True

    async def run(self) -> None:
        bind = self._sessions.kw.get("bind") if self._sessions is not None else None
        self.database = describe(bind.url if bind is not None else get_engine().url)
        await self._transaction(
            lambda session: run_leases.sign_on(
                session,
                SYSTEM,
                self.worker_id,
                name=self.name,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
                details={
                    "concurrency": self.concurrency,
                    "agent_id": self.agent_id,
                    "workspace_ids": list(self.workspace_ids),
                },
            )
        )
        logger.info(
            "worker %s online (%d slots) on %s",
            self.worker_id,
            self.concurrency,
            self.database,
            extra={"event": "online", "worker_id": self.worker_id, "database": self.database},
        )
        heart_stopped = asyncio.Event()
        heart = asyncio.create_task(self._heartbeat_loop(heart_stopped), name="heartbeat")
        try:
            await self._claim_loop()
            await self._wind_down()
        finally:
            # Never cancelled: a beat cut off inside its transaction could leave SQLite's write
            # lock held by a connection nobody rolls back, and sign-off would wait on it.
            heart_stopped.set()
            await asyncio.gather(heart, return_exceptions=True)
            await self._transaction(lambda s: run_leases.sign_off(s, SYSTEM, self.worker_id))
            logger.info(
                "worker %s offline",
                self.worker_id,
                extra={"event": "offline", "worker_id": self.worker_id},
            )

    # Claiming ----------------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        slots = asyncio.Semaphore(self.concurrency)
        while not self._stopping.is_set():
            if not await self._until(slots.acquire()):
                break
            free = 1
            while free < self.concurrency and not slots.locked():
                await slots.acquire()  # free now: returns at once
                free += 1
            self._run_ended.clear()
            finished = self._completions.take()  # written along with the claim
            try:
                runs = await self._claim_batch(free, finished)
            except Exception:
                runs = []
                self._completions.give_back(finished)
                logger.exception("claiming failed on %s; retrying", self.database)
            for _ in range(free - len(runs)):
                slots.release()
            if not runs:
                # A run of ours that ends may leave its agent room for another: ask again then.
                await self._pause(self.settings.poll_seconds, self._run_ended)
                continue
            for run in runs:
                slot = _Slot(slots)
                task = asyncio.create_task(self._execute(run, slot), name=f"run {run.id}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                task.add_done_callback(slot.free)

    async def _claim_batch(self, limit: int, finished: Waiting) -> list[ClaimedRun]:
        """Claim up to `limit` runs, oldest first, in one transaction that also writes the
        `finished` runs' completions (first, so their agents have room again)."""

        async def claim(
            session: AsyncSession, optimistic: bool
        ) -> tuple[set[str], list[tuple[ClaimedRun, float | None]]]:
            # Their events and audit rows go in with the claim's, in one statement each.
            completed = await self._completions.write(session, finished, history_now=False)
            runs = await run_queue.claim_many(
                session,
                SYSTEM,
                self.worker_id,
                self.run_settings,
                ClaimFilter(agent_id=self.agent_id, workspace_ids=self.workspace_ids),
                limit=limit,
                reclaim=False,  # the heartbeat loop's upkeep does it, off this path
                optimistic=optimistic,
            )
            keys = await _issue_keys(session, runs)
            return completed, [
                (
                    ClaimedRun.of(run, issue_key=keys.get(run.id)),
                    _seconds_between(run.created_at, run.started_at),
                )
                for run in runs
            ]

        try:
            completed, answer = await self._transaction(lambda session: claim(session, True))
        except run_queue.AgentsFilledUp:
            completed, answer = await self._transaction(lambda session: claim(session, False))
        self._completions.settle(finished, completed)
        for claimed, waited in answer:
            # Registered before anyone awaits, so the next heartbeat keeps its lease.
            self._active[claimed.id] = RunContext(
                claimed, self.worker_id, self.run_settings, self._sessions, billing=self.billing
            )
            self._active[claimed.id].shutting_down = self._stopping.is_set()
            self._log_run(
                claimed,
                "claimed",
                f"claimed: attempt {claimed.attempt} of {claimed.max_attempts}, queued for",
                waited,
            )
        return [claimed for claimed, _ in answer]

    # Running a handler -------------------------------------------------------------------------

    async def _execute(self, run: ClaimedRun, slot: _Slot) -> None:
        context = self._active[run.id]
        started = time.monotonic()
        try:
            outcome = await invoke(self.handler, run, context)
            # The handler is done: its slot takes the next run while this one's end is written.
            slot.free()
            await self._finish(run, context, outcome, time.monotonic() - started)
        except Exception:
            logger.exception(
                "run %s [%s]: reporting its end to %s failed; its lease will lapse",
                run.id,
                run.issue_key or "no issue",
                self.database,
            )
        finally:
            self._active.pop(run.id, None)
            self._run_ended.set()

    async def _finish(
        self, run: ClaimedRun, context: RunContext, outcome: HandlerOutcome, duration: float
    ) -> None:
        if outcome.abandoned:
            self._log_run(run, "released", "released: still running at shutdown after", duration)
            return  # sign-off releases it
        if context.lost:
            lost = ": its lease lapsed and another worker has it"
            self._log_run(run, "lost", "lost after", duration, detail=lost)
            return
        try:
            if context.stop_requested:
                await self._report(run_reports.acknowledge_stop, run, result=outcome.result)
                self._log_run(run, "stopped", "stopped as asked after", duration)
            elif isinstance(outcome.error, InsufficientCredits):
                # Retrying would meet the same empty balance: the run ends here.
                await self._failed(
                    run,
                    duration,
                    reason="insufficient_credits",
                    message=outcome.error.detail,
                    retry=False,
                )
            elif outcome.error is not None:
                error = outcome.error
                message = f"{type(error).__name__}: {error}"[:MAX_HANDLER_ERROR]
                await self._failed(run, duration, reason="handler_error", message=message)
            elif outcome.invalid_result is not None:
                await self._failed(
                    run,
                    duration,
                    reason="invalid_result",
                    message=outcome.invalid_result,
                    retry=False,  # the same handler would return the same thing again
                )
            else:
                done = run_reports.completion(run.id, outcome.result)
                if not await self._completions.complete(done):
                    raise Conflict("this worker does not hold the run", code="run_not_held")
                completed = f"completed on attempt {run.attempt} of {run.max_attempts} in"
                self._log_run(run, "completed", completed, duration)
        except (Conflict, NotFound) as exc:
            gone = f": not ours any more ({exc.detail})"
            self._log_run(run, "lost", "lost after", duration, detail=gone)

    async def _failed(
        self, run: ClaimedRun, duration: float, *, reason: str, message: str, retry: bool = True
    ) -> None:
        ended: Run = await self._report(
            run_reports.fail, run, reason=reason, message=message, retry=retry
        )
        again = ended.state is RunState.PENDING
        self._log_run(
            run,
            "retry" if again else "failed",
            f"failed on attempt {run.attempt} of {run.max_attempts} after",
            duration,
            detail=f"{', queued again' if again else ''}: {message}",
            reason=reason,
        )

    async def _report(
        self, report: Callable[..., Awaitable[Any]], run: ClaimedRun, **fields: Any
    ) -> Any:
        return await self._transaction(
            lambda session: report(session, SYSTEM, run.id, self.worker_id, **fields)
        )

    def _log_run(
        self,
        run: ClaimedRun,
        event: str,
        message: str,
        duration: float | None,
        **fields: Any,
    ) -> None:
        level = logging.INFO if event in ("claimed", "completed", "stopped") else logging.WARNING
        run_event(
            event,
            message,
            run_id=run.id,
            issue_key=run.issue_key,
            duration=duration,
            level=level,
            attempt=run.attempt,
            max_attempts=run.max_attempts,
            worker_id=self.worker_id,
            **fields,
        )

    # Heartbeats and upkeep ---------------------------------------------------------------------

    async def _heartbeat_loop(self, stopped: asyncio.Event) -> None:
        last_upkeep = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), self.run_settings.heartbeat_seconds)
            if stopped.is_set():
                return
            try:
                await self._heartbeat()
                if time.monotonic() - last_upkeep >= self.settings.maintenance_seconds:
                    last_upkeep = time.monotonic()
                    self._log_reclaims(*await self._transaction(self._upkeep))
            except Exception:
                logger.exception("heartbeat on %s failed; retrying at the next beat", self.database)

    async def _heartbeat(self) -> None:
        working = list(self._active)
        beat = await self._transaction(
            lambda session: workers.heartbeat(
                session,
                SYSTEM,
                self.worker_id,
                self.run_settings,
                current_run_id=working[-1] if working else None,
                run_ids=working,
            )
        )
        held = {run.id: run for run in beat.runs}
        for run_id in working:
            context = self._active.get(run_id)
            if context is None:
                continue  # finished meanwhile
            if run_id not in held:
                context.mark_lost()
            elif held[run_id].stop_requested and not context.stop_requested:
                logger.info(
                    "run %s [%s]: stop requested",
                    run_id,
                    context.run.issue_key or "no issue",
                    extra={"event": "stop_requested", "run_id": run_id},
                )
                context.mark_stop_requested()

    async def _upkeep(self, session: AsyncSession) -> tuple[list[Run], dict[str, str], int]:
        reclaimed = await run_leases.reclaim_expired(session, self.run_settings)
        purged = await nonces.purge_expired(session)
        return reclaimed, await _issue_keys(session, reclaimed), purged

    def _log_reclaims(self, reclaimed: list[Run], keys: dict[str, str], purged: int) -> None:
        """Logged once committed: a transaction that is retried runs its work again."""
        now = utcnow()
        for run in reclaimed:
            outcome = {
                RunState.PENDING: "queued again",
                RunState.FAILED: "failed, no attempt left",
                RunState.STOPPED: "stopped, as was asked",
            }.get(run.state, run.state.value)
            run_event(
                "reclaimed",
                "reclaimed after",
                run_id=run.id,
                issue_key=keys.get(run.id),
                duration=_seconds_between(run.started_at, now),
                detail=f": its worker stopped heartbeating on attempt {run.attempt_count} of "
                f"{run.max_attempts}; {outcome}",
                level=logging.WARNING,
                attempt=run.attempt_count,
                max_attempts=run.max_attempts,
                worker_id=self.worker_id,
                reason="lease_expired",
                state=run.state.value,
            )
        if purged:
            logger.info("purged %d idempotency keys", purged)

    # Shutting down -----------------------------------------------------------------------------

    async def _wind_down(self) -> None:
        """Give running handlers the grace period (cut short by a second signal), then stop
        waiting for the rest: their runs are released at sign-off."""
        pending: set[asyncio.Task[None]] = set(self._tasks)
        if pending:
            logger.info(
                "waiting up to %.0fs for %d running handlers",
                self.settings.shutdown_grace_seconds,
                len(pending),
            )
        deadline = time.monotonic() + self.settings.shutdown_grace_seconds
        hurry = asyncio.ensure_future(self._hurry.wait())
        while pending and not hurry.done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await asyncio.wait(
                {*pending, hurry}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            pending = {task for task in pending if not task.done()}
        hurry.cancel()
        for context in list(self._active.values()):
            context.abandon()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # Helpers -----------------------------------------------------------------------------------

    async def _transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return await in_transaction(self._sessions, work, database=self.database)

    async def _until(self, waiting: Awaitable[Any]) -> bool:
        """Wait for `waiting` unless shutdown comes first; True if it completed."""
        task = asyncio.ensure_future(waiting)
        stop = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if task.done():
            return not self._stopping.is_set()
        task.cancel()
        return False

    async def _pause(self, seconds: float, wake: asyncio.Event | None = None) -> None:
        """Wait `seconds`, or until shutdown or `wake`, whichever comes first."""
        events = [self._stopping, *([wake] if wake is not None else [])]
        waiting = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waiting, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waiting:
                task.cancel()


class _Slot:
    """One of the worker's `concurrency` slots, held by a run until its handler is done."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self._held = True

    def free(self, *_task: object) -> None:
        if self._held:
            self._held = False
            self._slots.release()


async def _issue_keys(session: AsyncSession, runs: list[Run]) -> dict[str, str]:
    """Run id → its issue's key (ENG-42), for the runs that have an issue."""
    issue_ids = {run.issue_id for run in runs if run.issue_id is not None}
    if not issue_ids:
        return {}
    rows = await session.execute(select(Issue.id, Issue.identifier).where(Issue.id.in_(issue_ids)))
    identifiers: dict[str, str] = {issue_id: key for issue_id, key in rows}
    return {
        run.id: identifiers[run.issue_id]
        for run in runs
        if run.issue_id is not None and run.issue_id in identifiers
    }


def _seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return (end - start).total_seconds()
