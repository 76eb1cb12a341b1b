"""Migration 0003 moves a worker's owner and stop time out of `details` into columns, and back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from praisonai_platform.config import derive_alembic_database_url, load_settings
from praisonai_platform.db import migrate
from praisonai_platform.db.types import JSONDict, UTCDateTime

STOPPED = datetime(2026, 11, 2, 3, 4, 5, 600_000, tzinfo=UTC)
STARTED = datetime(2026, 11, 1, tzinfo=UTC)

users = sa.table(
    "users", sa.column("id", sa.String), sa.column("name", sa.String), sa.column("email", sa.String)
)
workers = sa.table(
    "workers",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("started_at", UTCDateTime()),
    sa.column("last_heartbeat_at", UTCDateTime()),
    sa.column("details", JSONDict),
)


def worker_rows(engine: sa.Engine, *columns: str) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as connection:
        table = sa.Table("workers", sa.MetaData(), autoload_with=connection)
        chosen = [table.c[name] for name in columns]
        rows = connection.execute(sa.select(table.c.id, *chosen)).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_owner_and_stop_time_move_into_columns_and_back(backend: str, empty_db_url: str) -> None:
    settings = load_settings(database_url=empty_db_url)
    migrate.upgrade(settings, "0002")
    engine = sa.create_engine(derive_alembic_database_url(empty_db_url))
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(users).values(id="u1", name="a", email="a@example.com"))
            details: dict[str, dict[str, Any]] = {
                "remote": {"registered_by": "u1", "gpu": 1},
                "stopped": {"registered_by": None, "stopped_at": STOPPED.isoformat()},
                "orphan": {"registered_by": "deleted-user"},
                "plain": {"concurrency": 2},
            }
            connection.execute(
                sa.insert(workers),
                [
                    {
                        "id": worker_id,
                        "name": worker_id,
                        "started_at": STARTED,
                        "last_heartbeat_at": STARTED,
                        "details": value,
                    }
                    for worker_id, value in details.items()
                ],
            )

        migrate.upgrade(settings, "head")
        assert migrate.check(settings) is None
        moved = worker_rows(engine, "registered_by_user_id", "stopped_at", "details")
        stopped_at = moved["stopped"][1]
        if isinstance(stopped_at, datetime) and stopped_at.tzinfo is None:  # SQLite: naive UTC
            stopped_at = stopped_at.replace(tzinfo=UTC)
        assert stopped_at == STOPPED
        assert {k: (v[0], v[2]) for k, v in moved.items()} == {
            "remote": ("u1", {"gpu": 1}),
            "stopped": (None, {}),
            "orphan": (None, {}),
            "plain": (None, {"concurrency": 2}),
        }
        assert moved["remote"][1] is None and moved["plain"][1] is None

        migrate.downgrade(settings, "0002")
        back = worker_rows(engine, "details")
        assert back["remote"] == ({"registered_by": "u1", "gpu": 1},)
        assert back["stopped"] == ({"registered_by": None, "stopped_at": STOPPED.isoformat()},)
        assert back["plain"] == ({"registered_by": None, "concurrency": 2},)
    finally:
        engine.dispose()
