"""Does a flood of sign-ins slow down everyone else? Another user's issue creates, quiet and during
a flood of anonymous logins, on one server process.

Starts the platform (one uvicorn process, uvloop and httptools) on a SQLite file, or on the
PostgreSQL database given with --database-url (its tables are dropped and made again). Rate
limits are switched off: this measures what the flood costs, not how soon it is refused. Prints
the median latency of another user's creates on a quiet server, then while `--logins` logins
(wrong passwords for a real account and unknown emails, half each) run `--at-once` at a time,
and the ratio of the two (the goal: within 3x), with any 5xx counted.

Usage: .venv/bin/python benchmarks/login_flood.py [--logins 100] [--at-once 8] [--quiet 50]
                                                  [--database-url postgresql+asyncpg://…]
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
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-benchmark-secret-benchmark"
PASSWORD = "benchmark password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(environment: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "praisonai_platform", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=environment, cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server on port {port} did not start")


async def register(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    account = {"email": email, "password": PASSWORD}
    (await client.post("/api/v1/auth/register", json=account)).raise_for_status()
    response = await client.post("/api/v1/auth/login", json=account)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def drive(base_url: str, logins: int, at_once: int, quiet: int) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        await register(client, "target@example.com")
        headers = await register(client, "bystander@example.com")
        workspace = await client.post(
            "/api/v1/workspaces/", json={"name": "Bench", "issue_prefix": "B"}, headers=headers
        )
        url = f"/api/v1/workspaces/{workspace.json()['id']}/issues/"
        errors = 0

        async def create(n: int) -> float:
            nonlocal errors
            started = time.perf_counter()
            response = await client.post(url, json={"title": f"issue {n}"}, headers=headers)
            errors += response.status_code >= 500 or response.status_code != 201
            return time.perf_counter() - started

        for n in range(5):  # warm up
            await create(n)
        quiet_samples = [await create(n) for n in range(quiet)]

        gate = asyncio.Semaphore(at_once)
        login_5xx = 0
        flood_done = asyncio.Event()

        async def login(n: int) -> None:
            nonlocal login_5xx
            email = "target@example.com" if n % 2 == 0 else f"nobody-{n}@example.com"
            async with gate, httpx.AsyncClient(base_url=base_url, timeout=120) as own:
                response = await own.post(
                    "/api/v1/auth/login", json={"email": email, "password": f"guess {n}"}
                )
                login_5xx += response.status_code >= 500

        async def flood() -> float:
            started = time.perf_counter()
            await asyncio.gather(*(login(n) for n in range(logins)))
            flood_done.set()
            return time.perf_counter() - started

        async def creates_during() -> list[float]:
            await asyncio.sleep(0.3)  # let the flood get going
            samples = []
            n = 0
            while not flood_done.is_set():
                samples.append(await create(10_000 + n))
                n += 1
            return samples

        flood_seconds, busy_samples = await asyncio.gather(flood(), creates_during())

    quiet_ms = statistics.median(quiet_samples) * 1000
    busy_ms = statistics.median(busy_samples) * 1000 if busy_samples else float("nan")
    print(f"machine: {os.cpu_count()} CPUs")
    print(f"quiet : create median {quiet_ms:7.1f} ms over {len(quiet_samples)} creates")
    print(
        f"flood : create median {busy_ms:7.1f} ms over {len(busy_samples)} creates, while "
        f"{logins} logins ran {at_once} at a time ({flood_seconds:.1f} s)"
    )
    print(
        f"ratio : {busy_ms / quiet_ms:.2f}x (goal <= 3) | create errors {errors} | "
        f"login 5xx {login_5xx}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=100)
    parser.add_argument("--at-once", type=int, default=8)
    parser.add_argument("--quiet", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_URL"))}
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{directory}/bench.db"
        if args.database_url:
            subprocess.run(
                [sys.executable, "-m", "praisonai_platform", "db", "downgrade", "base"],
                env={**base_env, "DATABASE_URL": url},
                cwd=ROOT,
                check=False,
            )
        port = free_port()
        process = start(
            {
                **base_env,
                "DATABASE_URL": url,
                "RUN_DB_MIGRATIONS": "true",
                "PLATFORM_JWT_SECRET": SECRET,
                "PLATFORM_LOG_LEVEL": "warning",
                "PLATFORM_RATE_LIMIT_ENABLED": "false",
            },
            port,
        )
        try:
            asyncio.run(drive(f"http://127.0.0.1:{port}", args.logins, args.at_once, args.quiet))
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
