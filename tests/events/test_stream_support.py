"""Reading the live event stream in tests: in-process, and its Server-Sent Events parsed.

httpx's ASGI transport waits for the whole response, which a stream never ends, so `AsgiStream`
calls the application as a server would.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# Only against a hang: a stream that works answers at once.
SAFETY_SECONDS = 60.0


@dataclass
class Sse:
    """One Server-Sent Event, or a comment (`event` "comment")."""

    event: str
    data: str = ""
    id: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class SseParser:
    buffer: str = ""
    pending: dict[str, Any] = field(default_factory=dict)

    def feed(self, chunk: str) -> list[Sse]:
        self.buffer += chunk
        found: list[Sse] = []
        while "\n" in self.buffer:
            line, self.buffer = self.buffer.split("\n", 1)
            if line == "":
                if "data" in self.pending:  # as browsers do: no data, no event
                    found.append(Sse(**{"event": "message", **self.pending}))
                self.pending = {}
            elif line.startswith(":"):
                found.append(Sse("comment", line[1:].strip()))
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "data":
                    self.pending["data"] = (
                        f"{self.pending['data']}\n{value}" if "data" in self.pending else value
                    )
                elif name in ("id", "event"):
                    self.pending[name] = value
        return found


class AsgiStream:
    """GET `path` from the application as a server would, and read its Server-Sent Events."""

    def __init__(self, application: Any, path: str, headers: dict[str, str]) -> None:
        self.app, self.path, self.headers = application, path, headers
        self.status = 0
        self.response_headers: dict[str, str] = {}
        self.body = b""
        self._started = asyncio.Event()
        self._events: asyncio.Queue[Sse | None] = asyncio.Queue()
        self._disconnect = asyncio.Event()
        self._parser = SseParser()
        self._task: asyncio.Task[None] | None = None
        self._requested = False

    async def __aenter__(self) -> AsgiStream:
        url = urlsplit(self.path)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": url.path,
            "raw_path": url.path.encode(),
            "query_string": url.query.encode(),
            "root_path": "",
            "headers": [(b"host", b"testserver")]
            + [(k.lower().encode(), v.encode()) for k, v in self.headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        self._task = asyncio.create_task(self._run(scope))
        async with asyncio.timeout(SAFETY_SECONDS):
            await self._started.wait()
        return self

    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self._receive, self._send)
        finally:
            self._started.set()
            await self._events.put(None)

    async def _receive(self) -> dict[str, Any]:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_headers = {k.decode(): v.decode() for k, v in message["headers"]}
            self._started.set()
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self.body += chunk
            for event in self._parser.feed(chunk.decode()):
                await self._events.put(event)

    async def next(self, *, comments: bool = False) -> Sse | None:
        """The next event (comments too if asked); None once the stream has ended."""
        async with asyncio.timeout(SAFETY_SECONDS):
            while True:
                event = await self._events.get()
                if event is None:
                    self._events.put_nowait(None)
                    return None
                if comments or event.event != "comment":
                    return event

    async def take(self, count: int) -> list[Sse]:
        events = []
        for _ in range(count):
            event = await self.next()
            assert event is not None, f"the stream ended after {events}"
            events.append(event)
        return events

    async def ended(self) -> bool:
        """Wait for the stream to end on its own; True when it did."""
        assert self._task is not None
        async with asyncio.timeout(SAFETY_SECONDS):
            await asyncio.shield(self._task)
        return True

    async def __aexit__(self, *_: object) -> None:
        self._disconnect.set()
        assert self._task is not None
        async with asyncio.timeout(SAFETY_SECONDS):
            await self._task
