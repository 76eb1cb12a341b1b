"""A newcomer's first hour, scripted: what `make run` starts, then the CLI and a worker exactly as
the docs show them, in a fresh project folder with nothing configured.

Fresh SQLite file under ./data, `serve` with migrations and no signing secret, register, a
workspace, an issue labelled by name, an agent, the docs' own handler file in the folder, a worker
started from that folder, a run delegated and followed with `run watch` until it completes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.client.conftest import PASSWORD, unique_email
from tests.forkserver import run_cli
from tests.live.conftest import free_port

pytestmark = pytest.mark.sqlite_only

DOCS = Path(__file__).resolve().parents[2] / "docs"
DATABASE_URL = "sqlite+aiosqlite:///./data/platform.db"  # what `make run` uses


def documented_handler() -> str:
    """The handler module the runs page tells people to write, as written there."""
    page = (DOCS / "runs-and-workers.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    handler = [block for block in blocks if block.startswith("# my_agents/review.py")]
    assert handler, "docs/runs-and-workers.md no longer shows my_agents/review.py"
    return handler[0]


def clean_environment(**extra: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))}
    return {**kept, "DATABASE_URL": "", **extra}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


@pytest.fixture
def server(project: Path) -> Iterator[str]:
    """`make run`'s command in the project folder: relative SQLite file, migrations at start."""
    port = free_port()
    environment = clean_environment(DATABASE_URL=DATABASE_URL, RUN_DB_MIGRATIONS="true")
    log = (project / "server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "praisonai_platform", "serve", "--port", str(port)],
        cwd=project, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (project / "server.log").read_text()
            try:
                if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (project / "server.log").read_text()
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def cli(project: Path, base_url: str, *args: str, stdin: str | None = None) -> str:
    completed = run_cli(
        *args,
        cwd=project,
        env=clean_environment(
            PLATFORM_CONFIG_DIR=str(project / ".config"), PLATFORM_URL=base_url, COLUMNS="200"
        ),
        input=stdin,
        timeout=180,
    )
    assert completed.returncode == 0, (args, completed.stdout, completed.stderr)
    assert "Traceback" not in completed.stderr
    return completed.stdout


def test_a_newcomer_gets_an_agent_to_finish_a_run(project: Path, server: str) -> None:
    assert (project / "data" / "platform.db").is_file()
    email = unique_email("newcomer")
    cli(project, server, "register", "--email", email, "--password-stdin", stdin=PASSWORD + "\n")
    cli(project, server, "workspace", "create", "Engineering", "--prefix", "ENG")
    assert "ENG-1" in cli(project, server, "issue", "create", "Review the login page")
    agent = json.loads(cli(project, server, "agent", "create", "Reviewer", "--json"))

    token = json.loads((project / ".config" / "session.json").read_text())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{server}/api/v1", headers=headers) as api:
        workspace = api.get("/workspaces/").json()[0]
        created = api.post(f"/workspaces/{workspace['id']}/labels/", json={"name": "bug"})
        assert created.status_code == 201, created.text
        attached = api.post(f"/workspaces/{workspace['id']}/issues/ENG-1/labels/bug")
        assert attached.status_code in (200, 201, 204), attached.text
    assert "bug" in cli(project, server, "issue", "show", "ENG-1")

    (project / "my_agents").mkdir()
    (project / "my_agents" / "review.py").write_text(documented_handler())
    worker_log = (project / "worker.log").open("ab")
    worker = subprocess.Popen(
        [sys.executable, "-m", "praisonai_platform", "worker",
         "--handler", "my_agents.review:handle"],
        cwd=project,
        env=clean_environment(DATABASE_URL=DATABASE_URL, PLATFORM_WORKER_POLL_SECONDS="0.2"),
        stdout=worker_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        run = json.loads(
            cli(project, server, "run", "create", "ENG-1", "--agent", agent["name"], "--json")
        )
        watched = cli(project, server, "run", "watch", run["id"])
        assert "completed" in watched.lower(), watched
        shown = json.loads(cli(project, server, "run", "show", run["id"], "--json"))
        assert shown["state"] == "completed"
        assert shown["attempt_count"] == 1
        assert shown["result"]["message"] == "Reviewed: two nits."
        assert worker.poll() is None, (project / "worker.log").read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        worker_log.close()
    log = (project / "worker.log").read_text()
    assert run["id"] in log and "ENG-1" in log, log
