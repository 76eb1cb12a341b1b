"""`backup` and `restore`: a backup taken while writers go on restores to a sound database that
holds every write acknowledged before the backup began; a restore never overwrites by accident."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from praisonai_platform.config import derive_alembic_database_url, load_settings
from praisonai_platform.db import backup as backups
from praisonai_platform.db.schema import head_revision
from tests import forkserver
from tests.factories import MakeUser, MakeWorkspace
from tests.ops.conftest import Writers, assert_consistent, issue_rows


def run_cli(
    *args: str, database_url: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))},
        "DATABASE_URL": database_url,
    }
    if path is not None:
        environment["PATH"] = path
    return forkserver.run_cli(*args, env=environment)


@pytest.fixture
def restore_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database that does not exist yet (SQLite) or is empty (PostgreSQL)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'platform.db'}"
    url: str = request.getfixturevalue("empty_postgres_database")
    return url


async def test_a_backup_under_concurrent_writes_restores_every_acknowledged_write(
    backend: str,
    db_url: str,
    restore_url: str,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    tmp_path: Path,
) -> None:
    owner = await make_user("owner")
    workspace = await make_workspace(owner)
    writers = Writers(client, workspace["id"], owner.headers, count=6)
    writers.start()
    await writers.until(30)
    # Every create in this list was committed before its 201 was sent.
    before = list(writers.acknowledged)
    writing_meanwhile = writers.in_flight
    checked = await asyncio.to_thread(
        backups.backup, load_settings(database_url=db_url), tmp_path / "platform.backup"
    )
    await writers.until(len(writers.acknowledged) + 10)
    await writers.stop()
    assert writers.failures == []
    assert writing_meanwhile > 0, "the backup must start while creates are in progress"
    assert checked.revision == head_revision()
    if backend == "sqlite":
        assert (tmp_path / "platform.backup").stat().st_mode & 0o077 == 0, "readable by others"

    restored = run_cli("restore", str(tmp_path / "platform.backup"), database_url=restore_url)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"restored from {tmp_path / 'platform.backup'} and checked")

    if backend == "sqlite":
        with sqlite3.connect(Path(restore_url.split("///", 1)[1])) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    engine = create_engine(derive_alembic_database_url(restore_url))
    try:
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert revision.scalar_one() == head_revision()
    finally:
        engine.dispose()
    issues, counter = issue_rows(restore_url, workspace["id"])
    missing = set(before) - set(issues)
    assert not missing, f"{len(missing)} acknowledged writes lost"
    assert_consistent(issues, counter)
    assert set(issues) <= set(writers.acknowledged)


async def test_restore_refuses_a_database_with_tables_unless_forced(
    db_url: str,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    tmp_path: Path,
) -> None:
    settings = load_settings(database_url=db_url)
    owner = await make_user("owner")
    workspace = await make_workspace(owner)
    path = tmp_path / "platform.backup"
    await asyncio.to_thread(backups.backup, settings, path)
    with pytest.raises(backups.BackupFailed, match="exists; pass --force"):
        await asyncio.to_thread(backups.backup, settings, path)
    created = await client.post(
        f"/api/v1/workspaces/{workspace['id']}/issues/",
        json={"title": "after"},
        headers=owner.headers,
    )
    assert created.status_code == 201

    with pytest.raises(backups.BackupFailed, match="tables; pass --force"):
        await asyncio.to_thread(backups.restore, settings, path)
    assert set(issue_rows(db_url, workspace["id"])[0]) == {"after"}, "refused, yet changed"

    checked = await asyncio.to_thread(backups.restore, settings, path, force=True)
    assert checked.revision == head_revision()
    assert issue_rows(db_url, workspace["id"]) == ({}, 0)


async def test_restore_refuses_what_is_not_a_backup(db_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(backups.BackupFailed, match="not a"):
        await asyncio.to_thread(backups.restore, load_settings(database_url=db_url), junk)


def test_the_in_memory_database_cannot_be_backed_up(tmp_path: Path) -> None:
    with pytest.raises(backups.BackupFailed, match="in-memory database"):
        backups.backup(load_settings(), tmp_path / "b")


def test_without_pg_dump_backup_is_a_one_line_error(tmp_path: Path) -> None:
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    result = run_cli(
        "backup",
        str(tmp_path / "platform.dump"),
        database_url="postgresql+asyncpg://platform@127.0.0.1:5432/platform",
        path=str(empty_path),
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: pg_dump was not found on PATH"), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "platform.dump").exists()
