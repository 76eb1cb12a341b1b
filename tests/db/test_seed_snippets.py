"""Seed 000's database snippets, run as written."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from praisonai_platform.config import derive_alembic_database_url
from praisonai_platform.db import get_engine, init_db, reset_engine, session_scope
from praisonai_platform.db.models import Workspace
from praisonai_platform.db.schema import head_revision

INIT_DB_COMMAND = (
    "import asyncio; from praisonai_platform.db import init_db; asyncio.run(init_db())"
)

ONE_OFF_QUERY = textwrap.dedent(
    """\
    import asyncio
    from praisonai_platform.db import get_session, init_db
    from praisonai_platform.db.models import Workspace
    from sqlalchemy import select

    async def count_workspaces():
        await init_db()  # Ensure tables exist
        async for session in get_session():
            result = await session.execute(select(Workspace))
            workspaces = result.scalars().all()
            print(f"Found {len(workspaces)} workspaces")
            break

    asyncio.run(count_workspaces())
    """
)


def run_python(args: list[str], cwd: Path, database_url: str | None) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        environment["DATABASE_URL"] = database_url
    completed = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    return completed.stdout


def tables_and_revision(sync_url: str) -> tuple[set[str], str | None]:
    engine = create_engine(sync_url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return tables, revision
    finally:
        engine.dispose()


def test_persistent_sqlite_init_db_creates_tables_and_stamps_head(tmp_path: Path) -> None:
    run_python(["-c", INIT_DB_COMMAND], tmp_path, "sqlite+aiosqlite:///./platform.db")
    tables, revision = tables_and_revision(f"sqlite:///{tmp_path / 'platform.db'}")
    assert {"users", "workspaces", "issues", "comments", "activity_logs"} <= tables
    assert revision == head_revision()


def test_postgres_init_db_from_the_shell(empty_postgres_database: str, tmp_path: Path) -> None:
    sync_url = derive_alembic_database_url(empty_postgres_database)
    run_python(["-c", INIT_DB_COMMAND], tmp_path, empty_postgres_database)
    tables, revision = tables_and_revision(sync_url)
    assert set(_all_tables()) <= tables
    assert revision == head_revision()


def test_init_db_is_idempotent_and_keeps_data(backend: str, db_url: str, tmp_path: Path) -> None:
    run_python(["-c", INIT_DB_COMMAND], tmp_path, db_url)
    engine = create_engine(derive_alembic_database_url(db_url))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workspaces (id, name, slug, settings, issue_prefix, issue_counter,"
                " created_at, updated_at) VALUES ('w1', 'W', 'w', '{}', 'ISSUE', 0,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()
    run_python(["-c", INIT_DB_COMMAND], tmp_path, db_url)
    assert "Found 1 workspaces" in run_python(["-c", ONE_OFF_QUERY], tmp_path, db_url)


@pytest.mark.parametrize("use_default", [True, False], ids=["in-memory", "backend"])
def test_one_off_query_runs_as_written(
    use_default: bool, backend: str, db_url: str, tmp_path: Path
) -> None:
    url = None if use_default else db_url
    assert run_python(["-c", ONE_OFF_QUERY], tmp_path, url).strip() == "Found 0 workspaces"


@pytest.mark.postgres_only
async def test_switching_to_postgres(backend: str, db_url: str) -> None:
    assert get_engine().dialect.name == "sqlite"
    # Switch from SQLite to Postgres
    await reset_engine()
    engine = get_engine(db_url)
    assert engine.dialect.name == "postgresql"
    assert get_engine() is engine  # cached: first call wins
    await init_db()
    async with session_scope() as session:
        session.add(Workspace(name="Research", slug="research"))
    async with engine.connect() as connection:
        count = await connection.scalar(text("SELECT count(*) FROM workspaces"))
        assert count == 1


async def test_first_get_engine_call_wins(tmp_path: Path) -> None:
    first = get_engine(f"sqlite+aiosqlite:///{tmp_path / 'first.db'}")
    assert get_engine(f"sqlite+aiosqlite:///{tmp_path / 'second.db'}") is first
    await reset_engine()
    assert get_engine(f"sqlite+aiosqlite:///{tmp_path / 'second.db'}") is not first


async def test_reset_engine_discards_the_in_memory_database() -> None:
    async with session_scope() as session:
        session.add(Workspace(name="Research", slug="research"))
    await reset_engine()
    async with session_scope(read_only=True) as session:
        assert (await session.execute(text("SELECT count(*) FROM workspaces"))).scalar() == 0


async def test_get_session_rolls_back_what_was_not_committed() -> None:
    from praisonai_platform.db import get_session

    async for session in get_session():
        session.add(Workspace(name="Uncommitted", slug="uncommitted"))
        await session.flush()
        break
    async for session in get_session():
        session.add(Workspace(name="Committed", slug="committed"))
        await session.commit()
    async with session_scope(read_only=True) as session:
        slugs = (await session.execute(text("SELECT slug FROM workspaces"))).scalars().all()
        assert slugs == ["committed"]


def _all_tables() -> list[str]:
    from praisonai_platform.db.base import Base

    return [table.name for table in Base.metadata.sorted_tables]
