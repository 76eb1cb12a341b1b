"""Acceptance: real worker processes (`praisonai-platform worker`) on one database drain the
queue with every run completed exactly once, and a killed worker's run is taken back."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from praisonai_platform.db import get_engine, session_scope
from praisonai_platform.db.models import Agent, Event, EventType, Run, RunState, Worker, Workspace
from praisonai_platform.db.types import new_id, utcnow
from tests.forkserver import run_cli
from tests.runs.processes import (
    recorded,
    runs_in,
    start_worker,
    stop,
    wait_until,
    workers_running,
)

PROCESSES = 8
SLOTS = 4
RUNS = 500


async def make_runs(count: int, **fields: object) -> list[str]:
    """A workspace, an agent that may run many at once, and `count` pending runs, oldest first."""
    async with session_scope() as session:
        workspace = Workspace(name="Queue", slug=f"queue-{new_id()[:8]}")
        session.add(workspace)
        await session.flush()
        agent = Agent(workspace_id=workspace.id, name="Drainer", max_concurrent_tasks=1000)
        session.add(agent)
        await session.flush()
        start = utcnow()
        rows = [
            {
                "id": new_id(),
                "workspace_id": workspace.id,
                "agent_id": agent.id,
                "created_at": start + timedelta(microseconds=n),
                "updated_at": start,
                **fields,
            }
            for n in range(count)
        ]
        await session.execute(insert(Run), rows)
        return [row["id"] for row in rows]


async def event_counts(event_type: EventType) -> collections.Counter[str]:
    async with session_scope(read_only=True) as session:
        rows = await session.execute(
            select(Event.run_id, func.count())
            .where(Event.event_type == event_type)
            .group_by(Event.run_id)
        )
        return collections.Counter({run_id: n for run_id, n in rows})


async def test_eight_workers_with_four_slots_complete_500_runs_exactly_once(
    db_url: str, tmp_path: Path
) -> None:
    get_engine(db_url)
    run_ids = set(await make_runs(RUNS))
    record, log = tmp_path / "record.txt", tmp_path / "workers.log"
    processes = [
        start_worker(db_url, record, log, concurrency=SLOTS, worker_id=f"drainer-{n}")
        for n in range(PROCESSES)
    ]
    with workers_running(processes):

        async def drained() -> bool:
            assert all(p.poll() is None for p in processes), log.read_text()[-3000:]
            return await runs_in(RunState.COMPLETED) == RUNS

        await wait_until(drained, seconds=240, interval=0.5)
        assert [stop(p) for p in processes] == [0] * PROCESSES, log.read_text()[-3000:]

    calls = recorded(record)
    handled = collections.Counter(call[0] for call in calls)
    assert set(handled) == run_ids
    assert max(handled.values()) == 1  # no run was handed to a handler twice
    assert {call[3] for call in calls} == {"-"}  # no web framework in any worker process
    assert len({call[1] for call in calls}) > PROCESSES // 2  # the work was shared
    for event_type in (EventType.RUN_PROCESSING, EventType.RUN_COMPLETED):
        counts = await event_counts(event_type)
        assert set(counts) == run_ids and set(counts.values()) == {1}, event_type
    async with session_scope(read_only=True) as session:
        by_worker = {
            worker_id: n
            for worker_id, n in await session.execute(
                select(Run.worker_id, func.count()).group_by(Run.worker_id)
            )
        }
        statuses = (await session.execute(select(Worker.id, Worker.stopped_at))).all()
    assert sum(by_worker.values()) == RUNS and None not in by_worker
    assert len(statuses) == PROCESSES and all(s is not None for _, s in statuses)
    assert "Traceback" not in log.read_text()


async def test_a_killed_workers_runs_are_reclaimed_or_failed_past_their_limit(
    db_url: str, tmp_path: Path
) -> None:
    get_engine(db_url)
    (retried,) = await make_runs(1, max_attempts=3, parameters={"sleep": 30, "sleep_attempts": 1})
    (last,) = await make_runs(1, max_attempts=1, parameters={"sleep": 30})
    record, log = tmp_path / "record.txt", tmp_path / "workers.log"
    short = {"lease_seconds": 2, "heartbeat_seconds": 0.3}
    doomed = start_worker(db_url, record, log, concurrency=2, worker_id="doomed", **short)
    with workers_running([doomed]):
        await wait_until(lambda: _recorded_count(record, 2), seconds=60)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    async with session_scope(read_only=True) as session:
        held = await session.scalars(select(Run.state).where(Run.worker_id == "doomed"))
        assert set(held) == {RunState.PROCESSING}  # nobody released them: the worker just died

    rescuer = start_worker(db_url, record, log, worker_id="rescuer", **short)
    with workers_running([rescuer]):

        async def settled() -> bool:
            async with session_scope(read_only=True) as session:
                states = set(await session.scalars(select(Run.state)))
            return states <= {RunState.COMPLETED, RunState.FAILED}

        await wait_until(settled, seconds=60)
        assert stop(rescuer) == 0, log.read_text()[-3000:]

    async with session_scope(read_only=True) as session:
        first = await session.get(Run, retried)
        second = await session.get(Run, last)
        kinds = list(
            await session.scalars(
                select(Event.event_type).where(Event.run_id == retried).order_by(Event.created_at)
            )
        )
    assert first is not None and second is not None
    assert (first.state, first.worker_id, first.attempt_count) == (RunState.COMPLETED, "rescuer", 2)
    assert kinds == [
        EventType.RUN_PROCESSING,
        EventType.RUN_RECLAIMED,
        EventType.RUN_PROCESSING,
        EventType.RUN_COMPLETED,
    ]
    assert (second.state, second.failure_reason, second.attempt_count) == (
        RunState.FAILED,
        "lease_expired",
        1,
    )
    calls = [(call[0], call[1], call[2]) for call in recorded(record)]
    assert sorted(calls) == sorted(
        [(retried, "doomed", "1"), (retried, "rescuer", "2"), (last, "doomed", "1")]
    )


async def test_sigterm_lets_running_handlers_finish_and_releases_the_rest(
    db_url: str, tmp_path: Path
) -> None:
    get_engine(db_url)
    (quick,) = await make_runs(1, parameters={"sleep": 1})
    (stuck,) = await make_runs(1, parameters={"sleep": 600})
    record, log = tmp_path / "record.txt", tmp_path / "worker.log"
    worker = start_worker(
        db_url, record, log, handler="tests.runs.handlers:hang_if_asked", concurrency=2,
        worker_id="polite", grace_seconds=3,
    )  # fmt: skip
    with workers_running([worker]):
        await wait_until(lambda: _recorded_count(record, 2), seconds=60)
        started = time.monotonic()
        try:
            code = stop(worker)
        except subprocess.TimeoutExpired:
            pytest.fail(f"no exit 30 s after SIGTERM; the worker's log:\n{log.read_text()[-3000:]}")
        assert code == 0, log.read_text()[-3000:]
        assert time.monotonic() - started < 15
    async with session_scope(read_only=True) as session:
        finished = await session.get(Run, quick)
        released = await session.get(Run, stuck)
        polite = await session.get(Worker, "polite")
    assert finished is not None and finished.state is RunState.COMPLETED
    assert released is not None
    assert (released.state, released.worker_id, released.attempt_count) == (
        RunState.PENDING,
        None,
        0,
    )
    assert polite is not None and polite.stopped_at is not None


def test_the_worker_package_loads_no_web_framework() -> None:
    code = (
        "import sys\n"
        "import praisonai_platform.worker, praisonai_platform.worker.example_handler\n"
        "import praisonai_platform.cli.worker_command\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'flask') or m.startswith('praisonai_platform.api'))\n"
        "print(loaded)\n"
        "assert 'praisonai_platform.runs.queue' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_command_refuses_what_cannot_work(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))}
    environment.pop("DATABASE_URL", None)

    def worker(*arguments: str) -> subprocess.CompletedProcess[str]:
        return run_cli("worker", *arguments, env=environment, cwd=tmp_path)

    in_memory = worker("--handler", "praisonai_platform.worker.example_handler:handle")
    assert in_memory.returncode != 0 and "DATABASE_URL" in in_memory.stderr
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    for handler, problem in (
        ("no_colon", "module:function"),
        ("no.such.module:handle", "cannot import"),
        ("praisonai_platform.worker.example_handler:nothing", "has no nothing"),
        ("os:sep", "not callable"),
        ("os:getcwd", "must accept two arguments"),
    ):
        done = worker("--handler", handler, "--database-url", url)
        assert done.returncode == 2, (handler, done.stderr)
        assert problem in done.stderr and "Traceback" not in done.stderr, handler


async def _recorded_count(record: Path, count: int) -> bool:
    return len(recorded(record)) >= count
