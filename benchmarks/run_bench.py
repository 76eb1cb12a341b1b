"""How fast worker processes drain the run queue, and that no run is ever done twice.

For each backend (a SQLite file, and PostgreSQL when reachable) the benchmark migrates a fresh
database, starts K worker processes with S slots each running a no-op handler, waits until all
of them are online, queues N runs in one transaction and waits until every run is completed.
It prints per backend:

  - runs/s: N divided by the time from queueing the runs to the last completion;
  - drain runs/s: N divided by the time from the first claim to the last completion (what the
    workers sustain once they are busy, without the idle poll before the first claim);
  - claim p50/p95: how long one claim round trip that returned work took in a worker, waiting
    for the database included;
  - doubles: runs done twice, counted from the database (more than one `run_processing` or
    `run_completed` event, or an attempt count other than 1) and from the handlers' own record
    of the runs they were handed. It must be 0.

`--compare SRC` runs the same drains, in the same run, with the worker processes importing the
package from another source tree (e.g. a clone of an older commit) and prints the ratio, so
machine noise affects both sides alike.

Usage:
  .venv/bin/python benchmarks/run_bench.py [--runs 2000] [--workers 4] [--slots 4]
      [--backends sqlite postgres] [--repeat 1] [--compare /path/to/other/src]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

import praisonai_platform
from praisonai_platform.config import derive_alembic_database_url, load_settings
from praisonai_platform.db import get_engine, migrate, reset_engine, session_scope
from praisonai_platform.db.models import Agent, Event, EventType, Run, RunState, Worker, Workspace
from praisonai_platform.db.types import new_id

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")


@dataclass
class Figures:
    runs_per_s: float
    drain_per_s: float
    claim_p50_ms: float
    claim_p95_ms: float
    claim_round_trips: int
    doubles: int
    missing: int


# The worker side ---------------------------------------------------------------------------------


def worker_main(args: argparse.Namespace) -> None:
    """One worker process: the product's worker loop with a no-op handler, its claim round trips
    timed; what it saw is written to `--out` when it stops."""
    from praisonai_platform.worker.loop import WorkerLoop

    handled: list[str] = []

    async def noop(run: Any, context: Any) -> None:
        handled.append(run.id)

    loop = WorkerLoop(noop, concurrency=args.slots, worker_id=args.worker_id)
    claims: list[float] = []
    # The loop's claiming step: one claim (or one batch of claims) per call.
    name = "_claim_batch" if hasattr(loop, "_claim_batch") else "_claim"
    claim = getattr(loop, name)

    async def timed_claim(*arguments: Any) -> Any:
        started = time.perf_counter()
        answer = await claim(*arguments)
        if answer:
            claims.append(time.perf_counter() - started)
        return answer

    setattr(loop, name, timed_claim)

    async def work() -> None:
        event_loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            event_loop.add_signal_handler(signum, loop.request_shutdown)
        try:
            await loop.run()
        finally:
            await reset_engine()

    asyncio.run(work())
    Path(args.out).write_text(
        json.dumps({"handled": handled, "claims": claims, "package": praisonai_platform.__file__})
    )


# The driver side ---------------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, postgres_url: str) -> Iterator[str]:
    """A migrated, empty database of the backend; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{directory}/runs.db"
            migrate.upgrade(load_settings(database_url=url), "head")
            yield url
        return
    name = f"run_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(derive_alembic_database_url(postgres_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(load_settings(database_url=url), "head")
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable(url: str) -> bool:
    engine = create_engine(derive_alembic_database_url(url))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception as exc:
        print(f"PostgreSQL not reachable ({type(exc).__name__}); skipping it", file=sys.stderr)
        return False
    finally:
        engine.dispose()


async def queue_runs(count: int) -> set[str]:
    async with session_scope() as session:
        workspace = Workspace(name="Bench", slug=f"bench-{new_id()[:8]}")
        session.add(workspace)
        await session.flush()
        agent = Agent(workspace_id=workspace.id, name="No-op", max_concurrent_tasks=count)
        session.add(agent)
        await session.flush()
        start = datetime.now(UTC)
        rows = [
            {
                "id": new_id(),
                "workspace_id": workspace.id,
                "agent_id": agent.id,
                "created_at": start + timedelta(microseconds=n),
                "updated_at": start,
            }
            for n in range(count)
        ]
        await session.execute(insert(Run), rows)
    return {row["id"] for row in rows}


async def scalar(statement: Any) -> Any:
    async with session_scope(read_only=True) as session:
        return await session.scalar(statement)


async def wait_for(
    condition: Any, processes: list[subprocess.Popen[bytes]], seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        if any(process.poll() is not None for process in processes):
            raise SystemExit("a worker process died; see its output above")
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        await asyncio.sleep(0.02)


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def start_workers(
    url: str, args: argparse.Namespace, source: str | None, outputs: list[Path]
) -> list[subprocess.Popen[bytes]]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("APP_", "PLATFORM_")) and k != "DATABASE_URL"
    }
    environment.update(DATABASE_URL=url, PLATFORM_LOG_LEVEL="warning")
    environment.update(args.env)
    if source is not None:
        environment["PYTHONPATH"] = source
    command = [sys.executable, str(Path(__file__).resolve()), "worker", "--slots", str(args.slots)]
    return [
        subprocess.Popen(
            [*command, "--worker-id", f"bench-{n}", "--out", str(path)], env=environment
        )
        for n, path in enumerate(outputs)
    ]


def drain(url: str, args: argparse.Namespace, source: str | None, out: Path) -> Figures:
    outputs = [out / f"worker-{n}.json" for n in range(args.workers)]
    processes = start_workers(url, args, source, outputs)
    try:
        queued, run_ids = asyncio.run(queue_and_wait(url, args, processes))
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    reports = [json.loads(path.read_text()) for path in outputs]
    expected = (
        str(Path(source) / "praisonai_platform" / "__init__.py")
        if source
        else praisonai_platform.__file__
    )
    packages = {report["package"] for report in reports}
    assert packages == {expected}, f"workers imported {packages}, expected {expected}"
    handed = collections.Counter(run_id for report in reports for run_id in report["handled"])
    claims = sorted(second for report in reports for second in report["claims"])
    doubled, first, last = asyncio.run(check(url))
    doubled |= {run_id for run_id, n in handed.items() if n > 1}
    return Figures(
        runs_per_s=args.runs / (_epoch(last) - queued),
        drain_per_s=args.runs / (_epoch(last) - _epoch(first)),
        claim_p50_ms=statistics.median(claims) * 1000,
        claim_p95_ms=claims[int(len(claims) * 0.95)] * 1000,
        claim_round_trips=len(claims),
        doubles=len(doubled),
        missing=len(run_ids - set(handed)),
    )


async def queue_and_wait(
    url: str, args: argparse.Namespace, processes: list[subprocess.Popen[bytes]]
) -> tuple[float, set[str]]:
    """Once every worker is online, queue the runs; wait until all are completed."""
    get_engine(url)
    try:

        async def online() -> bool:
            count = await scalar(select(func.count()).select_from(Worker))
            return bool(count == args.workers)

        await wait_for(online, processes, 60)
        await asyncio.sleep(0.5)  # every worker past its first (empty) claim, polling
        run_ids = await queue_runs(args.runs)
        queued = time.time()

        async def done() -> bool:
            completed = await scalar(
                select(func.count()).select_from(Run).where(Run.state == RunState.COMPLETED)
            )
            return bool(completed == args.runs)

        await wait_for(done, processes, 600)
        return queued, run_ids
    finally:
        await reset_engine()


async def check(url: str) -> tuple[set[str], datetime, datetime]:
    """Runs done twice according to the database, and when the first and last were done."""
    get_engine(url)
    try:
        async with session_scope(read_only=True) as session:
            events = collections.Counter(
                (run_id, event_type)
                for run_id, event_type in await session.execute(
                    select(Event.run_id, Event.event_type).where(
                        Event.event_type.in_([EventType.RUN_PROCESSING, EventType.RUN_COMPLETED])
                    )
                )
            )
            attempts = dict((await session.execute(select(Run.id, Run.attempt_count))).all())
            first, last = (
                await session.execute(select(func.min(Run.started_at), func.max(Run.finished_at)))
            ).one()
    finally:
        await reset_engine()
    doubled = {run_id for (run_id, _), n in events.items() if n > 1}
    doubled |= {run_id for run_id, n in attempts.items() if n != 1}
    return doubled, first, last


def show(label: str, figures: Figures) -> None:
    print(
        f"{label:<24} {figures.runs_per_s:8.1f} runs/s | drain {figures.drain_per_s:8.1f} runs/s"
        f" | claim p50 {figures.claim_p50_ms:6.1f} ms p95 {figures.claim_p95_ms:6.1f} ms"
        f" ({figures.claim_round_trips} round trips) | doubles {figures.doubles}"
        f" | not handled {figures.missing}",
        flush=True,
    )


def driver_main(args: argparse.Namespace) -> None:
    print(
        f"{args.runs} runs, {args.workers} worker processes x {args.slots} slots, "
        f"no-op handler; package {Path(praisonai_platform.__file__).parent}"
    )
    sides: list[tuple[str, str | None]] = [("this", None)]
    if args.compare:
        sides.append(("compare", str(Path(args.compare).resolve())))
    failed = False
    for backend in args.backends:
        if backend == "postgres" and not postgres_reachable(args.postgres_url):
            continue
        results: dict[str, list[Figures]] = {name: [] for name, _ in sides}
        for round_number in range(args.repeat):
            for name, source in sides:
                with (
                    fresh_database(backend, args.postgres_url) as url,
                    tempfile.TemporaryDirectory() as out,
                ):
                    figures = drain(url, args, source, Path(out))
                show(f"{backend} {name} #{round_number + 1}", figures)
                results[name].append(figures)
                failed |= figures.doubles > 0 or figures.missing > 0
        if args.compare:
            this = statistics.median(f.runs_per_s for f in results["this"])
            other = statistics.median(f.runs_per_s for f in results["compare"])
            this_drain = statistics.median(f.drain_per_s for f in results["this"])
            other_drain = statistics.median(f.drain_per_s for f in results["compare"])
            print(
                f"{backend} ratio this/compare (medians): runs/s {this / other:.2f}x, "
                f"drain {this_drain / other_drain:.2f}x",
                flush=True,
            )
    if failed:
        raise SystemExit("a run was done twice or not at all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    worker = commands.add_parser("worker", help="(internal) one worker process")
    worker.add_argument("--slots", type=int, required=True)
    worker.add_argument("--worker-id", required=True)
    worker.add_argument("--out", required=True)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4, help="worker processes")
    parser.add_argument("--slots", type=int, default=4, help="concurrent runs per worker")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--compare", help="another source tree (its src folder) to measure")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PLATFORM_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        type=lambda pair: tuple(pair.split("=", 1)),
        help="NAME=VALUE for the worker processes, e.g. PLATFORM_WORKER_POLL_SECONDS=0.1",
    )
    args = parser.parse_args()
    if args.command == "worker":
        worker_main(args)
    else:
        args.env = dict(args.env)
        driver_main(args)


if __name__ == "__main__":
    main()
