"""What a handler gets: the run it works on, and a context to report progress and events and to
learn that it should stop.

An async handler gets a `RunContext` (await its methods); a blocking handler runs in a thread of
its own and gets a `SyncRunContext` with the same methods, which block until the report is
written.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from praisonai_platform.billing import metering as run_usage
from praisonai_platform.billing.settings import BillingSettings, load_billing_settings
from praisonai_platform.core.actors import SYSTEM
from praisonai_platform.core.errors import Conflict, NotFound
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import EventType, Run
from praisonai_platform.runs.reports import service as run_reports
from praisonai_platform.runs.settings import RunSettings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ClaimedRun:
    """A run as its handler sees it: a copy, detached from the database."""

    id: str
    workspace_id: str
    agent_id: str
    issue_id: str | None
    parameters: dict[str, Any]
    attempt: int
    max_attempts: int
    created_at: datetime
    issue_key: str | None = None  # the issue's identifier, e.g. ENG-42

    @classmethod
    def of(cls, run: Run, issue_key: str | None = None) -> ClaimedRun:
        return cls(
            id=run.id,
            workspace_id=run.workspace_id,
            agent_id=run.agent_id,
            issue_id=run.issue_id,
            parameters=copy.deepcopy(run.parameters),
            attempt=run.attempt_count,
            max_attempts=run.max_attempts,
            created_at=run.created_at,
            issue_key=issue_key,
        )


class RunContext:
    """Reports on one run for its handler; each report is its own short transaction."""

    def __init__(
        self,
        run: ClaimedRun,
        worker_id: str,
        settings: RunSettings,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        *,
        billing: BillingSettings | None = None,
    ) -> None:
        """`billing`: the worker's billing settings, read when it started; without them they
        are read here, once for this run."""
        self.run = run
        self.worker_id = worker_id
        self.stop_requested = False  # a member asked to stop the run
        self.lost = False  # the lease lapsed and the run was taken back: it is not ours any more
        self.shutting_down = False  # the worker is stopping; finish soon or be released
        self._settings = settings
        self._billing = billing or load_billing_settings()
        self._sessions = sessions
        self._stop_signal = asyncio.Event()
        self._stop_flag = threading.Event()
        self._abandoned = asyncio.Event()

    @property
    def should_stop(self) -> bool:
        """Stop working and return: a stop was asked for, or the run is no longer ours."""
        return self.stop_requested or self.lost

    async def progress(
        self,
        percentage: float | None = None,
        message: str | None = None,
        *,
        steps_completed: int | None = None,
        steps_total: int | None = None,
        current_step: str | None = None,
    ) -> None:
        """Record progress (it also keeps the lease); invalid values raise ValidationFailed."""
        try:
            async with session_scope(self._sessions) as session:
                run = await run_reports.progress(
                    session,
                    SYSTEM,
                    self.run.id,
                    self.worker_id,
                    self._settings,
                    percentage=percentage,
                    message=message,
                    steps_completed=steps_completed,
                    steps_total=steps_total,
                    current_step=current_step,
                )
        except (Conflict, NotFound):
            self.mark_lost()
            return
        if run.stop_requested:
            self.mark_stop_requested()

    async def event(
        self,
        message: str,
        *,
        event_type: EventType | str = EventType.SYSTEM,
        context: dict[str, Any] | None = None,
    ) -> None:
        """Add a `system` (or `error`) event to the run's log."""
        try:
            async with session_scope(self._sessions) as session:
                await run_reports.add_event(
                    session,
                    SYSTEM,
                    self.run.id,
                    self.worker_id,
                    event_type=EventType(event_type),
                    message=message,
                    context=context,
                )
        except (Conflict, NotFound):
            self.mark_lost()

    async def charge(self, step: str | int, amount: int) -> run_usage.UsageCharge | None:
        """Charge `amount` micro-credits for `step` of the run, once per step however often the
        run is retried. None when the run is no longer ours; InsufficientCredits (402) when the
        payer cannot cover it (the handler decides whether to go on). A charge beyond the run's
        budget fails the run: the result says `budget_exceeded`, and the handler is told to stop
        (`should_stop`), its run no longer being its to finish."""
        try:
            async with session_scope(self._sessions) as session:
                result = await run_usage.charge(
                    session,
                    SYSTEM,
                    self.run.id,
                    self.worker_id,
                    step=step,
                    amount=amount,
                    settings=self._billing,
                )
            if result.budget_exceeded:
                self.mark_lost()
            return result
        except NotFound:
            self.mark_lost()
        except Conflict as error:
            if error.code != "run_not_held":
                raise
            self.mark_lost()
        return None

    async def wait_for_stop(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking early when the run should stop; True if it should."""
        try:
            await asyncio.wait_for(self._stop_signal.wait(), seconds)
        except TimeoutError:
            return self.should_stop
        return True

    def mark_stop_requested(self) -> None:
        self.stop_requested = True
        self._signal_stop()

    def mark_lost(self) -> None:
        self.lost = True
        self._signal_stop()

    def abandon(self) -> None:
        """The worker stops waiting for the handler (shutdown grace is over)."""
        self._abandoned.set()
        self._signal_stop()

    @property
    def abandoned(self) -> bool:
        return self._abandoned.is_set()

    async def wait_abandoned(self) -> None:
        await self._abandoned.wait()

    def _signal_stop(self) -> None:
        self._stop_signal.set()
        self._stop_flag.set()


class SyncRunContext:
    """The same context for a blocking handler running in its own thread."""

    def __init__(self, context: RunContext, loop: asyncio.AbstractEventLoop) -> None:
        self._context = context
        self._loop = loop

    @property
    def run(self) -> ClaimedRun:
        return self._context.run

    @property
    def worker_id(self) -> str:
        return self._context.worker_id

    @property
    def should_stop(self) -> bool:
        return self._context.should_stop

    @property
    def stop_requested(self) -> bool:
        return self._context.stop_requested

    @property
    def lost(self) -> bool:
        return self._context.lost

    @property
    def shutting_down(self) -> bool:
        return self._context.shutting_down

    def progress(
        self,
        percentage: float | None = None,
        message: str | None = None,
        *,
        steps_completed: int | None = None,
        steps_total: int | None = None,
        current_step: str | None = None,
    ) -> None:
        self._call(
            self._context.progress(
                percentage,
                message,
                steps_completed=steps_completed,
                steps_total=steps_total,
                current_step=current_step,
            )
        )

    def event(
        self,
        message: str,
        *,
        event_type: EventType | str = EventType.SYSTEM,
        context: dict[str, Any] | None = None,
    ) -> None:
        self._call(self._context.event(message, event_type=event_type, context=context))

    def charge(self, step: str | int, amount: int) -> run_usage.UsageCharge | None:
        return self._call(self._context.charge(step, amount))

    def wait_for_stop(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking early when the run should stop; True if it should."""
        return self._context._stop_flag.wait(seconds) or self.should_stop

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()
