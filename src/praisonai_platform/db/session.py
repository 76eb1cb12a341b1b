"""Session factories and the transaction scope used by every caller outside a web request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from praisonai_platform.config import Settings
from praisonai_platform.db.engine import read_only_engine


def create_session_factory(
    engine_or_settings: AsyncEngine | Settings,
    engine: AsyncEngine | None = None,
    *,
    read_only: bool = False,
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit and flush only when told to.

    Called as `create_session_factory(engine)`, or as seed 001 writes it,
    `create_session_factory(settings, engine)` (the settings are not needed)."""
    if isinstance(engine_or_settings, AsyncEngine):
        engine = engine_or_settings
    if engine is None:
        raise TypeError("create_session_factory needs an AsyncEngine")
    return async_sessionmaker(
        read_only_engine(engine) if read_only else engine,
        expire_on_commit=False,
        autoflush=False,
    )


def session_scope(
    session_factory: async_sessionmaker[AsyncSession] | None = None, *, read_only: bool = False
) -> SessionScope:
    """One transaction: committed when the block ends normally, rolled back when it raises.

    Use it as `async with session_scope() as session:`, or as seed 001's dependencies do,
    `async for session in session_scope(factory):`. Without a factory it uses the process-wide
    engine (`get_engine()`). `read_only=True` starts the transaction without taking SQLite's
    write lock; nothing is committed.
    """
    return SessionScope(session_factory, read_only=read_only)


class SessionScope:
    """What `session_scope` returns: an async context manager that also iterates once."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession] | None, *, read_only: bool
    ) -> None:
        self._factory = session_factory
        self._read_only = read_only
        self._scope: AbstractAsyncContextManager[AsyncSession] | None = None

    async def __aenter__(self) -> AsyncSession:
        self._scope = _transaction(self._factory, read_only=self._read_only)
        return await self._scope.__aenter__()

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        assert self._scope is not None
        return await self._scope.__aexit__(*exc_info)

    async def __aiter__(self) -> AsyncIterator[AsyncSession]:
        async with _transaction(self._factory, read_only=self._read_only) as session:
            yield session


@asynccontextmanager
async def _transaction(
    session_factory: async_sessionmaker[AsyncSession] | None, *, read_only: bool
) -> AsyncIterator[AsyncSession]:
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
