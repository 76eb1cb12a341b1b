"""Session factories and the transaction scope used by every caller outside a web request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from praisonai_platform.db.engine import read_only_engine


def create_session_factory(
    engine: AsyncEngine, *, read_only: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit and flush only when told to."""
    return async_sessionmaker(
        read_only_engine(engine) if read_only else engine,
        expire_on_commit=False,
        autoflush=False,
    )


@asynccontextmanager
async def session_scope(
    session_factory: async_sessionmaker[AsyncSession] | None = None, *, read_only: bool = False
) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block ends normally, rolled back when it raises.

    Without a factory it uses the process-wide engine (`get_engine()`). `read_only=True` starts
    the transaction without taking SQLite's write lock; nothing is committed.
    """
    if session_factory is None:
        from praisonai_platform.db.state import default_session_factory

        session_factory = default_session_factory(read_only=read_only)
    async with session_factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        if not read_only:
            await session.commit()
        # A read-only scope just closes: the pool rolls the connection back, and unlike
        # session.rollback() that keeps the loaded objects readable after the block.
