"""`run …` and `worker …` from the command line, against the SQLite server: queue, list, show,
stop, events and watch a run while a real worker process (or a remote worker speaking the API)
works on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from praisonai_platform.client import PlatformClient
from tests.client.test_cli import Cli, assert_one_line_error
from tests.live.conftest import LiveServer
from tests.runs.processes import ROOT

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def cli(server: LiveServer, tmp_path: Path) -> Cli:
    return Cli(server, tmp_path / "config")


@pytest.fixture
def team(cli: Cli) -> dict[str, Any]:
    """A signed-in user with workspace ENG, agent Coder and issue ENG-1."""
    cli.register()
    workspace = cli.ok("workspace", "create", "Engineering", "--prefix", "ENG", "--json").json()
    agent = cli.ok("agent", "create", "Coder", "--json").json()
    cli.ok("issue", "create", "Fix it")
    return {"workspace": workspace, "agent": agent}


def sdk(cli: Cli) -> PlatformClient:
    token = json.loads(cli.session_file.read_text())["token"]
    return PlatformClient(cli.server.base_url, token=token)


@pytest.fixture
def worker_process(
    client_database: str, tmp_path: Path, team: dict[str, Any]
) -> Iterator[subprocess.Popen[bytes]]:
    """`praisonai-platform worker --handler …` as people start it, for the team's agent."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))},
        "DATABASE_URL": client_database,
        "PLATFORM_WORKER_POLL_SECONDS": "0.1",
        "PLATFORM_RUN_HEARTBEAT_SECONDS": "0.5",
        "PLATFORM_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "praisonai_platform", "worker",
               "--handler", "praisonai_platform.worker.example_handler:handle",
               "--agent", team["agent"]["id"], "--name", "cli-test"]  # fmt: skip
    with (tmp_path / "worker.log").open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_queue_list_show_stop_and_events(cli: Cli, team: dict[str, Any]) -> None:
    on_issue = cli.ok("run", "create", "ENG-1", "--agent", "coder", "-P", "depth=2", "-P",
                      "note=hi", "--max-attempts", "2", "--json").json()  # fmt: skip
    assert (on_issue["state"], on_issue["agent_id"], on_issue["max_attempts"]) == (
        "pending",
        team["agent"]["id"],
        2,
    )
    assert on_issue["parameters"] == {"depth": 2, "note": "hi"}
    queued = cli.ok("run", "create", "--agent", team["agent"]["id"]).out
    assert queued.startswith("Queued run ") and queued.count("\n") == 1
    loose = queued.split()[2]
    assert_one_line_error(
        cli("run", "create"), "name an issue to delegate, or an agent with --agent"
    )
    assert_one_line_error(
        cli("run", "create", "--agent", "Nobody"),
        "no agent 'Nobody' in this workspace (agents: Coder)",
    )
    assert_one_line_error(
        cli("run", "create", "ENG-1", "-P", "oops"), "--param 'oops': expected KEY=VALUE"
    )

    table = cli.ok("run", "list").out.splitlines()
    assert table[0].split() == ["ID", "STATE", "PROGRESS", "AGENT", "ISSUE", "CREATED"]
    assert table[1].split()[:5] == [loose, "pending", "0%", "Coder", "-"]
    assert table[2].split()[:5] == [on_issue["id"], "pending", "0%", "Coder", "ENG-1"]
    assert [r["id"] for r in cli.ok("run", "list", "--issue", "ENG-1", "--json").json()] == [
        on_issue["id"]
    ]
    assert (
        len(cli.ok("run", "list", "--state", "pending", "--agent", "Coder", "--json").json()) == 2
    )

    shown = cli.ok("run", "show", on_issue["id"]).out
    assert shown.startswith(f"run {on_issue['id']}  pending\n")
    assert "agent     Coder" in shown and "issue     ENG-1" in shown
    assert "attempts  0 of 2" in shown
    assert 'parameters: {"depth": 2, "note": "hi"}' in shown
    assert cli.ok("run", "show", loose, "--json").json()["id"] == loose
    assert cli("run", "show", "no-such-run").code == 1

    assert cli.ok("run", "stop", loose).out == f"Stopped run {loose}\n"
    assert [r["id"] for r in cli.ok("run", "list", "-s", "stopped", "--json").json()] == [loose]
    events = cli.ok("run", "events", loose).out.splitlines()
    assert events[0].split() == ["TIME", "TYPE", "MESSAGE", "WORKER"]
    assert [line.split()[1] for line in events[1:]] == ["run_pending", "run_stopped"]
    as_json = cli.ok("run", "events", loose, "--all", "--json").json()
    assert [e["event_type"] for e in as_json] == ["run_pending", "run_stopped"]
    only = cli.ok("run", "events", loose, "--type", "run_stopped", "--json").json()
    assert [e["event_type"] for e in only] == ["run_stopped"]

    watched = cli("run", "watch", loose)
    assert (watched.code, watched.out.splitlines()[-1]) == (1, f"Run {loose} stopped")
    timed_out = cli("run", "watch", on_issue["id"], "--interval", "0.1", "--timeout", "0.3")
    assert timed_out.code == 1
    assert timed_out.err == (
        f"error: run {on_issue['id']} is still pending after 0.3 seconds (0% done)\n"
    )


def test_worker_list_and_the_worker_command(cli: Cli, team: dict[str, Any]) -> None:
    assert cli.ok("worker", "list").out == "No workers.\n"
    with sdk(cli) as client:
        client.workers.register(worker_id=f"box-{team['agent']['id'][:8]}", name="Build box")
    table = cli.ok("worker", "list").out.splitlines()
    assert table[0].split() == ["ID", "NAME", "STATUS", "HOST", "RUN", "LAST", "HEARTBEAT"]
    assert table[1].split()[1:4] == ["Build", "box", "online"]
    assert [w["name"] for w in cli.ok("worker", "list", "--json").json()] == ["Build box"]
    assert cli.ok("worker", "list", "--status", "offline").out == "No offline workers.\n"

    bare = cli("worker")
    assert bare.code == 2 and "give the handler to run, as module:function" in bare.err


def test_startup_loads_no_server_code() -> None:
    code = (
        "import sys\n"
        "import praisonai_platform.cli.app\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'starlette', 'uvicorn', 'alembic')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_watch_follows_a_run_a_worker_process_completes(
    cli: Cli, team: dict[str, Any], worker_process: subprocess.Popen[bytes]
) -> None:
    created = cli.ok("run", "create", "ENG-1", "--agent", "Coder", "-P", "steps=3", "-P",
                     "seconds=0.3", "--json").json()  # fmt: skip
    watched = cli("run", "watch", created["id"], "--interval", "0.2", "--timeout", "90")
    assert watched.code == 0, (watched, worker_process.poll())
    lines = watched.out.splitlines()
    kinds = [line.split()[1] for line in lines[:-1]]
    assert kinds[0] == "run_pending" and "run_processing" in kinds and "run_progress" in kinds
    assert kinds[-1] == "run_completed" and len(set(lines[:-1])) == len(lines) - 1
    assert lines[-1] == f"Run {created['id']} completed: Done: 3 steps on attempt 1."
    shown = cli.ok("run", "show", created["id"], "--json").json()
    assert (shown["state"], shown["progress_percentage"]) == ("completed", 100)
    assert worker_process.poll() is None  # still running, taking the next run

    followed = cli("run", "create", "--agent", "Coder", "--watch", "-P", "steps=1", "-P",
                   "seconds=0")  # fmt: skip
    assert followed.code == 0, followed
    assert followed.out.startswith("Queued run ")
    assert followed.out.rstrip().endswith("completed: Done: 1 steps on attempt 1.")


def test_watch_exits_non_zero_when_the_run_fails(cli: Cli, team: dict[str, Any]) -> None:
    run_id = cli.ok("run", "create", "--agent", "Coder", "--json").json()["id"]
    watch = subprocess.Popen(
        [sys.executable, "-m", "praisonai_platform", "run", "watch", run_id, "--interval", "0.1",
         "--timeout", "60"],
        env=cli.environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        with sdk(cli) as client:
            name = client.workers.register().id
            client.workers.claim_run(run_id, name)
            client.workers.add_event(run_id, name, "looking around")
            client.workers.fail(run_id, name, reason="crash", message="boom", retry=False)
        out, err = watch.communicate(timeout=60)
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()
    assert watch.returncode == 1, (out, err)
    assert "Traceback" not in err
    assert out.splitlines()[-1] == f"Run {run_id} failed: crash: boom"
    assert "looking around" in out
