"""A secret kept in the database, made once: every process that asks gets the same value."""

from __future__ import annotations

import secrets

from sqlalchemy import create_engine, inspect, select
from sqlalchemy.dialects import postgresql, sqlite

from praisonai_platform.db.models.server import ServerSecret

SECRET_BYTES = 48


class NoSecretTable(RuntimeError):
    """The database has not been migrated far enough to keep secrets."""


def database_secret(sync_url: str, name: str) -> str:
    """The secret called `name`, inserted on first use. Processes racing here all read the value
    of whichever inserted first (INSERT … ON CONFLICT DO NOTHING, then SELECT)."""
    engine = create_engine(sync_url)
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table(ServerSecret.__tablename__):
                raise NoSecretTable(f"no {ServerSecret.__tablename__} table: run the migrations")
            dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
            connection.execute(
                dialect.insert(ServerSecret)
                .values(name=name, value=secrets.token_urlsafe(SECRET_BYTES))
                .on_conflict_do_nothing(index_elements=["name"])
            )
            value = connection.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
    finally:
        engine.dispose()
    assert value is not None  # inserted or already there, in this transaction
    return value
