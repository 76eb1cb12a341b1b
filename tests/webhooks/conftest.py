"""The API fixtures, and a local receiver of webhooks on 127.0.0.1 for the sender's tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from praisonai_platform.webhooks.settings import WebhookSettings
from tests.api.conftest import (  # noqa: F401
    _app_key,
    add_member,
    app,
    client,
    make_user,
    make_workspace,
    server_settings,
)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """An HTTP server that records every request. It answers the statuses queued in `script`
    (first to last), then `otherwise`."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    otherwise: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return self.script.pop(0) if self.script else self.otherwise

    def record(self, received: Received) -> None:
        with self.lock:
            self.requests.append(received)

    @property
    def succeeded(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            this = holder["receiver"]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = this.answer()
            this.record(Received(self.path, dict(self.headers.items()), body, status))
            self.send_response(status)
            for name, value in this.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["receiver"]
    finally:
        server.shutdown()
        server.server_close()


def fast_settings(**overrides: Any) -> WebhookSettings:
    """Settings for tests: private targets allowed (the receiver is local), tiny back-off."""
    values: dict[str, Any] = {
        "allow_private_targets": True,
        "retry_base_seconds": 0.01,
        "retry_max_interval_seconds": 0.02,
        "timeout_seconds": 5,
        "poll_seconds": 0.05,
        **overrides,
    }
    return WebhookSettings(**values)


async def until(
    condition: Callable[[], Awaitable[bool]], step: Callable[[], Awaitable[Any]], rounds: int = 400
) -> None:
    """Run `step` until `condition` holds (at most `rounds` times)."""
    for _ in range(rounds):
        if await condition():
            return
        await step()
        await asyncio.sleep(0.01)
    assert await condition(), "the condition never held"
