"""Calling a handler: async ones on the event loop, blocking ones in a thread of their own; the
worker may stop waiting for either (shutdown), and a result must be storable JSON."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.core.limits import MAX_RESULT_BYTES
from praisonai_platform.runs import checks as run_values
from praisonai_platform.worker.context import ClaimedRun, RunContext, SyncRunContext
from praisonai_platform.worker.handlers import Handler, is_async
from praisonai_platform.worker.threads import run_in_daemon_thread


@dataclass(frozen=True, slots=True)
class HandlerOutcome:
    """How a handler call ended: a result, an error, or abandoned (still running at shutdown)."""

    result: dict[str, Any] | None = None
    error: BaseException | None = None
    invalid_result: str | None = None
    abandoned: bool = False


async def invoke(handler: Handler, run: ClaimedRun, context: RunContext) -> HandlerOutcome:
    running: asyncio.Future[Any]
    if is_async(handler):
        running = asyncio.ensure_future(handler(run, context))
    else:
        sync_context = SyncRunContext(context, asyncio.get_running_loop())
        running = run_in_daemon_thread(handler, run, sync_context, name=f"run-{run.id}")
    abandoned = asyncio.ensure_future(context.wait_abandoned())
    await asyncio.wait({running, abandoned}, return_when=asyncio.FIRST_COMPLETED)
    if not running.done():
        running.cancel()
        return HandlerOutcome(abandoned=True)
    abandoned.cancel()
    if running.cancelled():
        return HandlerOutcome(error=asyncio.CancelledError("the handler was cancelled"))
    if running.exception() is not None:
        return HandlerOutcome(error=running.exception())
    value = running.result()
    if asyncio.iscoroutine(value):  # a plain function that returned a coroutine
        try:
            value = await value
        except Exception as exc:
            return HandlerOutcome(error=exc)
    return _result(value)


def _result(value: Any) -> HandlerOutcome:
    """A dict is the result; None is {}; anything else is kept as {"value": …}."""
    if value is None:
        value = {}
    elif not isinstance(value, dict):
        value = {"value": value}
    try:
        return HandlerOutcome(result=run_values.json_object(value, "result", MAX_RESULT_BYTES))
    except ValidationFailed as exc:
        return HandlerOutcome(invalid_result=exc.detail)
