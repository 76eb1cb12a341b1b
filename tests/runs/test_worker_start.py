"""Starting `praisonai-platform worker` the way a new user does: the handler module in the current
directory, a relative database URL, a database without tables; and what the worker logs."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from praisonai_platform.db import get_engine, session_scope
from praisonai_platform.db.models import Agent, Issue, Run, RunState, Workspace
from praisonai_platform.db.types import new_id
from tests.runs.processes import (
    CONSOLE_SCRIPT,
    clean_environment,
    start_worker,
    stop,
    wait_until,
    workers_running,
)

REVIEW = """
import os

def handle(run, context):
    with open(os.environ["RUN_TEST_RECORD"], "a") as record:
        record.write(f"{run.id} {run.attempt}\\n")
    return {"message": "Reviewed."}
"""


def write_module(folder: Path, name: str, code: str) -> None:
    """`my_agents/<name>.py` under `folder`, as a user's project has it."""
    package = folder / "my_agents"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").touch()
    (package / f"{name}.py").write_text(textwrap.dedent(code))


def run_command(cwd: Path, *arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """The console script, which (unlike `python -m`) does not put `cwd` on the import path."""
    return subprocess.run(
        [str(CONSOLE_SCRIPT), "worker", *arguments],
        cwd=cwd,
        env=clean_environment(**variables),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


async def queue_run_on_an_issue() -> tuple[str, str]:
    """A pending run about an issue; its id and the issue's key."""
    async with session_scope() as session:
        workspace = Workspace(name="Start", slug=f"start-{new_id()[:8]}", issue_prefix="ENG")
        session.add(workspace)
        await session.flush()
        agent = Agent(workspace_id=workspace.id, name="Reviewer")
        issue = Issue(workspace_id=workspace.id, title="Review it")
        session.add_all([agent, issue])
        await session.flush()
        run = Run(id=new_id(), workspace_id=workspace.id, agent_id=agent.id, issue_id=issue.id)
        session.add(run)
        return run.id, issue.identifier


async def state_of(run_id: str) -> RunState:
    async with session_scope(read_only=True) as session:
        run = await session.get(Run, run_id)
        assert run is not None
        return run.state


@pytest.mark.sqlite_only
@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_handler_in_the_current_directory_runs_and_each_step_is_logged(
    db_url: str, tmp_path: Path, log_format: str
) -> None:
    get_engine(db_url)
    project = tmp_path / "project"
    write_module(project, "review", REVIEW)
    run_id, issue_key = await queue_run_on_an_issue()
    record, log = tmp_path / "record.txt", tmp_path / "worker.log"
    worker = start_worker(
        db_url, record, log, handler="my_agents.review:handle", cwd=project, console_script=True,
        PLATFORM_LOG_LEVEL="info", PLATFORM_WORKER_LOG_FORMAT=log_format,
    )  # fmt: skip
    with workers_running([worker]):

        async def completed() -> bool:
            assert worker.poll() is None, log.read_text()
            return await state_of(run_id) is RunState.COMPLETED

        await wait_until(completed, seconds=60)
        assert stop(worker) == 0, log.read_text()
    assert record.read_text().split() == [run_id, "1"]
    output = log.read_text()
    assert "Traceback" not in output
    database = str(make_url(db_url).database)
    if log_format == "text":
        assert f"worker starting on SQLite {database}" in output
        for step in (r"claimed: attempt 1 of 3, queued for", r"completed on attempt 1 of 3 in"):
            (line,) = [line for line in output.splitlines() if step in line]
            assert re.search(rf"run {run_id} \[{issue_key}\] {step} \d+\.\d\ds$", line), line
        return
    lines = [json.loads(line) for line in output.splitlines()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert lines[0]["event"] == "starting" and lines[0]["database"] == f"SQLite {database}"
    steps = {line["event"]: line for line in lines if line.get("run_id") == run_id}
    assert set(steps) == {"claimed", "completed"}
    for step in steps.values():
        assert step["issue_key"] == issue_key and step["attempt"] == 1
        assert isinstance(step["duration_seconds"], float) and step["duration_seconds"] >= 0


def test_a_handler_that_cannot_be_used_is_refused_with_the_reason(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_module(project, "review", REVIEW + "\nsettings = {}\n")
    write_module(project, "broken", 'raise RuntimeError("OPENAI_API_KEY is not set")\n')
    write_module(project, "needy", "import no_such_dependency\n")
    never_created = tmp_path / "nowhere" / "platform.db"
    url = f"sqlite+aiosqlite:///{never_created}"
    for handler, problems in (
        (
            "my_agents.missing:handle",
            ["cannot import my_agents.missing", f"current directory ({project})", "searched:"],
        ),
        ("agents_elsewhere:handle", ["cannot import agents_elsewhere", str(project)]),
        (
            "my_agents.broken:handle",
            ["importing my_agents.broken failed: RuntimeError: OPENAI_API_KEY is not set"],
        ),
        (
            "my_agents.needy:handle",
            ["importing my_agents.needy failed", "No module named 'no_such_dependency'"],
        ),
        ("my_agents.review:handel", ["my_agents.review has no handel"]),
        ("my_agents.review:settings", ["my_agents.review.settings is not callable"]),
    ):
        done = run_command(project, "--handler", handler, DATABASE_URL=url)
        assert done.returncode != 0, (handler, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        for problem in problems:
            assert problem in done.stderr, (handler, problem, done.stderr)
    assert not never_created.parent.exists()


def test_a_relative_database_url_from_another_folder_names_the_file_and_creates_nothing(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run_command(
        elsewhere,
        "--handler",
        "praisonai_platform.worker.example_handler:handle",
        DATABASE_URL="sqlite+aiosqlite:///./data/platform.db",
    )
    assert done.returncode != 0
    assert f"no database at {elsewhere / 'data' / 'platform.db'}" in done.stderr, done.stderr
    assert "RUN_DB_MIGRATIONS=true" in done.stderr and "Traceback" not in done.stderr
    assert list(elsewhere.iterdir()) == []  # no ./data, no empty database file


def test_a_database_without_tables_is_refused_by_name(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        path = tmp_path / "empty.db"
        sqlite3.connect(path).close()
        url, named = f"sqlite+aiosqlite:///{path}", f"SQLite {path}"
    else:
        url = request.getfixturevalue("empty_postgres_database")
        parts = make_url(url)
        named = f"PostgreSQL {parts.host}:{parts.port or 5432}/{parts.database}"
    done = run_command(
        tmp_path, "--handler", "praisonai_platform.worker.example_handler:handle", DATABASE_URL=url
    )
    assert done.returncode != 0
    assert f"the database {named} has no tables" in done.stderr, done.stderr
    assert "RUN_DB_MIGRATIONS=true" in done.stderr and "Traceback" not in done.stderr
    password = make_url(url).password
    assert not password or str(password) not in done.stderr


def test_a_database_error_names_the_database(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://someone:hunter2-secret@127.0.0.1:1/nothing"
    done = run_command(
        tmp_path,
        "--handler",
        "praisonai_platform.worker.example_handler:handle",
        DATABASE_URL=url,
        APP_DATABASE_CONNECT_TIMEOUT_SECONDS="2",
    )
    assert done.returncode == 1, done.stderr
    assert "database error on PostgreSQL 127.0.0.1:1/nothing" in done.stderr, done.stderr
    assert "hunter2" not in done.stderr and "Traceback" not in done.stderr
