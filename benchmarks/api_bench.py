"""Throughput and latency of the platform's API against a no-database baseline, in one run.

Starts two servers on loopback, each one uvicorn process with uvloop and httptools: the platform on
a SQLite file, and `nodb_app` (same routes and response shapes, no database). Drives both with the
same httpx workload and prints each figure with its ratio to the baseline:

  1. 2,000 issue creates from one client, one after another;
  2. 2,000 issue creates from 16 concurrent clients in one workspace;
  3. listing 50 of 2,000 issues, 200 times (median latency).

Usage: .venv/bin/python benchmarks/api_bench.py [--creates 2000] [--clients 16] [--lists 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-benchmark-secret-benchmark"


@dataclass
class Figures:
    sequential_per_s: float
    concurrent_per_s: float
    list_p50_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(command: list[str], environment: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=environment, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server on port {port} did not start")


async def drive(base_url: str, creates: int, clients: int, lists: int) -> Figures:
    errors = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        token = (
            await client.post(
                "/api/v1/auth/register",
                json={"email": "bench@example.com", "password": "bench-pass"},
            )
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def workspace() -> str:
            response = await client.post(
                "/api/v1/workspaces/", json={"name": "Bench", "issue_prefix": "B"}, headers=headers
            )
            return str(response.json()["id"])

        sequential_ws = await workspace()
        url = f"/api/v1/workspaces/{sequential_ws}/issues/"
        started = time.perf_counter()
        for n in range(creates):
            response = await client.post(url, json={"title": f"issue {n}"}, headers=headers)
            errors += response.status_code != 201
        sequential = creates / (time.perf_counter() - started)

        concurrent_ws = await workspace()
        url = f"/api/v1/workspaces/{concurrent_ws}/issues/"
        remaining = iter(range(creates))

        async def creator() -> int:
            failed = 0
            async with httpx.AsyncClient(base_url=base_url, timeout=60) as own:
                for n in remaining:
                    response = await own.post(url, json={"title": f"issue {n}"}, headers=headers)
                    failed += response.status_code != 201
            return failed

        started = time.perf_counter()
        errors += sum(await asyncio.gather(*(creator() for _ in range(clients))))
        concurrent = creates / (time.perf_counter() - started)

        samples = []
        for _ in range(lists):
            started = time.perf_counter()
            response = await client.get(
                f"/api/v1/workspaces/{sequential_ws}/issues/",
                params={"limit": 50, "offset": creates // 2},
                headers=headers,
            )
            samples.append(time.perf_counter() - started)
            errors += response.status_code != 200 or len(response.json()) != min(50, creates)
    return Figures(sequential, concurrent, statistics.median(samples) * 1000, errors)


def measure(
    name: str, command: list[str], environment: dict[str, str], port: int, args: argparse.Namespace
) -> Figures:
    process = start(command, environment, port)
    try:
        figures = asyncio.run(
            drive(f"http://127.0.0.1:{port}", args.creates, args.clients, args.lists)
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(
        f"{name:>10}: sequential {figures.sequential_per_s:7.1f} creates/s | "
        f"{args.clients} clients {figures.concurrent_per_s:7.1f} creates/s | "
        f"list p50 {figures.list_p50_ms:6.2f} ms | errors {figures.errors}"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--lists", type=int, default=200)
    args = parser.parse_args()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_URL"))}
    uvicorn_flags = ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning"]

    port = free_port()
    baseline = measure(
        "no-db",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.nodb_app:app",
            "--port",
            str(port),
            *uvicorn_flags,
        ],
        {**base_env, "PYTHONPATH": str(ROOT)},
        port,
        args,
    )
    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        platform = measure(
            "platform",
            [sys.executable, "-m", "praisonai_platform", "serve", "--port", str(port)],
            {
                **base_env,
                "DATABASE_URL": f"sqlite+aiosqlite:///{directory}/bench.db",
                "RUN_DB_MIGRATIONS": "true",
                "PLATFORM_JWT_SECRET": SECRET,
                "PLATFORM_LOG_LEVEL": "warning",
            },
            port,
            args,
        )
    print(
        f"{'ratio':>10}: sequential {platform.sequential_per_s / baseline.sequential_per_s:.2f} "
        f"(target >= 0.6) | concurrent {platform.concurrent_per_s / baseline.concurrent_per_s:.2f} "
        f"(target >= 0.6) | list p50 {platform.list_p50_ms / baseline.list_p50_ms:.2f}x "
        "(target <= 2)"
    )


if __name__ == "__main__":
    main()
