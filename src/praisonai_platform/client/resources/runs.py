"""client.runs: queue an agent's run (about an issue or not), follow it, stop it."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from praisonai_platform.client.calls import Call, Flow, Pause, api_path, body, read_model
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.errors import ValidationError, WaitTimeout
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.client.resources.issues import OneOrMore
from praisonai_platform.core.enums import RunState
from praisonai_platform.runs.events.schemas import EventResponse
from praisonai_platform.runs.schemas import RunResponse

FINAL_STATES = frozenset({RunState.COMPLETED, RunState.FAILED, RunState.STOPPED})
"""The states a run does not leave: `wait` returns once it reaches one."""


class Runs(Resource[R]):
    @endpoint
    def create(
        self,
        workspace_id: str,
        agent_id: str,
        *,
        issue_id: str | None = None,
        parameters: dict[str, Any] | None = None,
        max_attempts: int | None = None,
        budget: int | None = None,
        idempotency_key: str | None = None,
    ) -> Call[RunResponse]:
        """Queue a run for an agent of the workspace, about an issue (id or key) if given.
        `parameters` is data for the agent; `max_attempts` how often it is tried before it ends
        failed; `budget` the most, in micro-credits, its steps may be charged together (a step
        that would pass it fails the run). With an `idempotency_key`, sending again returns the
        first run."""
        json = body(
            agent_id=agent_id,
            issue_id=issue_id,
            parameters=parameters,
            max_attempts=max_attempts,
            budget=budget,
        )
        return requests.create(_runs_path(workspace_id), RunResponse, json, idempotency_key)

    @endpoint
    def delegate(
        self,
        workspace_id: str,
        issue_id: str,
        *,
        agent_id: str | None = None,
        parameters: dict[str, Any] | None = None,
        max_attempts: int | None = None,
        budget: int | None = None,
        idempotency_key: str | None = None,
    ) -> Call[RunResponse]:
        """Hand an issue (id or key) to an agent: `agent_id`, else the agent it is assigned to.
        `budget`: as for `create`."""
        json = body(
            agent_id=agent_id, parameters=parameters, max_attempts=max_attempts, budget=budget
        )
        path = api_path("workspaces", workspace_id, "issues", issue_id.strip(), "runs")
        return requests.create(path, RunResponse, json, idempotency_key)

    @endpoint
    def get(self, workspace_id: str, run_id: str) -> Call[RunResponse]:
        """A run of the workspace, with its state, progress and result."""
        return requests.get(_runs_path(workspace_id, run_id), RunResponse)

    @endpoint
    def get_by_id(self, run_id: str) -> Call[RunResponse]:
        """A run by id alone (members of its workspace)."""
        return requests.get(api_path("runs", run_id), RunResponse)

    @endpoint
    def list(
        self,
        workspace_id: str,
        *,
        issue_id: str | None = None,
        state: OneOrMore = None,
        agent_id: OneOrMore = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[RunResponse]]:
        """Runs of the workspace, or of one issue (id or key) with `issue_id`, newest first.
        `state` (pending, processing, completed, failed, stopped) and `agent_id` take one value
        or a list of them (any matches)."""
        if issue_id is None:
            path = _runs_path(workspace_id)
        else:
            path = api_path("workspaces", workspace_id, "issues", issue_id.strip(), "runs")
        return requests.listing(
            path,
            RunResponse,
            state=state,
            agent_id=agent_id,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    @endpoint
    def stop(self, workspace_id: str, run_id: str) -> Call[RunResponse]:
        """Ask a run to stop: a pending one stops at once, a processing one when its worker
        next heartbeats (`stop_requested` until then). A finished run raises Conflict."""
        return Call("POST", _runs_path(workspace_id, run_id, "stop"), read_model(RunResponse))

    @endpoint
    def events(
        self,
        workspace_id: str,
        run_id: str,
        *,
        event_type: OneOrMore = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[EventResponse]]:
        """What happened to a run, newest first: state changes, progress, the worker's events.
        `since` (inclusive) and `until` (exclusive) need a time zone."""
        return requests.listing(
            _runs_path(workspace_id, run_id, "events"),
            EventResponse,
            event_type=event_type,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    @endpoint
    def wait(
        self,
        workspace_id: str,
        run_id: str,
        *,
        timeout: float | None = 300.0,
        poll_interval: float = 1.0,
    ) -> Flow[RunResponse]:
        """Poll the run every `poll_interval` seconds until it is completed, failed or stopped,
        and return it. Raises WaitTimeout (a TimeoutError; `.last` is the run as last seen) when
        `timeout` seconds pass first; None waits for as long as it takes."""
        if poll_interval <= 0:
            raise ValidationError("poll_interval must be positive", code="invalid_argument")
        if timeout is not None and timeout < 0:
            raise ValidationError("timeout must not be negative", code="invalid_argument")
        return _wait(_runs_path(workspace_id, run_id), timeout, poll_interval)

    iter = iterate(list)
    iter_events = iterate(events)


def _runs_path(workspace_id: str, *rest: str) -> str:
    return api_path("workspaces", workspace_id, "runs", *rest)


def _wait(path: str, timeout: float | None, poll_interval: float) -> Flow[RunResponse]:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        run: RunResponse = yield requests.get(path, RunResponse)
        if run.state in FINAL_STATES:
            return run
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WaitTimeout(
                    f"run {run.id} is still {run.state.value} after {timeout:g} seconds "
                    f"({run.progress_percentage:g}% done)",
                    last=run,
                )
            yield Pause(min(poll_interval, left))
        else:
            yield Pause(poll_interval)
