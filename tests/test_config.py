"""How the database URL is resolved from the environment (seed 001's priority chain)."""

from __future__ import annotations

from pathlib import Path

import pytest

from praisonai_platform.config import ConfigurationError, derive_alembic_database_url, load_settings
from praisonai_platform.db import create_database_engine
from praisonai_platform.db.engine import read_only_engine
from tests.conftest import TEST_CONNECT_TIMEOUT_VARIABLE

MEMORY = "sqlite+aiosqlite:///:memory:"
PG_FIELDS = {
    "APP_DATABASE_POSTGRES_HOST": "db.internal",
    "APP_DATABASE_POSTGRES_PORT": "6543",
    "APP_DATABASE_POSTGRES_NAME": "platform",
    "APP_DATABASE_POSTGRES_USER": "svc",
    "APP_DATABASE_POSTGRES_PASSWORD": "secret",
}

RESOLUTION_CASES = [
    pytest.param({}, MEMORY, id="nothing-set-is-in-memory"),
    pytest.param(
        {"APP_DATABASE_URL": "sqlite+aiosqlite:///./a.db"},
        "sqlite+aiosqlite:///./a.db",
        id="app-url-alone",
    ),
    pytest.param(
        {"DATABASE_URL": "postgresql+asyncpg://u:p@h/db"},
        "postgresql+asyncpg://u:p@h/db",
        id="database-url-alone",
    ),
    pytest.param(
        {"APP_DATABASE_URL": "sqlite+aiosqlite:///./a.db", "DATABASE_URL": "sqlite+aiosqlite:///b"},
        "sqlite+aiosqlite:///./a.db",
        id="app-url-beats-database-url",
    ),
    pytest.param(
        {"DATABASE_URL": "sqlite+aiosqlite:///./b.db", "APP_DATABASE_BACKEND": "postgres"},
        "sqlite+aiosqlite:///./b.db",
        id="database-url-beats-backend",
    ),
    pytest.param(
        {"APP_DATABASE_URL": "sqlite+aiosqlite:///./a.db", "APP_DATABASE_BACKEND": "custom"},
        "sqlite+aiosqlite:///./a.db",
        id="custom-with-url",
    ),
    pytest.param(
        {"APP_DATABASE_BACKEND": "postgres", **PG_FIELDS},
        "postgresql+asyncpg://svc:secret@db.internal:6543/platform",
        id="postgres-from-fields",
    ),
    pytest.param(
        {
            "APP_DATABASE_BACKEND": "postgres",
            **PG_FIELDS,
            "APP_DATABASE_POSTGRES_USER": "app user",
            "APP_DATABASE_POSTGRES_PASSWORD": "p@ss/w:rd%",
        },
        "postgresql+asyncpg://app%20user:p%40ss%2Fw%3Ard%25@db.internal:6543/platform",
        id="postgres-user-and-password-escaped",
    ),
    pytest.param(
        {"APP_DATABASE_BACKEND": "POSTGRES", **PG_FIELDS},
        "postgresql+asyncpg://svc:secret@db.internal:6543/platform",
        id="backend-is-case-insensitive",
    ),
    pytest.param(
        {"APP_DATABASE_BACKEND": "sqlite", "APP_DATABASE_SQLITE_PATH": "./var/p.db"},
        "sqlite+aiosqlite:///./var/p.db",
        id="sqlite-backend-with-path",
    ),
    pytest.param(
        {"APP_DATABASE_BACKEND": "sqlite"},
        "sqlite+aiosqlite:///./data/platform.db",
        id="sqlite-backend-default-path",
    ),
    pytest.param(
        {"DATABASE_URL": "postgres://u:p@h:5432/db"},
        "postgresql+asyncpg://u:p@h:5432/db",
        id="plain-postgres-scheme-gets-async-driver",
    ),
    pytest.param(
        {"DATABASE_URL": "sqlite:///./x.db"},
        "sqlite+aiosqlite:///./x.db",
        id="plain-sqlite-scheme-gets-async-driver",
    ),
]


@pytest.mark.parametrize(("environment", "expected"), RESOLUTION_CASES)
def test_database_url_resolution(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert load_settings().resolved_database_url == expected


def test_escaped_password_round_trips_through_sqlalchemy(monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.engine import make_url

    monkeypatch.setenv("APP_DATABASE_BACKEND", "postgres")
    monkeypatch.setenv("APP_DATABASE_POSTGRES_PASSWORD", "p@ss/w:rd%")
    url = make_url(load_settings().resolved_database_url)
    assert url.password == "p@ss/w:rd%"
    assert url.host == "localhost"
    assert url.database == "platform"


ERROR_CASES = [
    pytest.param({"APP_DATABASE_BACKEND": "custom"}, "APP_DATABASE_URL", id="custom-without-url"),
    pytest.param({"APP_DATABASE_BACKEND": "mysql"}, "APP_DATABASE_BACKEND", id="unknown-backend"),
    pytest.param(
        {"APP_DATABASE_BACKEND": "postgres"},
        "APP_DATABASE_POSTGRES_PASSWORD",
        id="postgres-without-password",
    ),
    pytest.param({"DATABASE_URL": "not a url"}, "DATABASE_URL", id="database-url-garbage"),
    pytest.param({"APP_DATABASE_URL": "::"}, "APP_DATABASE_URL", id="app-url-garbage"),
    pytest.param(
        {"DATABASE_URL": "mysql+aiomysql://u:p@h/db"}, "DATABASE_URL", id="unsupported-driver"
    ),
    pytest.param(
        {"DATABASE_URL": "postgresql+asyncpg://u:p@h"}, "DATABASE_URL", id="postgres-without-db"
    ),
    pytest.param(
        {"APP_DATABASE_BACKEND": "sqlite", "APP_DATABASE_SQLITE_PATH": "  "},
        "APP_DATABASE_SQLITE_PATH",
        id="empty-sqlite-path",
    ),
]


@pytest.mark.parametrize(("environment", "variable"), ERROR_CASES)
def test_unusable_configuration_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], variable: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("APP_DATABASE_POOL_SIZE", "many"),
        ("APP_DATABASE_POSTGRES_PORT", "99999"),
        ("APP_DATABASE_SQLITE_JOURNAL_MODE", "sideways"),
        ("APP_DATABASE_SQLITE_BUSY_TIMEOUT_MS", "-1"),
        ("RUN_DB_MIGRATIONS", "perhaps"),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings()


def test_defaults_match_seed_001(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEST_CONNECT_TIMEOUT_VARIABLE)  # set longer for every other test
    settings = load_settings()
    assert settings.database_pool_size == 5
    assert settings.database_max_overflow == 10
    assert settings.database_pool_pre_ping is True
    assert settings.database_connect_timeout_seconds == 5
    assert settings.database_sqlite_journal_mode == "WAL"
    assert settings.database_sqlite_synchronous == "NORMAL"
    assert settings.database_sqlite_busy_timeout_ms == 5000
    assert settings.database_sqlite_cache_size == -64000
    assert settings.database_sqlite_foreign_keys is True
    assert settings.database_sqlite_mmap_size == 0
    assert settings.database_echo is False
    assert settings.run_db_migrations is False


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DATABASE_POOL_SIZE", "7")
    monkeypatch.setenv("APP_DATABASE_ECHO", "true")
    monkeypatch.setenv("RUN_DB_MIGRATIONS", "true")
    settings = load_settings()
    assert (settings.database_pool_size, settings.database_echo) == (7, True)
    assert settings.run_db_migrations is True


@pytest.mark.parametrize(
    ("runtime", "alembic"),
    [
        ("sqlite+aiosqlite:///./data/p.db", "sqlite:///./data/p.db"),
        ("sqlite+aiosqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql+asyncpg://u:p%40s@h:5432/db", "postgresql+psycopg://u:p%40s@h:5432/db"),
    ],
)
def test_alembic_url_is_derived_from_the_runtime_url(runtime: str, alembic: str) -> None:
    assert derive_alembic_database_url(runtime) == alembic
    assert load_settings(database_url=runtime).resolved_alembic_database_url == alembic


def test_explicit_alembic_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@h/db")
    monkeypatch.setenv("APP_ALEMBIC_DATABASE_URL", "postgresql+psycopg2://u:p@h/db")
    assert load_settings().resolved_alembic_database_url == "postgresql+psycopg2://u:p@h/db"


def test_alembic_url_for_an_unknown_driver_must_be_explicit() -> None:
    with pytest.raises(ConfigurationError, match="APP_ALEMBIC_DATABASE_URL"):
        derive_alembic_database_url("mysql+aiomysql://u:p@h/db")


def test_sqlite_parent_directory_is_created_only_where_migrations_run(tmp_path: Path) -> None:
    from praisonai_platform.db import create_database_engine

    path = tmp_path / "nested" / "deeper" / "p.db"
    create_database_engine(load_settings(database_url=f"sqlite+aiosqlite:///{path}"))
    assert not (tmp_path / "nested").exists()  # a process that only uses it leaves no folders
    create_database_engine(
        load_settings(database_url=f"sqlite+aiosqlite:///{path}", run_db_migrations=True)
    )
    assert path.parent.is_dir()


def test_the_database_url_is_resolved_when_the_settings_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seed 001: the settings validator fills `database_url` by the priority chain."""
    assert load_settings().database_url == "sqlite+aiosqlite:///:memory:"
    monkeypatch.setenv("APP_DATABASE_BACKEND", "sqlite")
    monkeypatch.setenv("APP_DATABASE_SQLITE_PATH", "./data/x.db")
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./data/x.db"
    assert settings.alembic_database_url == "sqlite:///./data/x.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h/db")
    assert load_settings().database_url == "postgresql+asyncpg://u:p@h/db"


def test_a_postgres_backend_without_a_password_fails_when_the_settings_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_DATABASE_BACKEND", "postgres")
    with pytest.raises(ConfigurationError, match="APP_DATABASE_POSTGRES_PASSWORD must be set"):
        load_settings()


def test_pool_settings_apply_to_postgresql_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DATABASE_POOL_SIZE", "2")
    monkeypatch.setenv("APP_DATABASE_MAX_OVERFLOW", "0")
    postgres = create_database_engine(load_settings(database_url="postgresql+asyncpg://u@h/db"))
    sqlite = create_database_engine(load_settings(database_url="sqlite+aiosqlite:///./p.db"))
    assert (postgres.pool.size(), postgres.pool._max_overflow) == (2, 0)  # type: ignore[attr-defined]
    # A SQLite file has one writer connection, and readers in SQLAlchemy's default pool.
    assert sqlite.pool.size() == 1  # type: ignore[attr-defined]
    assert read_only_engine(sqlite).pool.size() == 5  # type: ignore[attr-defined]
