"""Throughput and latency of the platform's API against a no-database baseline, in one run.

Starts two servers on loopback, each one uvicorn process with uvloop and httptools: the platform on
a fresh SQLite file, and `nodb_app` (same routes and response shapes, no database). Drives both
with the same httpx workload:

  1. issue creates from one client, one after another (creates/s);
  2. issue creates from 16 concurrent clients in one other workspace (creates/s);
  3. both workspaces listed in full afterwards: every number from 1 up, none missing or doubled;
  4. listing 50 issues at an offset in the middle, one request at a time (median latency);
  5. getting one issue by its key (ENG-42), one request at a time (median latency).

Each figure is printed with its ratio to the baseline measured in the same round, and the rounds
alternate between the two servers, so a machine that gets busier or quieter part-way shifts both
sides. After the rounds, every ratio's range is checked against the acceptance targets.

Beside the latencies, each round shows the server's own CPU time per request (sequential creates,
lists, gets; read from /proc, so on Linux only): on a machine other work keeps busy, that moves
far less than wall-clock figures do.

Each round also measures what SQLite alone spends on one create, on the platform's database once
its server has stopped: the same writes (number, issue, audit entry, feed event, webhook lookup)
as plain `sqlite3` statements, with the server's pragmas, and the commit. Added to the no-database
app's time per sequential create, that gives the ratio a server could reach if all of its own work
cost nothing: the ceiling that the issue's search index and indexes leave for the creates ratio.

Rate limits stay on, with budgets no workload here reaches, so their bookkeeping is measured too.

With --floor, each round also measures `stack_floor_app`: the no-database app's routes with only
the database work no server can skip (numbering, insert, one SELECT per read), as SQLAlchemy Core
statements on the platform's own engine, with no credential lookup, audit trail or change feed.
Its ratios bound what any server on this stack could show, whatever its own code did.

Usage: .venv/bin/python benchmarks/api_bench.py [--creates 2000] [--clients 16] [--reads 200]
       [--rounds 3] [--floor]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-benchmark-secret-benchmark"
EMAIL = "bench@example.com"
PASSWORD = "bench-pass-bench-pass"
PLATFORM_CLI = [sys.executable, "-m", "praisonai_platform"]
UVICORN_FLAGS = ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning"]


@dataclass
class Figures:
    sequential_per_s: float
    concurrent_per_s: float
    list_p50_ms: float
    get_p50_ms: float
    errors: int
    numbering_faults: int  # numbers missing below the highest or doubled, both workspaces
    cpu_ms: tuple[float | None, float | None, float | None] = (None, None, None)
    """The server's CPU time per sequential create, list and get (None: not measurable)."""
    sqlite_create_ms: float | None = None
    """What SQLite alone spends on one create's writes (the platform only; see `sqlite_floor`)."""


@dataclass(frozen=True)
class Target:
    name: str
    value: Callable[[Figures, Figures], float]  # (platform, baseline) -> ratio
    at_least: bool
    bound: float


TARGETS = (
    Target("creates, sequential", lambda p, b: p.sequential_per_s / b.sequential_per_s, True, 0.6),
    Target("creates, 16 clients", lambda p, b: p.concurrent_per_s / b.concurrent_per_s, True, 0.5),
    Target("list p50", lambda p, b: p.list_p50_ms / b.list_p50_ms, False, 2.0),
    Target("get by key p50", lambda p, b: p.get_p50_ms / b.get_p50_ms, False, 1.5),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(command: list[str], environment: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return process
        except httpx.HTTPError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server on port {port} did not start")


async def numbering_faults(
    client: httpx.AsyncClient, headers: dict[str, str], workspace_id: str
) -> int:
    """Numbers missing below the highest, plus numbers given twice, in the workspace."""
    numbers: list[int] = []
    while True:
        response = await client.get(
            f"/api/v1/workspaces/{workspace_id}/issues/",
            params={"limit": 200, "offset": len(numbers)},
            headers=headers,
        )
        page = [issue["number"] for issue in response.json()]
        numbers += page
        if len(page) < 200:
            break
    # Failed creates give their numbers back, so what exists must still be exactly 1..N.
    missing = set(range(1, max(numbers, default=0) + 1)) - set(numbers)
    return len(missing) + (len(numbers) - len(set(numbers)))


def cpu_seconds(pid: int | None) -> float | None:
    """User plus system CPU time of process `pid` so far (Linux), else None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_request(pid: int | None, before: float | None, requests: int) -> float | None:
    after = cpu_seconds(pid)
    if before is None or after is None:
        return None
    return (after - before) / requests * 1000


async def drive(base_url: str, args: argparse.Namespace, pid: int | None = None) -> Figures:
    errors = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        signed_in = await client.post(
            "/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
        )
        signed_in.raise_for_status()
        headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}

        async def workspace(name: str) -> str:
            response = await client.post(
                "/api/v1/workspaces/", json={"name": name, "issue_prefix": "B"}, headers=headers
            )
            response.raise_for_status()
            return str(response.json()["id"])

        sequential_ws = await workspace("Sequential")
        url = f"/api/v1/workspaces/{sequential_ws}/issues/"
        started, cpu = time.perf_counter(), cpu_seconds(pid)
        for n in range(args.creates):
            response = await client.post(url, json={"title": f"issue {n}"}, headers=headers)
            errors += response.status_code != 201
        sequential = args.creates / (time.perf_counter() - started)
        create_cpu = cpu_per_request(pid, cpu, args.creates)

        concurrent_ws = await workspace("Concurrent")
        url = f"/api/v1/workspaces/{concurrent_ws}/issues/"
        remaining = iter(range(args.creates))

        async def creator() -> int:
            failed = 0
            async with httpx.AsyncClient(base_url=base_url, timeout=60) as own:
                for n in remaining:
                    response = await own.post(url, json={"title": f"issue {n}"}, headers=headers)
                    failed += response.status_code != 201
            return failed

        started = time.perf_counter()
        errors += sum(await asyncio.gather(*(creator() for _ in range(args.clients))))
        concurrent = args.creates / (time.perf_counter() - started)

        faults = 0
        for workspace_id in (sequential_ws, concurrent_ws):
            faults += await numbering_faults(client, headers, workspace_id)

        list_samples = []
        cpu = cpu_seconds(pid)
        for _ in range(args.reads):
            started = time.perf_counter()
            response = await client.get(
                f"/api/v1/workspaces/{sequential_ws}/issues/",
                params={"limit": 50, "offset": args.creates // 2},
                headers=headers,
            )
            list_samples.append(time.perf_counter() - started)
            errors += response.status_code != 200 or len(response.json()) != min(50, args.creates)
        list_cpu = cpu_per_request(pid, cpu, args.reads)

        get_samples = []
        cpu = cpu_seconds(pid)
        for n in range(args.reads):
            key = f"B-{n % args.creates + 1}"
            started = time.perf_counter()
            response = await client.get(
                f"/api/v1/workspaces/{sequential_ws}/issues/{key}", headers=headers
            )
            get_samples.append(time.perf_counter() - started)
            errors += response.status_code != 200 or response.json()["identifier"] != key
        get_cpu = cpu_per_request(pid, cpu, args.reads)
    return Figures(
        sequential,
        concurrent,
        statistics.median(list_samples) * 1000,
        statistics.median(get_samples) * 1000,
        errors,
        faults,
        (create_cpu, list_cpu, get_cpu),
    )


def run_server(
    command: list[str], environment: dict[str, str], port: int, args: argparse.Namespace
) -> Figures:
    process = start(command, environment, port)
    try:
        return asyncio.run(drive(f"http://127.0.0.1:{port}", args, process.pid))
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure_baseline(base_env: dict[str, str], args: argparse.Namespace) -> Figures:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "benchmarks.nodb_app:app", "--port", str(port)]
    environment = {**base_env, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), _path()]))}
    return run_server([*command, *UVICORN_FLAGS], environment, port, args)


def measure_floor(base_env: dict[str, str], args: argparse.Namespace, directory: str) -> Figures:
    environment = {
        **base_env,
        "DATABASE_URL": f"sqlite+aiosqlite:///{directory}/floor.db",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), _path()])),
    }
    subprocess.run(
        [*PLATFORM_CLI, "db", "upgrade"],
        env=environment,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "benchmarks.stack_floor_app:app"]
    return run_server([*command, "--port", str(port), *UVICORN_FLAGS], environment, port, args)


def measure_platform(base_env: dict[str, str], args: argparse.Namespace, directory: str) -> Figures:
    url = f"sqlite+aiosqlite:///{directory}/bench.db"
    port = free_port()
    environment = {
        **base_env,
        "DATABASE_URL": url,
        "RUN_DB_MIGRATIONS": "true",
        "PLATFORM_JWT_SECRET": SECRET,
        "PLATFORM_LOG_LEVEL": "warning",
        "PLATFORM_RATE_LIMIT_READS": "1000000/minute",
        "PLATFORM_RATE_LIMIT_WRITES": "1000000/minute",
    }
    command = [*PLATFORM_CLI, "serve", "--port", str(port)]
    process = start(command, environment, port)  # migrates the database
    try:
        subprocess.run(
            [*PLATFORM_CLI, "user", "create", "--email", EMAIL, "--password-stdin"],
            input=f"{PASSWORD}\n".encode(),
            env=environment,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        figures = asyncio.run(drive(f"http://127.0.0.1:{port}", args, process.pid))
    finally:
        process.terminate()
        process.wait(timeout=30)
    figures.sqlite_create_ms = sqlite_floor(Path(directory) / "bench.db", args.creates)
    return figures


def sqlite_floor(path: Path, creates: int) -> float:
    """Milliseconds SQLite alone spends on one issue create's writes, in its own transaction:
    the statements the server runs, without any of the server's Python around them."""
    from praisonai_platform.config import load_settings
    from praisonai_platform.db.sqlite import sqlite_pragmas

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for name, value in sqlite_pragmas(load_settings()).items():
            connection.execute(f"PRAGMA {name} = {value}")
        workspace_id, user_id = connection.execute(
            "SELECT workspace_id, user_id FROM members ORDER BY workspace_id LIMIT 1"
        ).fetchone()
        now = "2026-01-01 00:00:00.000000"
        started = time.perf_counter()
        for n in range(creates):
            connection.execute("BEGIN IMMEDIATE")
            (number,) = connection.execute(
                "UPDATE workspaces SET issue_counter = issue_counter + 1 WHERE id = ? "
                "RETURNING issue_counter",
                (workspace_id,),
            ).fetchone()
            issue_id = str(uuid.uuid4())
            connection.execute(
                "INSERT INTO issues (workspace_id, title, status, priority, created_by_id, "
                "issue_number, identifier, version, id, updated_at, created_at) "
                "VALUES (?, ?, 'backlog', 'medium', ?, ?, ?, 1, ?, ?, ?)",
                (workspace_id, f"issue {n}", user_id, number, f"B-{number}", issue_id, now, now),
            )
            details = f'{{"identifier": "B-{number}", "title": "issue {n}"}}'
            connection.execute(
                "INSERT INTO activity_logs (workspace_id, entity_type, entity_id, issue_id, "
                "action, actor_type, actor_id, details, id, created_at) "
                "VALUES (?, 'issue', ?, ?, 'created', 'user', ?, ?, ?, ?)",
                (workspace_id, issue_id, issue_id, user_id, details, str(uuid.uuid4()), now),
            )
            connection.execute(
                "INSERT INTO workspace_events (workspace_id, type, entity_type, entity_id, "
                "issue_id, actor_type, actor_id, data, created_at) "
                "VALUES (?, 'issue.created', 'issue', ?, ?, 'user', ?, ?, ?) RETURNING id",
                (workspace_id, issue_id, issue_id, user_id, details, now),
            ).fetchone()
            connection.execute(
                "SELECT id, workspace_id, event_types FROM webhook_subscriptions "
                "WHERE workspace_id IN (?) AND active = 1",
                (workspace_id,),
            ).fetchall()
            connection.execute("COMMIT")
        return (time.perf_counter() - started) / creates * 1000
    finally:
        connection.close()


def _path() -> str:
    return os.environ.get("PYTHONPATH", "")


def show(name: str, figures: Figures, args: argparse.Namespace) -> None:
    print(
        f"{name:>10}: sequential {figures.sequential_per_s:7.1f} creates/s | "
        f"{args.clients} clients {figures.concurrent_per_s:7.1f} creates/s | "
        f"list p50 {figures.list_p50_ms:6.2f} ms | get p50 {figures.get_p50_ms:6.2f} ms | "
        f"errors {figures.errors} | numbering faults {figures.numbering_faults}",
        flush=True,
    )
    if None not in figures.cpu_ms:
        create, listing, get = figures.cpu_ms
        print(
            f"{'':>10}  server CPU per request: create {create:.2f} ms | list {listing:.2f} ms | "
            f"get {get:.2f} ms",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--floor", action="store_true", help="also measure the stack's floor (stack_floor_app)"
    )
    args = parser.parse_args()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_URL"))}
    import praisonai_platform

    print(f"platform code: {Path(praisonai_platform.__file__).parent}", flush=True)
    rounds: list[tuple[Figures, Figures]] = []
    floors: list[tuple[Figures, Figures]] = []
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}", flush=True)
        baseline = measure_baseline(base_env, args)
        show("no-db", baseline, args)
        with tempfile.TemporaryDirectory() as directory:
            platform = measure_platform(base_env, args, directory)
        show("platform", platform, args)
        if args.floor:
            with tempfile.TemporaryDirectory() as directory:
                floor = measure_floor(base_env, args, directory)
            show("floor", floor, args)
            print(
                f"{'floor':>10}: "
                + " | ".join(f"{t.name} {t.value(floor, baseline):.2f}" for t in TARGETS),
                flush=True,
            )
            floors.append((floor, baseline))
        print(
            f"{'ratio':>10}: "
            + " | ".join(f"{t.name} {t.value(platform, baseline):.2f}" for t in TARGETS),
            flush=True,
        )
        print(
            f"{'sqlite':>10}: {platform.sqlite_create_ms:.2f} ms of SQLite work per create: "
            f"a sequential creates ratio of at most {ceiling(platform, baseline):.2f}",
            flush=True,
        )
        rounds.append((platform, baseline))
    report(rounds)
    if floors:
        print("the stack's floor (stack_floor_app / no-db, same round):")
        for target in TARGETS:
            ratios = [target.value(floor, baseline) for floor, baseline in floors]
            print(
                f"  {target.name:<20} {min(ratios):.2f}-{max(ratios):.2f} "
                f"(median {statistics.median(ratios):.2f})"
            )


def ceiling(platform: Figures, baseline: Figures) -> float:
    """The sequential creates ratio of a server whose only cost beyond the no-database app's is
    SQLite's own work for each create."""
    per_create_ms = 1000 / baseline.sequential_per_s
    return per_create_ms / (per_create_ms + (platform.sqlite_create_ms or 0.0))


def report(rounds: list[tuple[Figures, Figures]]) -> None:
    print(f"over {len(rounds)} rounds (platform / no-db, same round):")
    for target in TARGETS:
        ratios = [target.value(platform, baseline) for platform, baseline in rounds]
        median = statistics.median(ratios)
        met = median >= target.bound if target.at_least else median <= target.bound
        sign = ">=" if target.at_least else "<="
        print(
            f"  {target.name:<20} {min(ratios):.2f}-{max(ratios):.2f} (median {median:.2f}; "
            f"target {sign} {target.bound}) {'met' if met else 'MISSED'}"
        )
    ceilings = [ceiling(platform, baseline) for platform, baseline in rounds]
    floors = [platform.sqlite_create_ms or 0.0 for platform, _ in rounds]
    print(
        f"  {'SQLite per create':<20} {min(floors):.2f}-{max(floors):.2f} ms: the creates ratio "
        f"can reach {min(ceilings):.2f}-{max(ceilings):.2f} at most"
    )
    errors = sum(platform.errors for platform, _ in rounds)
    faults = sum(platform.numbering_faults for platform, _ in rounds)
    print(f"  {'errors':<20} {errors} (target 0) {'met' if errors == 0 else 'MISSED'}")
    print(f"  {'numbering faults':<20} {faults} (target 0) {'met' if faults == 0 else 'MISSED'}")


if __name__ == "__main__":
    main()
