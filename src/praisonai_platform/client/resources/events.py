"""client.events: a workspace's live changes (`stream`, `feed`), and the event log of runs and
workers (`list`; a run's own: client.runs.events)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

import httpx

from praisonai_platform.client.calls import Call, api_path, query, read_model
from praisonai_platform.client.endpoints import (
    AsyncRunner,
    R,
    Resource,
    SyncRunner,
    endpoint,
    iterate,
)
from praisonai_platform.client.errors import (
    PlatformError,
    error_from_response,
    error_from_transport,
)
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.client.resources.issues import OneOrMore
from praisonai_platform.client.transport import TRANSIENT_ERRORS, RetryPolicy
from praisonai_platform.events.schemas import (
    EventStreamReset,
    WorkspaceEventPage,
    WorkspaceEventResponse,
)
from praisonai_platform.runs.events.schemas import EventResponse

StreamItem = WorkspaceEventResponse | EventStreamReset
"""What `client.events.stream` yields: an event, or a reset (events were missed: read again)."""

# The server sends something (a keep-alive at least) every minute at most.
STREAM_READ_TIMEOUT = 90.0


class Events(Resource[R]):
    @overload
    def stream(
        self: Events[SyncRunner],
        workspace_id: str,
        *,
        after: int | None = None,
        types: str | Sequence[str] | None = None,
        reconnect: bool = True,
    ) -> Iterator[StreamItem]: ...
    @overload
    def stream(
        self: Events[AsyncRunner],
        workspace_id: str,
        *,
        after: int | None = None,
        types: str | Sequence[str] | None = None,
        reconnect: bool = True,
    ) -> AsyncIterator[StreamItem]: ...
    def stream(
        self,
        workspace_id: str,
        *,
        after: int | None = None,
        types: str | Sequence[str] | None = None,
        reconnect: bool = True,
    ) -> Iterator[StreamItem] | AsyncIterator[StreamItem]:
        """The workspace's changes as they happen (`for event in client.events.stream(ws)`;
        `async for` on the async client), each a `WorkspaceEventResponse` (`event.type` such as
        "issue.created", `event.id`), from the next change on, or from the one after `after`.

        `types` keeps some: "issue.created", "comment.*", or a list of them. A lost connection
        is opened again with back-off and resumed after the last event, with no gap and no
        duplicate (`reconnect=False` raises instead). An `EventStreamReset` says events were
        missed (older than the server keeps): read the state again. Ends with an exception when
        the caller may no longer read the workspace; stop it by breaking out of the loop."""
        plan = _StreamPlan(
            path=api_path("workspaces", workspace_id, "events", "stream"),
            after=after,
            types=_types(types),
            reconnect=reconnect,
            retry=self._runner_retry(),
        )
        if isinstance(self._runner, AsyncRunner):
            return _stream_async(self._runner, plan)
        return _stream_sync(self._runner, plan)

    def _runner_retry(self) -> RetryPolicy:
        retry = getattr(self._runner, "retry", None)
        return retry if isinstance(retry, RetryPolicy) else RetryPolicy()

    @endpoint
    def feed(
        self,
        workspace_id: str,
        *,
        after: int | None = None,
        types: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Call[WorkspaceEventPage]:
        """The workspace's changes after the id `after`, oldest first (a page: ask again with
        `after=page.next_after`). Without `after`: no events, and `next_after` is where to
        start."""
        params = query(after=after, types=_types(types), limit=limit)
        return Call(
            "GET",
            api_path("workspaces", workspace_id, "events", "feed"),
            read_model(WorkspaceEventPage),
            params=params,
        )

    @endpoint
    def list(
        self,
        workspace_id: str,
        *,
        run_id: str | None = None,
        event_type: OneOrMore = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[EventResponse]]:
        """Events of the workspace's runs, newest first; one run's with `run_id`. `event_type`
        takes one type or a list (run_pending, run_processing, run_progress, run_completed,
        run_failed, run_stopped, run_reclaimed, error, system, …); `since` (inclusive) and
        `until` (exclusive) need a time zone."""
        return requests.listing(
            api_path("workspaces", workspace_id, "events"),
            EventResponse,
            run_id=run_id,
            event_type=event_type,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    @endpoint
    def list_all(
        self,
        *,
        event_type: OneOrMore = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[EventResponse]]:
        """Every event, workers' and the system's included, newest first (administrators)."""
        return requests.listing(
            api_path("events"),
            EventResponse,
            event_type=event_type,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    iter = iterate(list)
    iter_all = iterate(list_all)


def _types(types: str | Sequence[str] | None) -> str | None:
    if types is None or isinstance(types, str):
        return types or None
    return ",".join(types) or None


@dataclass
class _Frame:
    event: str = "message"
    data: list[str] = field(default_factory=list)


@dataclass
class _StreamPlan:
    """What the sync and the async stream share: where to resume, how long to wait before
    reconnecting, and what each line of the stream means."""

    path: str
    after: int | None
    types: str | None
    reconnect: bool
    retry: RetryPolicy
    base_url: str = ""
    last_id: int | None = None
    failures: int = 0
    frame: _Frame = field(default_factory=_Frame)

    def request(self, credentials_headers: dict[str, str]) -> dict[str, Any]:
        headers = {**credentials_headers, "Accept": "text/event-stream"}
        params = query(types=self.types)
        if self.last_id is not None:
            headers["Last-Event-ID"] = str(self.last_id)
        elif self.after is not None:
            params["after"] = str(self.after)
        return {"method": "GET", "url": self.path, "params": params, "headers": headers}

    def opened(self, response: httpx.Response) -> float | None:
        """None when the stream is open; else seconds to wait before trying again (429, 503
        and other server errors) or raises the error (anything the caller must fix)."""
        if response.is_success:
            self.failures = 0
            self.frame = _Frame()
            return None
        response.read()
        if response.status_code in self.retry.statuses or response.status_code >= 500:
            return self.failed(error_from_response(response))
        raise error_from_response(response)

    def failed(self, error: Exception) -> float:
        """Seconds to wait before reconnecting after `error`; raises when giving up."""
        self.failures += 1
        connected_before = self.last_id is not None
        if not self.reconnect or (not connected_before and self.failures >= self.retry.attempts):
            if isinstance(error, PlatformError):
                raise error
            if isinstance(error, httpx.TransportError):
                raise error_from_transport(error, self.base_url) from error
            raise PlatformError(
                f"the event stream failed: {error or type(error).__name__}",
                code="stream_failed",
            ) from error
        wait = min(self.retry.max_backoff, self.retry.backoff * 2.0 ** (self.failures - 1))
        return wait * random.uniform(0.5, 1.0) if self.retry.jitter else wait

    def line(self, line: str) -> StreamItem | None:
        """Take one line of the stream; the item a complete event makes, if any."""
        if not line:
            frame, self.frame = self.frame, _Frame()
            return self._dispatch(frame) if frame.data else None
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self.frame.data.append(value)
        elif name == "event":
            self.frame.event = value
        elif name == "id" and value.isascii() and value.isdigit():
            self.last_id = int(value)
        return None

    def _dispatch(self, frame: _Frame) -> StreamItem | None:
        data = "\n".join(frame.data)
        if frame.event == "error":
            body = json.loads(data)
            status = int(body.pop("status", 403))
            raise error_from_response(httpx.Response(status, json=body))
        if frame.event == "reset":
            return EventStreamReset.model_validate_json(data)
        return WorkspaceEventResponse.model_validate_json(data)


def _stream_timeout(http: httpx.Client | httpx.AsyncClient) -> httpx.Timeout:
    return httpx.Timeout(STREAM_READ_TIMEOUT, connect=http.timeout.connect)


def _stream_sync(runner: SyncRunner, plan: _StreamPlan) -> Iterator[StreamItem]:
    http: httpx.Client = getattr(runner, "http")  # noqa: B009  (the executor's client)
    sleep = getattr(runner, "_sleep", time.sleep)
    plan.base_url = str(http.base_url)
    while True:
        arguments = plan.request(runner.credentials.headers())
        try:
            with http.stream(**arguments, timeout=_stream_timeout(http)) as response:
                wait = plan.opened(response)
                if wait is None:
                    for line in response.iter_lines():
                        item = plan.line(line)
                        if item is not None:
                            yield item
                    wait = plan.failed(ConnectionError("the server closed the event stream"))
        except TRANSIENT_ERRORS as error:
            wait = plan.failed(error)
        sleep(wait)


async def _stream_async(runner: AsyncRunner, plan: _StreamPlan) -> AsyncIterator[StreamItem]:
    http: httpx.AsyncClient = getattr(runner, "http")  # noqa: B009
    sleep = getattr(runner, "_sleep", asyncio.sleep)
    plan.base_url = str(http.base_url)
    while True:
        arguments = plan.request(runner.credentials.headers())
        try:
            async with http.stream(**arguments, timeout=_stream_timeout(http)) as response:
                if not response.is_success:
                    await response.aread()
                wait = plan.opened(response)
                if wait is None:
                    async for line in response.aiter_lines():
                        item = plan.line(line)
                        if item is not None:
                            yield item
                    wait = plan.failed(ConnectionError("the server closed the event stream"))
        except TRANSIENT_ERRORS as error:
            wait = plan.failed(error)
        await sleep(wait)
