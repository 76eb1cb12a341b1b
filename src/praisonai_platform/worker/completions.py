"""Writing the ends of many short runs together.

A finished run waits until its completion is written. The claim loop takes the completions
waiting when it claims and writes them in its claim's transaction (one transaction per round
of runs instead of two); those it does not take, a writer of their own writes, every
completion that came in meanwhile in one transaction (a group commit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.actors import SYSTEM
from praisonai_platform.runs.reports import service as run_reports
from praisonai_platform.runs.reports.service import Completion

Transaction = Callable[[Callable[[AsyncSession], Awaitable[set[str]]]], Awaitable[set[str]]]
Waiting = list[tuple[Completion, "asyncio.Future[bool]"]]

# One transaction takes at most this many; the rest wait for the next.
BATCH = 100
# How many turns of the event loop the writer leaves the claim loop to take the completions
# along: it is woken by the slot the same run freed, a few steps behind.
_CLAIM_LOOP_TURNS = 5


class CompletionWriter:
    def __init__(self, worker_id: str, transaction: Transaction) -> None:
        self._worker_id = worker_id
        self._transaction = transaction
        self._waiting: Waiting = []
        self._writer: asyncio.Task[None] | None = None

    async def complete(self, done: Completion) -> bool:
        """Write that the run is done; False when the worker no longer holds it."""
        written: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((done, written))
        self._start()
        return await written

    def take(self) -> Waiting:
        """The completions waiting, for the caller to write in its own transaction (`write`),
        then `settle`, or `give_back` if that transaction failed."""
        batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
        return batch

    async def write(
        self, session: AsyncSession, batch: Waiting, *, history_now: bool = True
    ) -> set[str]:
        """Write `batch` in the session's transaction; the ids of the runs completed.
        `history_now`: as run_reports.complete_many."""
        if not batch:
            return set()
        runs = await run_reports.complete_many(
            session, SYSTEM, self._worker_id, [done for done, _ in batch], history_now=history_now
        )
        return {run.id for run in runs}

    def settle(self, batch: Waiting, completed: set[str]) -> None:
        """The transaction that wrote `batch` committed."""
        for done, written in batch:
            _answer(written, done.run_id in completed)

    def give_back(self, batch: Waiting) -> None:
        self._waiting[:0] = batch
        if batch:
            self._start()

    def _start(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="completions")

    async def _write_all(self) -> None:
        for _ in range(_CLAIM_LOOP_TURNS):
            await asyncio.sleep(0)
        while self._waiting:
            batch = self.take()
            try:
                await self._settle(batch)
            except Exception:
                # One run's write failed the batch: write each alone, so only that one fails.
                for one in batch:
                    try:
                        await self._settle([one])
                    except Exception as exc:
                        _answer(one[1], exc)

    async def _settle(self, batch: Waiting) -> None:
        completed = await self._transaction(lambda session: self.write(session, batch))
        self.settle(batch, completed)


def _answer(written: asyncio.Future[bool], outcome: bool | BaseException) -> None:
    if written.done():  # its run's task was cancelled meanwhile
        return
    if isinstance(outcome, BaseException):
        written.set_exception(outcome)
    else:
        written.set_result(outcome)
