"""Handlers the worker-process tests run (`--handler tests.runs.handlers:record`).

Each call appends one line to the file named by RUN_TEST_RECORD, in one O_APPEND write, so
concurrent processes never interleave lines: `<run id> <worker id> <attempt> <web modules>`,
the last field naming any web framework the worker process had loaded (`-` for none).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

WEB_FRAMEWORKS = ("fastapi", "starlette", "flask")


def web_modules() -> list[str]:
    return sorted(name for name in sys.modules if name.split(".")[0] in WEB_FRAMEWORKS)


def _append(run: Any, context: Any) -> None:
    loaded = ",".join(web_modules()) or "-"
    line = f"{run.id} {context.worker_id} {run.attempt} {loaded}\n".encode()
    descriptor = os.open(os.environ["RUN_TEST_RECORD"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def record(run: Any, context: Any) -> dict[str, Any]:
    """Record the call; then sleep `parameters["sleep"]` seconds (waking for a stop) on attempts
    up to `parameters["sleep_attempts"]` (all by default), and fail if `parameters["fail"]`."""
    _append(run, context)
    seconds = run.parameters.get("sleep", 0)
    if seconds and run.attempt <= run.parameters.get("sleep_attempts", run.attempt):
        context.wait_for_stop(seconds)
    if run.parameters.get("fail"):
        raise RuntimeError("asked to fail")
    return {"worker": context.worker_id, "attempt": run.attempt}


def hang_if_asked(run: Any, context: Any) -> dict[str, Any]:
    """Record the call, then block `parameters["sleep"]` seconds, deaf to stop requests and
    shutdown alike."""
    _append(run, context)
    time.sleep(run.parameters.get("sleep", 0))
    return {}


async def record_async(run: Any, context: Any) -> dict[str, Any]:
    _append(run, context)
    seconds = run.parameters.get("sleep", 0)
    if seconds:
        await asyncio.sleep(seconds)
    return {"worker": context.worker_id}
