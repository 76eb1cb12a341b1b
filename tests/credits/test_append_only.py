"""The ledger is append-only in the database itself: raw UPDATE and DELETE fail on both backends,
whether the schema came from the migrations or from create_all."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from praisonai_platform.billing import service as credits
from praisonai_platform.config import derive_alembic_database_url, load_settings
from praisonai_platform.db import get_engine, init_db, migrate, reset_engine, session_scope
from praisonai_platform.db.models import User

TAMPERING = (
    "UPDATE credit_ledger SET delta = delta + 1000",
    "UPDATE credit_ledger SET reason = 'rewritten' WHERE reason = 'seed'",
    "DELETE FROM credit_ledger",
)


async def seed_entry() -> str:
    """A user with one ledger row, on the process-wide engine."""
    async with session_scope() as session:
        user = User(name="ledger-owner", email="owner@example.com")
        session.add(user)
        await session.flush()
        await credits.post_entry(session, user_id=user.id, delta=5, reason="seed", source="test")
        return user.id


def sync_engine(database_url: str) -> Engine:
    return create_engine(derive_alembic_database_url(database_url))


def ledger_rows(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(text("SELECT delta, reason FROM credit_ledger"))
        ]


def assert_tampering_refused(engine: Engine) -> None:
    before = ledger_rows(engine)
    assert before == [(5, "seed")]
    for statement in TAMPERING:
        with pytest.raises(DBAPIError, match="credit_ledger is append-only"), engine.begin() as c:
            c.execute(text(statement))
    assert ledger_rows(engine) == before


async def test_raw_update_and_delete_fail_on_a_migrated_database(db_url: str) -> None:
    get_engine(db_url)
    await seed_entry()
    await reset_engine()
    engine = sync_engine(db_url)
    try:
        assert_tampering_refused(engine)
        # Inserting stays possible: append-only, not read-only.
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO credit_ledger (id, user_id, delta, balance_after, reason, "
                    "source, details, created_at) SELECT 'extra', user_id, 1, 6, 'more', 'test', "
                    "'{}', created_at FROM credit_ledger"
                )
            )
        assert len(ledger_rows(engine)) == 2
    finally:
        engine.dispose()


async def test_raw_update_and_delete_fail_on_the_in_memory_database() -> None:
    engine = get_engine()  # nothing configured: in-memory SQLite built with create_all
    assert engine.url.get_backend_name() == "sqlite"
    await seed_entry()
    for statement in TAMPERING:
        with pytest.raises(DBAPIError, match="credit_ledger is append-only"):
            async with session_scope() as session:
                await session.execute(text(statement))
    async with session_scope(read_only=True) as session:
        rows = (await session.execute(text("SELECT delta, reason FROM credit_ledger"))).all()
    assert [tuple(row) for row in rows] == [(5, "seed")]


async def test_raw_update_and_delete_fail_on_a_database_made_by_init_db(
    backend: str, empty_db_url: str
) -> None:
    get_engine(empty_db_url)
    await init_db()  # a new database: create_all, then stamp
    await seed_entry()
    await reset_engine()
    engine = sync_engine(empty_db_url)
    try:
        assert_tampering_refused(engine)
    finally:
        engine.dispose()


async def test_downgrade_removes_the_triggers_and_upgrade_restores_them(
    backend: str, empty_db_url: str
) -> None:
    settings = load_settings(database_url=empty_db_url)
    migrate.upgrade(settings, "head")
    # Seeded at head (the models describe the newest schema), then taken back to before 0002.
    get_engine(empty_db_url)
    await seed_entry()
    await reset_engine()
    migrate.downgrade(settings, "0001")
    engine = sync_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE credit_ledger SET reason = 'seed'"))
        migrate.upgrade(settings, "head")
        assert_tampering_refused(engine)
        assert migrate.check(settings) is None
    finally:
        engine.dispose()


@pytest.mark.postgres_only
async def test_truncate_still_empties_the_ledger(backend: str, db_url: str) -> None:
    get_engine(db_url)
    await seed_entry()
    await reset_engine()
    engine = sync_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE credit_ledger"))
        assert ledger_rows(engine) == []
    finally:
        engine.dispose()
