"""Each step of the worker is a short transaction of its own, retried when the database is
briefly unavailable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from praisonai_platform.db import session_scope

logger = logging.getLogger("praisonai_platform.worker")
T = TypeVar("T")

TRIES = 5
_TRANSIENT = ("deadlock", "locked", "busy", "serializ", "connection", "timeout")


async def in_transaction(
    sessions: async_sessionmaker[AsyncSession] | None,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    database: str = "the database",
) -> T:
    """Run `work` in its own transaction (committed when it returns), retrying a few times
    when the database is busy, restarting, or picked this transaction as a deadlock victim."""
    for attempt in range(1, TRIES + 1):
        try:
            async with session_scope(sessions) as session:
                return await work(session)
        except DBAPIError as exc:
            if attempt == TRIES or not transient(exc):
                raise
            logger.warning(
                "%s busy (%s); retrying", database or "the database", type(exc.orig).__name__
            )
            await asyncio.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def transient(exc: DBAPIError) -> bool:
    """Worth retrying: SQLite busy past its timeout, a PostgreSQL deadlock victim or
    serialization failure, a dropped connection."""
    if exc.connection_invalidated:
        return True
    cause = exc.orig.__cause__ if exc.orig is not None else None
    text = f"{exc.orig} {type(exc.orig).__name__} {type(cause).__name__}".lower()
    return any(word in text for word in _TRANSIENT)
