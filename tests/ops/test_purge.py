"""`db purge` and the server's periodic purge delete what expired, and nothing else."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from praisonai_platform.accounts.oauth.service import LINK_SCOPE_PREFIX, STATE_SCOPE_PREFIX
from praisonai_platform.api.app import create_app
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import purge as purges
from praisonai_platform.db.models import AccountToken, Nonce, User
from praisonai_platform.db.types import new_id, utcnow
from tests.factories import TEST_SECRET
from tests.forkserver import run_cli

EXPIRED, LIVE = -timedelta(minutes=1), timedelta(hours=1)


async def seed(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, set[str]]:
    """Two of each kind that must go, one of each that must stay; returns the ids that stay."""
    now = utcnow()
    kept: dict[str, set[str]] = {"nonces": set(), "tokens": set()}
    async with session_factory() as session:
        user = User(name="u", email=f"u-{new_id()[:8]}@example.com")
        session.add(user)
        await session.flush()
        for scope, life in [
            ("user-1:create-run", EXPIRED),
            ("user-2:create-run", EXPIRED),
            ("user-1:create-run", LIVE),
            (STATE_SCOPE_PREFIX + "github", EXPIRED),
            (LINK_SCOPE_PREFIX + "google", EXPIRED),
            (STATE_SCOPE_PREFIX + "github", LIVE),
        ]:
            nonce = Nonce(id=new_id(), scope=scope, key=new_id(), expires_at=now + life)
            session.add(nonce)
            if life is LIVE:
                kept["nonces"].add(nonce.id)
        for life, used in [(EXPIRED, None), (LIVE, now), (LIVE, None)]:
            token = AccountToken(
                id=new_id(), user_id=user.id, purpose="verify_email", token_hash=new_id(),
                email=user.email, expires_at=now + life, used_at=used,
            )  # fmt: skip
            session.add(token)
            if life is LIVE and used is None:
                kept["tokens"].add(token.id)
        await session.commit()
    return kept


async def remaining(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, set[str]]:
    async with session_factory() as session:
        return {
            "nonces": set(await session.scalars(select(Nonce.id))),
            "tokens": set(await session.scalars(select(AccountToken.id))),
        }


async def test_purge_deletes_expired_rows_in_batches_and_counts_each_kind(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    kept = await seed(session_factory)
    counts = await purges.purge(session_factory, batch=1)
    assert counts == {
        "idempotency keys": 2,
        "pending sign-ins": 2,
        "account tokens": 2,
        "feed events": 0,  # tests/events covers them
        "webhook deliveries": 0,  # tests/webhooks covers them
    }
    assert await remaining(session_factory) == kept
    assert await purges.purge(session_factory) == dict.fromkeys(counts, 0)


async def test_the_server_purges_periodically(
    db_url: str,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = await seed(session_factory)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PLATFORM_PURGE_INTERVAL_SECONDS", "0.1")
    app = create_app(ServerSettings(jwt_secret=TEST_SECRET, env="test"))
    async with app.router.lifespan_context(app):
        for _ in range(600):  # 30 s at most
            if await remaining(session_factory) == kept:
                break
            await asyncio.sleep(0.05)
    assert await remaining(session_factory) == kept


@pytest.mark.sqlite_only
async def test_a_purge_interval_of_zero_turns_the_periodic_purge_off(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PLATFORM_PURGE_INTERVAL_SECONDS", "0")
    app = create_app(ServerSettings(jwt_secret=TEST_SECRET, env="test"))
    async with app.router.lifespan_context(app):
        assert not [task for task in asyncio.all_tasks() if task.get_name() == "purge"]
    monkeypatch.setenv("PLATFORM_PURGE_INTERVAL_SECONDS", "60")
    app = create_app(ServerSettings(jwt_secret=TEST_SECRET, env="test"))
    async with app.router.lifespan_context(app):
        assert [task for task in asyncio.all_tasks() if task.get_name() == "purge"]
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "purge"]


@pytest.mark.sqlite_only
async def test_db_purge_reports_counts(
    db_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    kept = await seed(session_factory)
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))},
        "DATABASE_URL": db_url,
    }
    result = await asyncio.to_thread(run_cli, "db", "purge", env=environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "2 idempotency keys\n2 pending sign-ins\n2 account tokens\n0 feed events\n"
        "0 webhook deliveries\n"
    )
    assert await remaining(session_factory) == kept
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Nonce)) == 2
