"""client.workers: the workers you run, and the protocol a remote worker speaks.

People list and look at workers. A worker process of your own signs on (`register`), claims
runs, reports on each (progress, events, usage, then complete, fail or stopped), heartbeats
while it holds runs, and signs off (`offline`). Every report names the worker; only the worker
holding a run may report on it (Conflict, code `run_not_held`, otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import BaseModel

from praisonai_platform.client.calls import (
    UNSET,
    Call,
    Unset,
    api_path,
    body,
    changes,
    idempotency,
    read_model,
    read_nothing,
)
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.runs.schemas import RunResponse, RunUsageResponse
from praisonai_platform.runs.workers.schemas import HeartbeatResponse, WorkerResponse


class Workers(Resource[R]):
    @endpoint
    def list(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[WorkerResponse]]:
        """Your workers (administrators: every worker), newest first. `status` is online
        (heartbeating), stale (silent too long) or offline (signed off)."""
        return requests.listing(
            api_path("workers"),
            WorkerResponse,
            status=status,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    @endpoint
    def get(self, worker_id: str) -> Call[WorkerResponse]:
        """A worker with its status and the run it is on."""
        return requests.get(api_path("workers", worker_id), WorkerResponse)

    @endpoint
    def register(
        self,
        *,
        worker_id: str | None = None,
        name: str | None = None,
        host: str | None = None,
        pid: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> Call[WorkerResponse]:
        """Sign a worker on (its id is generated unless given); it belongs to you. Registering
        yours again means it restarted: the runs it held go back to the queue."""
        json = body(id=worker_id, name=name, host=host, pid=pid, details=details)
        return requests.create(api_path("workers", "register"), WorkerResponse, json)

    @endpoint
    def heartbeat(
        self,
        worker_id: str,
        *,
        current_run_id: str | Unset | None = UNSET,
        run_ids: Sequence[str] | None = None,
    ) -> Call[HeartbeatResponse]:
        """The worker is alive: extends the leases of the runs it holds (or of `run_ids` among
        them) and lists them with whether a stop was asked for. A run missing from the answer
        is no longer the worker's."""
        json = {
            **changes(current_run_id=current_run_id),
            **body(run_ids=None if run_ids is None else [str(run) for run in run_ids]),
        }
        path = api_path("workers", worker_id, "heartbeat")
        return requests.create(path, HeartbeatResponse, json)

    @endpoint
    def claim(
        self,
        worker_id: str,
        *,
        agent_id: str | None = None,
        workspace_id: str | None = None,
        workspace_ids: Sequence[str] | None = None,
        agent_ids: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Call[RunResponse | None]:
        """Take the oldest pending run the worker may work on, or None when there is none:
        of the named workspaces and agents, or, naming none, a run you queued yourself (or an
        agent you own did). With an `idempotency_key`, a repeated claim gets the same run
        rather than a second one."""
        json = body(
            agent_id=agent_id,
            workspace_id=workspace_id,
            workspace_ids=None if workspace_ids is None else [str(w) for w in workspace_ids],
            agent_ids=None if agent_ids is None else [str(a) for a in agent_ids],
        )
        path = api_path("workers", worker_id, "claim")
        return Call("POST", path, _read_claimed, json=json, headers=idempotency(idempotency_key))

    @endpoint
    def offline(self, worker_id: str) -> Call[WorkerResponse]:
        """Sign the worker off: the runs it holds go back to the queue (stopped, if a stop was
        asked for)."""
        return Call("POST", api_path("workers", worker_id, "offline"), read_model(WorkerResponse))

    @endpoint
    def claim_run(self, run_id: str, worker_id: str) -> Call[RunResponse]:
        """Take this pending run; Conflict if it is not pending or its agent is at its limit."""
        return _report(run_id, "claim", worker_id, {})

    @endpoint
    def heartbeat_run(self, run_id: str, worker_id: str) -> Call[RunResponse]:
        """Extend the lease on a run; `stop_requested` in the answer says whether to stop."""
        return _report(run_id, "heartbeat", worker_id, {})

    @endpoint
    def progress(
        self,
        run_id: str,
        worker_id: str,
        *,
        percentage: float | None = None,
        message: str | None = None,
        steps_completed: int | None = None,
        steps_total: int | None = None,
        current_step: str | None = None,
    ) -> Call[RunResponse]:
        """Report progress (fields left out keep their value); extends the lease too."""
        json = body(
            percentage=percentage,
            message=message,
            steps_completed=steps_completed,
            steps_total=steps_total,
            current_step=current_step,
        )
        return _report(run_id, "progress", worker_id, json)

    @endpoint
    def add_event(
        self,
        run_id: str,
        worker_id: str,
        message: str | None = None,
        *,
        event_type: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> Call[None]:
        """Add a `system` (default) or `error` event to the run's log."""
        json = {"worker_id": worker_id, **body(event_type=event_type, message=message)}
        json.update(body(context=context))
        return Call("POST", api_path("runs", run_id, "events"), read_nothing, json=json)

    @endpoint
    def report_usage(
        self, run_id: str, worker_id: str, step: str | int, amount: int
    ) -> Call[RunUsageResponse]:
        """What a step of the run cost, in micro-credits; each step is charged once to whoever
        queued the run (PlatformError with status 402 when their balance does not cover it)."""
        json = {"step": step, "amount": amount}
        return _report(run_id, "usage", worker_id, json, RunUsageResponse)

    @endpoint
    def complete(
        self,
        run_id: str,
        worker_id: str,
        *,
        result: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> Call[RunResponse]:
        """The run is done; `message` (default: `result["message"]`) is posted on its issue as
        the agent's comment."""
        return _report(run_id, "complete", worker_id, body(result=result, message=message))

    @endpoint
    def fail(
        self,
        run_id: str,
        worker_id: str,
        *,
        reason: str | None = None,
        message: str | None = None,
        retry: bool | None = None,
    ) -> Call[RunResponse]:
        """This attempt failed: the run is queued again while attempts remain (unless
        `retry=False`), else it ends failed."""
        json = body(reason=reason, message=message, retry=retry)
        return _report(run_id, "fail", worker_id, json)

    @endpoint
    def stopped(
        self,
        run_id: str,
        worker_id: str,
        *,
        message: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> Call[RunResponse]:
        """The worker stopped the run after a stop request; it ends `stopped`. `result` is what
        was done before stopping."""
        return _report(run_id, "stopped", worker_id, body(message=message, result=result))

    iter = iterate(list)


def _report(
    run_id: str,
    what: str,
    worker_id: str,
    json: dict[str, Any],
    model: type[BaseModel] = RunResponse,
) -> Call[Any]:
    """A report on a run, which names the worker making it."""
    path = api_path("runs", run_id, what)
    return Call("POST", path, read_model(model), json={"worker_id": worker_id, **json})


def _read_claimed(response: httpx.Response) -> RunResponse | None:
    if response.status_code == 204:
        return None
    return RunResponse.model_validate_json(response.content)
