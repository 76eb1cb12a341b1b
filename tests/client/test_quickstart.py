"""Seed 000's Quick Start, step 1, run as written against a server started as the docs say.

The snippet is the one in docs/getting-started.md (marked to be skipped by tests/docs, since it
is run here).

Only the password is filled in (after registering that account), and the port is the test
server's rather than 8000, which may be taken on a test machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from praisonai_platform.client import PlatformClient
from tests.live.conftest import LiveServer, free_port, stop_server

SEED_NAME = "000_e02f9cbc3844e374.txt"
# A copy kept with the tests, so that a clone anywhere checks it; the shared original, where a
# checkout has it beside it, must still say the same.
SEED = Path(__file__).resolve().parents[1] / "data" / "seeds" / SEED_NAME
SHARED_SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / SEED_NAME
GETTING_STARTED = Path(__file__).resolve().parents[2] / "docs" / "getting-started.md"
QUICK_START = """\
from praisonai_platform.client import PlatformClient

# In-memory SQLite - data lost on restart
client = PlatformClient(base_url="http://localhost:8000")
client.login(email="me@example.com", password="...")

workspace = client.workspaces.create(name="Research")
issue = client.issues.create(workspace_id=workspace.id, title="Setup database")
"""
PASSWORD = "my quick start password"
CHECK = """
assert issue.identifier == "ISSUE-1", issue.identifier
assert client.issues.get(workspace.id, issue.identifier).title == "Setup database"
"""


def test_the_snippet_is_the_seeds() -> None:
    assert QUICK_START in SEED.read_text(encoding="utf-8").replace("\r\n", "\n")
    if SHARED_SEED.exists():
        assert SHARED_SEED.read_bytes() == SEED.read_bytes()


def test_the_snippet_is_in_the_getting_started_page() -> None:
    assert f"```python\n{QUICK_START}```\n" in GETTING_STARTED.read_text(encoding="utf-8")


@pytest.fixture
def zero_config_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`praisonai-platform serve` with nothing configured: in-memory database, random secret."""
    port = free_port()
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("APP_", "PLATFORM_")) and k != "DATABASE_URL"
    }
    log_path = tmp_path / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "praisonai_platform", "serve", "--port", str(port)],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(base_url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + 60
    while not _ready(server):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            pytest.fail(f"server did not start:\n{server.log()}")
        time.sleep(0.1)
    yield server
    stop_server(server)


def _ready(server: LiveServer) -> bool:
    try:
        return httpx.get(f"{server.base_url}/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def run_quick_start(server: LiveServer) -> subprocess.CompletedProcess[str]:
    with PlatformClient(base_url=server.base_url) as client:
        client.register(email="me@example.com", password=PASSWORD)
    port = server.base_url.rsplit(":", 1)[1]
    script = QUICK_START.replace('password="..."', f'password="{PASSWORD}"').replace(
        "localhost:8000", f"localhost:{port}"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PLATFORM_")}
    return subprocess.run(
        [sys.executable, "-c", script + CHECK],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_quick_start_runs_on_the_zero_configuration_server(zero_config_server: LiveServer) -> None:
    completed = run_quick_start(zero_config_server)
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")
    assert "in-memory SQLite" in zero_config_server.log()


def test_quick_start_runs_on_both_backends(server: LiveServer) -> None:
    completed = run_quick_start(server)
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")
