"""Alembic environment: runs on a connection it is handed, or on the sync URL from settings."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlalchemy.pool import NullPool

from praisonai_platform.config import Settings, load_settings
from praisonai_platform.db import models, search_ddl  # noqa: F401  (models: registers every table)
from praisonai_platform.db.base import Base
from praisonai_platform.db.sqlite import install_sqlite_discipline

target_metadata = Base.metadata


def _include_name(name: str | None, type_: str, parent_names: MutableMapping[Any, Any]) -> bool:
    """Leave the search index (FTS5 tables, tsvector columns; see db/search_ddl.py) out of the
    comparison with the models: it is built by SQL per backend, not declared in them."""
    return not search_ddl.is_search_object(type_, name, parent_names.get("table_name"))


def _configure_and_run(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online(settings: Settings) -> None:
    url = settings.resolved_alembic_database_url
    engine = create_engine(url, poolclass=NullPool)
    is_sqlite = engine.dialect.name == "sqlite"
    if is_sqlite:
        # Batch migrations rebuild tables; with foreign keys enforced, dropping the old copy of a
        # referenced table would cascade into its children. Enforcement is off while migrating and
        # the result is checked before commit.
        install_sqlite_discipline(
            engine, settings.model_copy(update={"database_sqlite_foreign_keys": False})
        )
    try:
        with engine.connect() as connection:
            _configure_and_run(connection)
            if is_sqlite:
                violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if violations:
                    raise RuntimeError(f"migration left foreign key violations: {violations[:5]}")
    finally:
        engine.dispose()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    settings = context.config.attributes.get("settings") or load_settings()
    _run_online(settings)


_main()
