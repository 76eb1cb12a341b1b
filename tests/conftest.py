"""Two backends for every database test: a migrated SQLite file and a migrated PostgreSQL database.

A test that takes the `backend` argument (directly or through `db_url`, `settings`, `engine`,
`session_factory`) runs once per backend. The schema comes from the migrations: SQLite tests get a
copy of a file migrated once per session, PostgreSQL tests share one migrated database that is
emptied before each test. PostgreSQL is found through PLATFORM_TEST_POSTGRES_URL; without it the
PostgreSQL half is skipped with the reason, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from praisonai_platform.config import Settings, derive_alembic_database_url, load_settings
from praisonai_platform.db import (
    create_database_engine,
    create_session_factory,
    migrate,
    reset_engine,
)
from praisonai_platform.db.base import Base

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")
_ENV_VARIABLES = (
    "DATABASE_URL",
    "RUN_DB_MIGRATIONS",
    *(f"APP_{name.upper()}" for name in Settings.model_fields),
)


TEST_CONNECT_TIMEOUT_VARIABLE = "APP_DATABASE_CONNECT_TIMEOUT_SECONDS"

# The longest tests go first, so that parallel workers (pytest-xdist) do not end the run waiting
# on one of them started last.
SLOW_FIRST = (
    "tests/runs/test_worker_processes.py",
    "tests/live/",
    "tests/webhooks/test_live.py",
    "tests/webhooks/test_worker.py",
    "tests/ops/test_crash.py",
    "tests/api/test_permission_matrix.py",
    "tests/client/test_cli",
    "tests/client/test_restart.py",
    "tests/client/test_serve",
    "tests/accounts/test_admin_browser.py",
    "tests/db/test_migrations.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((i for i, p in enumerate(SLOW_FIRST) if path.startswith(p)), len(SLOW_FIRST))

    items.sort(key=rank)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    backends = list(BACKENDS)
    if metafunc.definition.get_closest_marker("sqlite_only"):
        backends = ["sqlite"]
    if metafunc.definition.get_closest_marker("postgres_only"):
        backends = ["postgres"]
    # Session scope lets session- and module-scoped fixtures depend on the backend too.
    metafunc.parametrize("backend", backends, scope="session")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's database settings, nor leaves any behind."""
    for name in _ENV_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    # A test that opens many connections at once (hundreds of concurrent requests) on a busy
    # 2-core machine can wait longer than the default 5 s for PostgreSQL to start backends; the
    # time a connection takes is not what any test is about.
    monkeypatch.setenv(TEST_CONNECT_TIMEOUT_VARIABLE, "30")
    yield


@pytest.fixture(autouse=True)
async def no_cached_engine() -> AsyncIterator[None]:
    await reset_engine()
    yield
    await reset_engine()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(load_settings(database_url=f"sqlite+aiosqlite:///{path}"), "head")
    return path


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get("PLATFORM_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    admin = create_engine(derive_alembic_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        reason = f"PostgreSQL not reachable at {make_url(url).render_as_string()}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true needs PostgreSQL. {reason}")
        pytest.skip(reason)
    finally:
        admin.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_database(postgres_server_url: str) -> Iterator[str]:
    """A database of its own for this test session, migrated to head, dropped at the end."""
    name = f"platform_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin(postgres_server_url) as admin:
        admin.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(load_settings(database_url=url), "head")
    yield url
    _forget_emptying_engine(url)
    with postgres_admin(postgres_server_url) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def empty_postgres_database(postgres_server_url: str) -> Iterator[str]:
    """A PostgreSQL database with nothing in it (no migrations), dropped after the test."""
    name = f"platform_empty_{uuid.uuid4().hex[:12]}"
    with postgres_admin(postgres_server_url) as admin:
        admin.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    with postgres_admin(postgres_server_url) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def postgres_admin(url: str) -> Iterator[Connection]:
    """An autocommit connection to the server's maintenance database, for CREATE/DROP DATABASE."""
    admin = create_engine(derive_alembic_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            yield connection
    finally:
        admin.dispose()


_EMPTYING_ENGINES: dict[str, Engine] = {}


def empty_postgres(url: str) -> None:
    """Delete every row. DELETE is ~40x faster than TRUNCATE on tables this small; the append-only
    ledger refuses DELETE, so it alone is truncated, and only when it holds rows."""
    engine = _EMPTYING_ENGINES.get(url)
    if engine is None:
        engine = _EMPTYING_ENGINES[url] = create_engine(derive_alembic_database_url(url))
    with engine.begin() as connection:
        if connection.execute(text("SELECT EXISTS (SELECT 1 FROM credit_ledger)")).scalar():
            connection.execute(text("TRUNCATE credit_ledger CASCADE"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def _forget_emptying_engine(url: str) -> None:
    engine = _EMPTYING_ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database of the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "platform.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    empty_postgres(url)
    return url


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database of the test's backend with no tables at all."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    url: str = request.getfixturevalue("empty_postgres_database")
    return url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return load_settings(database_url=db_url)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_database_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)
