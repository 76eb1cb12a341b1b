"""Worker processes for the acceptance tests: `python -m praisonai_platform worker …` on the
test's database, with short timings."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Run, RunState

ROOT = Path(__file__).resolve().parents[2]


# The installed console script: unlike `python -m`, it does not put the current directory on
# sys.path, which is how users start workers.
CONSOLE_SCRIPT = Path(sys.executable).parent / "praisonai-platform"


def clean_environment(**variables: str) -> dict[str, str]:
    """The test process's environment without database, platform or import-path settings."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("APP_", "PLATFORM_")) and k not in ("DATABASE_URL", "PYTHONPATH")
    }
    return {**inherited, **variables}


def start_worker(
    db_url: str,
    record: Path,
    log: Path,
    *,
    handler: str = "tests.runs.handlers:record",
    concurrency: int = 1,
    worker_id: str | None = None,
    lease_seconds: float = 10,
    heartbeat_seconds: float = 0.5,
    grace_seconds: float = 10,
    cwd: Path = ROOT,
    console_script: bool = False,
    **variables: str,
) -> subprocess.Popen[bytes]:
    """`variables` are more environment variables, e.g. PLATFORM_LOG_LEVEL="info"."""
    environment = clean_environment(
        DATABASE_URL=db_url,
        RUN_TEST_RECORD=str(record),
        PLATFORM_RUN_LEASE_SECONDS=str(lease_seconds),
        PLATFORM_RUN_HEARTBEAT_SECONDS=str(heartbeat_seconds),
        PLATFORM_WORKER_POLL_SECONDS="0.1",
        PLATFORM_WORKER_MAINTENANCE_SECONDS="1",
        PLATFORM_WORKER_SHUTDOWN_GRACE_SECONDS=str(grace_seconds),
        **{"PLATFORM_LOG_LEVEL": "warning", **variables},
    )
    program = (
        [str(CONSOLE_SCRIPT)] if console_script else [sys.executable, "-m", "praisonai_platform"]
    )
    command = [*program, "worker", "--handler", handler, "--concurrency", str(concurrency)]
    if worker_id:
        command += ["--worker-id", worker_id]
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, cwd=cwd, env=environment, stdout=output, stderr=output)


@contextmanager
def workers_running(processes: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    """Kill whatever is still running when the block ends (a failed test)."""
    try:
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout)


async def wait_until(condition, seconds: float, interval: float = 0.2) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval)


async def runs_in(state: RunState) -> int:
    async with session_scope(read_only=True) as session:
        return int(
            await session.scalar(select(func.count()).select_from(Run).where(Run.state == state))
            or 0
        )


def recorded(record: Path) -> list[list[str]]:
    if not record.exists():
        return []
    return [line.split(" ") for line in record.read_text().splitlines()]
