"""A real server process (uvicorn on loopback) on the test's database.

Servers are forked from a process that imported the server already (tests/forkserver.py), which
halves what a start costs; `fresh=True` (and more than one worker) starts a new interpreter, as
`praisonai-platform serve` does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import forkserver

SECRET = "live-test-secret-that-is-long-enough-for-production"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen[bytes] | forkserver.ForkedProcess
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(
    database_url: str,
    log_path: Path,
    *,
    workers: int = 1,
    port: int | None = None,
    environment: dict[str, str] | None = None,
    fresh: bool = False,
) -> LiveServer:
    """Start the server; `environment` adds settings (APP_*, PLATFORM_*) to the clean defaults."""
    port = port or free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))},
        "DATABASE_URL": database_url,
        "PLATFORM_JWT_SECRET": SECRET,
        "PLATFORM_LOG_LEVEL": "warning",
        # Every test client signs up and signs in from 127.0.0.1, hundreds of times a session:
        # one address's sign-in budget would throttle tests that have nothing to do with it.
        # Tests of the limits themselves pass their own budgets.
        "PLATFORM_RATE_LIMIT_AUTH_PER_ADDRESS": "100000/minute",
        "PLATFORM_RATE_LIMIT_ANONYMOUS": "100000/minute",
        **(environment or {}),
    }
    arguments = ["serve", "--port", str(port), "--workers", str(workers)]
    process: subprocess.Popen[bytes] | forkserver.ForkedProcess
    if fresh or workers > 1:
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "praisonai_platform", *arguments],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    else:
        process = forkserver.spawn(*arguments, env=environment, output=log_path)
    server = LiveServer(base_url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/ready", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"server did not become ready:\n{server.log()}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def live_server_environment() -> dict[str, str]:
    """Settings for `live_server` beyond the defaults; a test module may override this."""
    return {}


@pytest.fixture
def live_server(
    db_url: str, tmp_path: Path, live_server_environment: dict[str, str]
) -> Iterator[LiveServer]:
    server = start_server(db_url, tmp_path / "server.log", environment=live_server_environment)
    yield server
    stop_server(server)
