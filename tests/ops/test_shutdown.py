"""SIGTERM: /ready turns 503 at once, the request in progress finishes with 201, then the
server exits."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import get_engine
from tests.factories import new_user
from tests.live.conftest import SECRET, start_server, stop_server
from tests.ops.conftest import API

DRAIN_SECONDS = 1.0


def refuses_connections(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.sqlite_only
async def test_sigterm_drains_then_lets_the_request_in_progress_finish(
    db_url: str, tmp_path: Path
) -> None:
    get_engine(db_url)
    owner = await new_user(ServerSettings(jwt_secret=SECRET))
    server = await asyncio.to_thread(
        start_server,
        db_url,
        tmp_path / "server.log",
        environment={"PLATFORM_SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS)},
    )
    try:
        await asyncio.to_thread(run_scenario, server.base_url, server.process, owner.headers)
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM), server.log()
    finally:
        stop_server(server)
    with sqlite3.connect(Path(db_url.split("///", 1)[1])) as connection:
        titles = connection.execute("SELECT title FROM issues").fetchall()
    assert titles == [("sent across the shutdown",)]


def run_scenario(base_url: str, process: subprocess.Popen[bytes], headers: dict[str, str]) -> None:
    port = int(base_url.rsplit(":", 1)[1])
    with httpx.Client(base_url=base_url, timeout=30) as client:
        created = client.post(f"{API}/workspaces/", json={"name": "Stop"}, headers=headers)
        assert created.status_code == 201, created.text
        workspace_id = created.json()["id"]
        assert client.get("/ready").status_code == 200  # a kept-alive connection

        # A create whose body is still on its way when the signal comes.
        body = json.dumps({"title": "sent across the shutdown"}).encode()
        slow = socket.create_connection(("127.0.0.1", port), timeout=30)
        slow.sendall(
            f"POST {API}/workspaces/{workspace_id}/issues/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: {headers['Authorization']}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(0.3)  # the server reads the headers and starts the request
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)

        # Draining: still answering, but no longer ready.
        for _ in range(100):
            ready = client.get("/ready")
            if ready.status_code == 503:
                break
            time.sleep(0.02)
        assert ready.status_code == 503 and ready.json() == {"status": "shutting_down"}
        assert not refuses_connections(port), "the drain keeps accepting connections"

        # Then the server stops accepting connections, the request in progress still running.
        for _ in range(300):
            if refuses_connections(port):
                break
            time.sleep(0.05)
        assert refuses_connections(port)
        assert time.monotonic() - started >= DRAIN_SECONDS * 0.9

    slow.sendall(body[10:])
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = slow.recv(65536)
        assert chunk, f"connection closed without an answer: {answer!r}"
        answer += chunk
    slow.close()
    assert answer.startswith(b"HTTP/1.1 201 "), answer
