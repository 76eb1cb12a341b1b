"""Which database a worker works on, in words a person recognises, and whether it is ready:
a worker never creates a database, it uses the one the server migrated."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from praisonai_platform.config import ConfigurationError, Settings, is_memory_url

# The tables a worker cannot do without.
REQUIRED_TABLES = ("runs", "workers")
HOW_TO_MIGRATE = (
    "run `praisonai-platform db upgrade` with the same DATABASE_URL, or start the server "
    "with RUN_DB_MIGRATIONS=true"
)


def describe(url: str | URL) -> str:
    """`SQLite /absolute/path.db` or `PostgreSQL host:port/name`; never the password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if is_memory_url(str(parsed)) or parsed.query.get("mode") == "memory":
            return "in-memory SQLite"
        return f"SQLite {Path(parsed.database or '').resolve()}"
    return f"PostgreSQL {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database}"


def check_exists(settings: Settings) -> None:
    """A SQLite file must be there already: connecting would create an empty one (and a worker
    started in the wrong folder would work on nothing)."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or settings.is_memory_sqlite:
        return
    path = Path(url.database or "").resolve()
    if not path.is_file():
        raise ConfigurationError(
            f"no database at {path} (a relative DATABASE_URL is read from the current "
            f"directory, {Path.cwd()}): {HOW_TO_MIGRATE}"
        )


async def check_schema(engine: AsyncEngine) -> None:
    """Refuse a database without the platform's tables, naming it."""
    async with engine.connect() as connection:
        tables = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if not missing:
        return
    state = "has no tables" if not tables else f"has no {', '.join(missing)} table"
    raise ConfigurationError(f"the database {describe(engine.url)} {state}: {HOW_TO_MIGRATE}")
