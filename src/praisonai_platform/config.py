"""Settings read from the environment, and the rules that turn them into a database URL."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from praisonai_platform.core.errors import ConfigurationError
from praisonai_platform.core.settings import load

MEMORY_DATABASE_URL = "sqlite+aiosqlite:///:memory:"
DEFAULT_SQLITE_PATH = "./data/platform.db"

# Plain scheme names people paste from hosting dashboards, mapped to the async driver we run on.
_SCHEME_ALIASES = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}
_SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class Settings(BaseSettings):
    """Database and runtime settings. Field `x` is read from `APP_X` unless aliased."""

    model_config = SettingsConfigDict(
        env_prefix="APP_", case_sensitive=False, extra="ignore", populate_by_name=True
    )

    database_url: str | None = Field(
        default=None,
        description="The database URL; wins over everything else. sqlite+aiosqlite:///path or "
        "postgresql+asyncpg://user:password@host:port/name (plain sqlite:// and postgres:// "
        "get the async driver).",
    )
    plain_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "plain_database_url"),
        description="The database URL, as hosting platforms name it; used when "
        "APP_DATABASE_URL is unset.",
    )
    database_backend: str | None = Field(
        default=None,
        description="Without a URL: postgres (from the APP_DATABASE_POSTGRES_* variables), "
        "sqlite (APP_DATABASE_SQLITE_PATH) or custom (APP_DATABASE_URL must be set). Unset: "
        "an in-memory SQLite database, lost when the process stops.",
    )
    database_postgres_host: str = Field(
        default="localhost", description="PostgreSQL host, with APP_DATABASE_BACKEND=postgres."
    )
    database_postgres_port: int = Field(
        default=5432, ge=1, le=65535, description="PostgreSQL port."
    )
    database_postgres_name: str = Field(default="platform", description="PostgreSQL database.")
    database_postgres_user: str = Field(default="postgres", description="PostgreSQL user.")
    database_postgres_password: str | None = Field(
        default=None,
        description="PostgreSQL password; required with APP_DATABASE_BACKEND=postgres.",
    )
    database_sqlite_path: str = Field(
        default=DEFAULT_SQLITE_PATH,
        description="SQLite database file, with APP_DATABASE_BACKEND=sqlite; its directory is "
        "created when migrations create the database.",
    )
    database_echo: bool = Field(default=False, description="Log every SQL statement.")

    database_pool_size: int = Field(
        default=5, ge=1, description="Connections kept open per process (PostgreSQL)."
    )
    database_max_overflow: int = Field(
        default=10,
        ge=0,
        description="Connections opened beyond the pool under load (PostgreSQL).",
    )
    database_pool_pre_ping: bool = Field(
        default=True,
        description="Test a pooled PostgreSQL connection before using it (a SQLite file's "
        "connections are never dropped, so they are not tested).",
    )
    database_connect_timeout_seconds: float = Field(
        default=5.0, gt=0, description="How long to wait for a new database connection."
    )

    database_sqlite_journal_mode: Literal[
        "WAL", "DELETE", "TRUNCATE", "PERSIST", "MEMORY", "OFF"
    ] = Field(default="WAL", description="SQLite PRAGMA journal_mode.")
    database_sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = Field(
        default="NORMAL", description="SQLite PRAGMA synchronous."
    )
    database_sqlite_busy_timeout_ms: int = Field(
        default=5000,
        ge=0,
        description="SQLite PRAGMA busy_timeout: how long a writer waits for a lock.",
    )
    database_sqlite_cache_size: int = Field(
        default=-64000,
        description="SQLite PRAGMA cache_size (negative: KiB, so the default is 64 MB).",
    )
    database_sqlite_foreign_keys: bool = Field(
        default=True, description="SQLite PRAGMA foreign_keys."
    )
    database_sqlite_mmap_size: int = Field(
        default=0, ge=0, description="SQLite PRAGMA mmap_size in bytes (0: off)."
    )
    database_sqlite_temp_store: Literal["DEFAULT", "FILE", "MEMORY"] = Field(
        default="MEMORY",
        description="SQLite PRAGMA temp_store. MEMORY keeps statement journals in memory: an "
        "insert that fires triggers (the search index's) then writes no temporary file.",
    )

    alembic_database_url: str | None = Field(
        default=None,
        description="Synchronous URL for migrations. Unset: derived from the database URL "
        "(sqlite://, postgresql+psycopg://).",
    )
    run_db_migrations: bool = Field(
        default=False,
        validation_alias=AliasChoices("RUN_DB_MIGRATIONS", "run_db_migrations"),
        description="Migrate the database to the latest revision when the server starts.",
    )

    @model_validator(mode="after")
    def _resolve_urls(self) -> Settings:
        """Fill `database_url` (and the migrations' URL) by the priority chain when the settings
        load, so a bad combination fails here, naming the variable, not at first use."""
        self.database_url = resolve_database_url(self)
        if self.alembic_database_url:
            self.alembic_database_url = _validated_url(
                self.alembic_database_url, "APP_ALEMBIC_DATABASE_URL", sync=True
            )
        else:
            self.alembic_database_url = derive_alembic_database_url(self.database_url)
        return self

    @property
    def resolved_database_url(self) -> str:
        assert self.database_url is not None  # filled by _resolve_urls
        return self.database_url

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def is_memory_sqlite(self) -> bool:
        return is_memory_url(self.resolved_database_url)

    @property
    def resolved_alembic_database_url(self) -> str:
        assert self.alembic_database_url is not None  # filled by _resolve_urls
        return self.alembic_database_url


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; a bad value raises ConfigurationError naming it."""
    return load(Settings, **overrides)


def resolve_database_url(settings: Settings) -> str:
    """First match wins: APP_DATABASE_URL, DATABASE_URL, the backend's fields, in-memory SQLite."""
    if settings.database_url:
        return _validated_url(settings.database_url, "APP_DATABASE_URL")
    if settings.plain_database_url:
        return _validated_url(settings.plain_database_url, "DATABASE_URL")
    backend = (settings.database_backend or "").strip().lower()
    if not backend:
        return MEMORY_DATABASE_URL
    if backend == "postgres":
        return _postgres_url(settings)
    if backend == "sqlite":
        path = settings.database_sqlite_path.strip()
        if not path:
            raise ConfigurationError("APP_DATABASE_SQLITE_PATH must not be empty")
        return f"sqlite+aiosqlite:///{path}"
    if backend == "custom":
        raise ConfigurationError("APP_DATABASE_URL must be set when APP_DATABASE_BACKEND=custom")
    raise ConfigurationError(
        f"APP_DATABASE_BACKEND={settings.database_backend!r} is not one of: "
        "sqlite, postgres, custom"
    )


def derive_alembic_database_url(database_url: str) -> str:
    """Swap the async driver for its synchronous counterpart, for Alembic's own engine."""
    for async_prefix, sync_prefix in (
        ("sqlite+aiosqlite://", "sqlite://"),
        ("postgresql+asyncpg://", "postgresql+psycopg://"),
    ):
        if database_url.startswith(async_prefix):
            return sync_prefix + database_url[len(async_prefix) :]
    raise ConfigurationError(
        "APP_ALEMBIC_DATABASE_URL must be set explicitly for this database URL"
    )


def is_memory_url(database_url: str) -> bool:
    url = make_url(database_url)
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def sqlite_file_path(database_url: str) -> Path | None:
    """The file behind a SQLite URL, or None for in-memory and non-SQLite URLs."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or is_memory_url(database_url):
        return None
    return Path(url.database or "")


def _postgres_url(settings: Settings) -> str:
    if not settings.database_postgres_password:
        raise ConfigurationError(
            "APP_DATABASE_POSTGRES_PASSWORD must be set when APP_DATABASE_BACKEND=postgres"
        )
    user = quote(settings.database_postgres_user, safe="")
    password = quote(settings.database_postgres_password, safe="")
    host = settings.database_postgres_host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    name = quote(settings.database_postgres_name, safe="")
    return f"postgresql+asyncpg://{user}:{password}@{host}:{settings.database_postgres_port}/{name}"


def _validated_url(raw: str, variable: str, *, sync: bool = False) -> str:
    value = raw.strip()
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigurationError(f"{variable} is not a database URL: {raw!r}") from None
    if sync:
        return value
    scheme = url.drivername
    if scheme in _SCHEME_ALIASES:
        value = _SCHEME_ALIASES[scheme] + value[len(scheme) :]
        scheme = _SCHEME_ALIASES[scheme]
    if scheme not in _SUPPORTED_DRIVERS:
        raise ConfigurationError(
            f"{variable} uses the unsupported driver {scheme!r}; "
            f"use one of: {', '.join(_SUPPORTED_DRIVERS)}"
        )
    if scheme.startswith("postgresql") and not url.database:
        raise ConfigurationError(f"{variable} must name a database")
    return value
