"""The process-wide engine and its sessions: `get_engine`, `get_session`, `init_db`,
`reset_engine`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from praisonai_platform.config import Settings, load_settings
from praisonai_platform.db.engine import create_database_engine, prepare_sqlite_file
from praisonai_platform.db.session import create_session_factory


class _EngineState:
    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions = create_session_factory(engine)
        self.read_only_sessions = create_session_factory(engine, read_only=True)


_state: _EngineState | None = None


def get_engine(database_url: str | None = None) -> AsyncEngine:
    """The cached AsyncEngine. The first call wins; `database_url` overrides the environment."""
    global _state
    if _state is None:
        settings = load_settings(database_url=database_url) if database_url else load_settings()
        _state = _EngineState(settings, create_database_engine(settings))
    return _state.engine


def get_settings() -> Settings:
    """The settings the cached engine was built from."""
    get_engine()
    assert _state is not None
    return _state.settings


def default_session_factory(*, read_only: bool = False) -> async_sessionmaker[AsyncSession]:
    get_engine()
    assert _state is not None
    return _state.read_only_sessions if read_only else _state.sessions


async def get_session() -> AsyncIterator[AsyncSession]:
    """Yield a session on the cached engine; whatever was not committed is rolled back."""
    async with default_session_factory()() as session:
        yield session


async def init_db() -> None:
    """Make the database ready: create all tables and stamp the migration head on a new database,
    or apply pending migrations to one that Alembic already manages."""
    from praisonai_platform.db.migrate import upgrade

    engine = get_engine()
    settings = get_settings()
    if settings.is_memory_sqlite:
        return  # created with the engine
    prepare_sqlite_file(settings.resolved_database_url)
    async with engine.connect() as connection:
        managed = await connection.run_sync(_is_managed)
    if managed:
        await asyncio.to_thread(upgrade, settings, "head")
        return
    async with engine.begin() as connection:
        await connection.run_sync(_create_and_stamp)


async def reset_engine() -> None:
    """Dispose of the cached engine (and an in-memory database with it)."""
    global _state
    state, _state = _state, None
    if state is not None:
        await state.engine.dispose()


def _is_managed(connection: Connection) -> bool:
    from praisonai_platform.db.schema import current_revision

    return current_revision(connection) is not None


def _create_and_stamp(connection: Connection) -> None:
    from praisonai_platform.db.schema import create_schema_and_stamp

    create_schema_and_stamp(connection)
