"""Running a blocking handler without keeping the process alive for it.

asyncio's executor threads are joined when the interpreter exits, so one hung handler would keep
a worker that was told to stop from ever exiting. A daemon thread per run is not waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_daemon_thread(function: Callable[..., T], *args: Any, name: str) -> asyncio.Future[T]:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def target() -> None:
        try:
            result = context.run(function, *args)
        except BaseException as exc:
            settle = functools.partial(_set_exception, future, exc)
        else:
            settle = functools.partial(_set_result, future, result)
        # A closed loop: nobody waits for this result any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle)

    threading.Thread(target=target, name=name, daemon=True).start()
    return future


def _set_result(future: asyncio.Future[T], result: T) -> None:
    if not future.done():
        future.set_result(result)


def _set_exception(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
