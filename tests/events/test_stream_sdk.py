"""The SDK's event stream against scripted answers: resuming, giving up, and errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from praisonai_platform.client import (
    AsyncPlatformClient,
    AuthenticationError,
    ConnectionFailed,
    NotFound,
    PlatformClient,
    PlatformError,
    RetryPolicy,
)
from praisonai_platform.client.models import EventStreamReset, WorkspaceEvent

RETRY = RetryPolicy(attempts=3, backoff=0, jitter=False)


def event(event_id: int, kind: str = "issue.created") -> str:
    body = {
        "id": event_id,
        "workspace_id": "ws",
        "type": kind,
        "entity_type": kind.split(".")[0],
        "entity_id": f"e{event_id}",
        "actor": {"type": "user", "id": "u1"},
        "data": {"title": f"t{event_id}"},
        "created_at": "2026-03-02T10:15:04Z",
    }
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(body)}\n\n"


OPEN = "retry: 2000\nid: {start}\n: stream open\n\n"


class Script:
    """Answers each request with the next of `answers` (a stream body, a status, or an error),
    and keeps the requests."""

    def __init__(self, *answers: str | int | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, int):
            return httpx.Response(answer, json={"detail": "no", "code": f"status_{answer}"})
        return httpx.Response(200, text=answer, headers={"content-type": "text/event-stream"})

    def resumed_from(self) -> list[tuple[str | None, str | None]]:
        return [(r.headers.get("Last-Event-ID"), r.url.params.get("after")) for r in self.requests]


@pytest.fixture(params=["sync", "async"])
def take(request: pytest.FixtureRequest) -> Callable[[Script, int], Any]:
    """Run the stream of `script` until `count` items came (or it raised); returns the items."""

    def run(script: Script, count: int, **arguments: Any) -> list[Any]:
        if request.param == "sync":
            with PlatformClient(
                "http://platform.test",
                token="t",
                retries=RETRY,
                transport=httpx.MockTransport(script),
            ) as client:
                items: Iterator[Any] = client.events.stream("ws", **arguments)
                return [next(items) for _ in range(count)]

        async def drive() -> list[Any]:
            async with AsyncPlatformClient(
                "http://platform.test",
                token="t",
                retries=RETRY,
                transport=httpx.MockTransport(script),
            ) as client:
                stream: AsyncIterator[Any] = client.events.stream("ws", **arguments)
                async with aclosing(stream) as items:  # type: ignore[type-var]
                    return [await anext(items) for _ in range(count)]

        return asyncio.run(drive())

    return run


def test_a_lost_stream_resumes_after_the_last_event_without_gap_or_duplicate(take: Any) -> None:
    script = Script(
        OPEN.format(start=10) + event(11) + event(12),  # then the connection ends
        httpx.ConnectError("refused"),  # the server is restarting
        OPEN.format(start=12) + event(13),
    )
    items = take(script, 3, types=["issue.*", "run.completed"])
    assert [item.id for item in items] == [11, 12, 13]
    assert all(isinstance(item, WorkspaceEvent) for item in items)
    assert script.resumed_from() == [(None, None), ("12", None), ("12", None)]
    assert {r.url.params["types"] for r in script.requests} == {"issue.*,run.completed"}
    assert script.requests[0].headers["Authorization"] == "Bearer t"


def test_a_stream_that_ends_before_any_event_resumes_from_its_start(take: Any) -> None:
    script = Script(OPEN.format(start=40), OPEN.format(start=40) + event(41))
    (item,) = take(script, 1, after=7)
    assert item.id == 41
    # The first request asks after 7; the stream said it starts at 40 (it had nothing new).
    assert script.resumed_from() == [(None, "7"), ("40", None)]


def test_a_reset_is_yielded(take: Any) -> None:
    reset = 'id: 99\nevent: reset\ndata: {"type":"reset","id":99,"after":5}\n\n'
    script = Script(OPEN.format(start=5) + reset + event(100))
    first, second = take(script, 2, after=5)
    assert isinstance(first, EventStreamReset) and (first.id, first.after) == (99, 5)
    assert second.id == 100


def test_an_error_event_ends_the_stream_with_its_error(take: Any) -> None:
    revoked = json.dumps({"status": 401, "code": "invalid_api_key", "detail": "revoked"})
    script = Script(OPEN.format(start=1) + event(2) + f"event: error\ndata: {revoked}\n\n")
    with pytest.raises(AuthenticationError) as raised:
        take(script, 2)
    assert raised.value.code == "invalid_api_key"
    assert len(script.requests) == 1
    gone = json.dumps({"status": 404, "code": "not_found", "detail": "workspace not found"})
    with pytest.raises(NotFound):
        take(Script(OPEN.format(start=1) + f"event: error\ndata: {gone}\n\n"), 1)


def test_refusals_are_raised_and_busy_servers_retried(take: Any) -> None:
    with pytest.raises(NotFound):
        take(Script(404), 1)
    script = Script(503, 429, OPEN.format(start=1) + event(2))
    assert [item.id for item in take(script, 1)] == [2]
    with pytest.raises(PlatformError):
        take(Script(503, 503, 503), 1)


def test_a_server_never_reached_is_an_error(take: Any) -> None:
    refused = [httpx.ConnectError("refused") for _ in range(3)]
    script = Script(*refused)
    with pytest.raises(ConnectionFailed):
        take(script, 1)
    assert len(script.requests) == RETRY.attempts
    # Without reconnecting, a stream that ends is an error too.
    with pytest.raises(PlatformError) as raised:
        take(Script(OPEN.format(start=1) + event(2)), 2, reconnect=False)
    assert raised.value.code == "stream_failed"
