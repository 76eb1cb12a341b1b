"""A handler that shows the contract: `praisonai-platform worker --handler
praisonai_platform.worker.example_handler:handle`.

A handler is `def handler(run, context)` or `async def handler(run, context)`:
- `run` is the claimed run: id, workspace_id, agent_id, issue_id, parameters, attempt,
  max_attempts. `parameters` is whatever the run was created with: data for the agent.
- `context.progress(percentage, message, steps_completed=, steps_total=, current_step=)` records
  progress (and keeps the lease); `context.event(message, event_type="system" | "error",
  context={...})` adds to the run's event log.
- `context.should_stop` turns true when a member asked to stop the run (or the run was taken
  back); return soon after. `context.wait_for_stop(seconds)` sleeps, waking early for a stop.
- The return value becomes the run's result: a dict (anything else is kept as {"value": ...}).
  A string "message" in it is posted on the run's issue as the agent's comment.
- Raising fails the attempt: the run is queued again until its attempts are used up.
"""

from __future__ import annotations

from typing import Any

from praisonai_platform.worker.context import ClaimedRun, SyncRunContext


def handle(run: ClaimedRun, context: SyncRunContext) -> dict[str, Any]:
    """Pretend to work through `parameters["steps"]` steps (default 3) of `parameters["seconds"]`
    each (default 1)."""
    steps = _bounded(run.parameters.get("steps"), default=3, low=1, high=100)
    seconds = _bounded(run.parameters.get("seconds"), default=1, low=0, high=3600)
    for step in range(1, steps + 1):
        if context.wait_for_stop(seconds):
            return {"message": f"Stopped after {step - 1} of {steps} steps.", "steps": step - 1}
        context.progress(
            100 * step / steps,
            f"step {step} of {steps}",
            steps_completed=step,
            steps_total=steps,
            current_step=f"step {step}",
        )
    context.event("all steps done", context={"steps": steps, "attempt": run.attempt})
    return {"message": f"Done: {steps} steps on attempt {run.attempt}.", "steps": steps}


def _bounded(value: Any, *, default: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(min(max(value, low), high))
