"""Stopping gracefully: /ready answers 503 from the moment a stop is asked for.

uvicorn handles SIGTERM and SIGINT itself: it stops accepting connections at once, lets the
requests in progress finish, then runs the application's shutdown. A load balancer that keeps
connections alive learns of the stop only through /ready, so the server's handler is wrapped:
the signal marks the application as draining (/ready turns 503) and reaches uvicorn after
PLATFORM_SHUTDOWN_DRAIN_SECONDS, during which requests are still served. A second signal goes
through at once.

Only a handler that some server installed is wrapped (a process without one, such as a test
calling the application in-process, keeps its signals as they are).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

logger = logging.getLogger("praisonai_platform")

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def draining_on_signals(
    state: Any, drain_seconds: float, loop: asyncio.AbstractEventLoop
) -> Iterator[None]:
    """While the block runs, a stop signal sets `state.draining` and is passed on to the
    server's own handler `drain_seconds` later."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wrapped: dict[int, Callable[[int, FrameType | None], Any]] = {}
    for number in SIGNALS:
        handler = signal.getsignal(number)
        if callable(handler) and handler is not signal.default_int_handler:
            wrapped[number] = handler

    def stop_asked(number: int, frame: FrameType | None) -> None:
        forward = wrapped[number]
        if getattr(state, "draining", False) or drain_seconds <= 0:
            state.draining = True
            forward(number, frame)
            return
        state.draining = True
        logger.info(
            "stopping: /ready answers 503; still serving for %ss", drain_seconds,
            extra={"event": "draining", "seconds": drain_seconds},
        )  # fmt: skip
        loop.call_soon_threadsafe(loop.call_later, drain_seconds, forward, number, None)

    for wrapped_number in wrapped:
        signal.signal(wrapped_number, stop_asked)
    try:
        yield
    finally:
        for wrapped_number, handler in wrapped.items():
            if signal.getsignal(wrapped_number) is stop_asked:
                signal.signal(wrapped_number, handler)
