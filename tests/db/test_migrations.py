"""Alembic owns the schema: migrations build the models exactly, go down and up, ship in wheels."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from praisonai_platform.config import derive_alembic_database_url, load_settings
from praisonai_platform.db import migrate, search_ddl
from praisonai_platform.db.base import Base
from praisonai_platform.db.schema import head_revision
from tests.forkserver import run_cli

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, database_url: str, cwd: Path, pythonpath: str | None = None) -> str:
    """The command as a process of its own: forked from the test's fork server, or, to run
    another copy of the package (`pythonpath`), a fresh interpreter."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    environment["DATABASE_URL"] = database_url
    if pythonpath is None:
        completed = run_cli(*args, env=environment, cwd=cwd, timeout=180)
    else:
        environment["PYTHONPATH"] = pythonpath
        completed = subprocess.run(
            [sys.executable, "-m", "praisonai_platform", *args],
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    return completed.stdout


def table_names(database_url: str) -> set[str]:
    engine = create_engine(derive_alembic_database_url(database_url))
    try:
        with engine.connect() as connection:
            names = inspect(connection).get_table_names()
            return {name for name in names if not search_ddl.is_search_object("table", name)}
    finally:
        engine.dispose()


def model_tables() -> set[str]:
    return set(Base.metadata.tables)


def test_upgrade_from_empty_then_check_reports_no_difference(
    backend: str, empty_db_url: str, tmp_path: Path
) -> None:
    cli("db", "upgrade", database_url=empty_db_url, cwd=tmp_path)
    assert table_names(empty_db_url) == model_tables() | {"alembic_version"}
    assert "matches the models" in cli("db", "check", database_url=empty_db_url, cwd=tmp_path)
    assert head_revision() in cli("db", "current", database_url=empty_db_url, cwd=tmp_path)
    assert "(current)" in cli("db", "history", database_url=empty_db_url, cwd=tmp_path)


def test_downgrade_to_base_then_upgrade_to_head(backend: str, empty_db_url: str) -> None:
    settings = load_settings(database_url=empty_db_url)
    migrate.upgrade(settings, "head")
    migrate.downgrade(settings, "base")
    assert table_names(empty_db_url) <= {"alembic_version"}
    migrate.upgrade(settings, "head")
    assert migrate.check(settings) is None
    assert table_names(empty_db_url) == model_tables() | {"alembic_version"}


def test_check_fails_when_the_database_differs_from_the_models(
    backend: str, empty_db_url: str, tmp_path: Path
) -> None:
    settings = load_settings(database_url=empty_db_url)
    migrate.upgrade(settings, "head")
    engine = create_engine(derive_alembic_database_url(empty_db_url))
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE nonces"))
    engine.dispose()
    assert migrate.check(settings) is not None
    environment = {**os.environ, "DATABASE_URL": empty_db_url}
    completed = run_cli("db", "check", env=environment, cwd=tmp_path)
    assert completed.returncode == 1
    assert "differs" in completed.stderr


async def test_a_database_made_by_init_db_accepts_upgrade(
    backend: str, empty_db_url: str, tmp_path: Path
) -> None:
    from praisonai_platform.db import get_engine, init_db, reset_engine

    get_engine(empty_db_url)
    await init_db()
    await reset_engine()
    assert head_revision() in cli("db", "current", database_url=empty_db_url, cwd=tmp_path)
    cli("db", "upgrade", "head", database_url=empty_db_url, cwd=tmp_path)
    assert "matches the models" in cli("db", "check", database_url=empty_db_url, cwd=tmp_path)


async def test_init_db_on_a_migrated_database_keeps_its_data(
    backend: str, empty_db_url: str
) -> None:
    from praisonai_platform.db import get_engine, init_db, reset_engine, session_scope
    from praisonai_platform.db.models import Workspace

    settings = load_settings(database_url=empty_db_url)
    migrate.upgrade(settings, "head")
    get_engine(empty_db_url)
    async with session_scope() as session:
        session.add(Workspace(name="Kept", slug="kept"))
    await init_db()
    async with session_scope(read_only=True) as session:
        assert (await session.execute(text("SELECT slug FROM workspaces"))).scalars().all() == [
            "kept"
        ]
    await reset_engine()
    assert migrate.check(settings) is None


def test_run_db_migrations_upgrades_only_when_enabled(backend: str, empty_db_url: str) -> None:
    assert migrate.run_migrations_if_enabled(load_settings(database_url=empty_db_url)) is False
    assert table_names(empty_db_url) == set()
    enabled = load_settings(database_url=empty_db_url, run_db_migrations=True)
    assert migrate.run_migrations_if_enabled(enabled) is True
    assert migrate.check(enabled) is None


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(PROJECT_ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    (wheel,) = out.glob("praisonai_platform-*.whl")
    return wheel


def test_migrations_work_from_an_installed_wheel(
    backend: str, empty_db_url: str, built_wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(built_wheel) as archive:
        names = archive.namelist()
        assert any(n.endswith("db/migrations/env.py") for n in names)
        assert any(n.endswith("db/migrations/script.py.mako") for n in names)
        assert any("db/migrations/versions/0001_" in n for n in names)
        archive.extractall(site)
    probe = subprocess.run(
        [sys.executable, "-c", "import praisonai_platform; print(praisonai_platform.__file__)"],
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.startswith(str(site))
    cli("db", "upgrade", database_url=empty_db_url, cwd=tmp_path, pythonpath=str(site))
    output = cli("db", "check", database_url=empty_db_url, cwd=tmp_path, pythonpath=str(site))
    assert "matches the models" in output
