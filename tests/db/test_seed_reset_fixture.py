"""Seed 000's "Resetting Engine in Tests" fixture, as written, on the default database."""

import pytest
from sqlalchemy import func, select

from praisonai_platform.db import init_db, reset_engine, session_scope
from praisonai_platform.db.models import Workspace


@pytest.fixture(autouse=True)
async def clean_db():
    await reset_engine()  # Clear cached engine
    await init_db()  # Create fresh tables
    yield
    await reset_engine()  # Clean up


@pytest.mark.parametrize("attempt", [1, 2])
async def test_every_test_starts_with_fresh_tables(attempt: int) -> None:
    async with session_scope() as session:
        assert await session.scalar(select(func.count()).select_from(Workspace)) == 0
        session.add(Workspace(name=f"Research {attempt}", slug=f"research-{attempt}"))
    async with session_scope(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(Workspace)) == 1
