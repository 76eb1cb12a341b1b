"""Seed 001's request-scoped dependencies, as its snippets write them, in an app from create_app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.api.app import create_app
from praisonai_platform.api.deps import get_db_session, get_session_factory
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import get_engine, session_scope
from praisonai_platform.db.models import Workspace
from tests.factories import TEST_SECRET


# Seed 001's dependency, exactly as its documentation writes it.
async def seed_get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a request-scoped async database session."""
    async for session in session_scope(get_session_factory(request)):
        yield session


def chassis_app() -> FastAPI:
    app = create_app(ServerSettings(jwt_secret=TEST_SECRET, env="test"))

    @app.post("/chassis/{slug}")
    async def create(slug: str, session: AsyncSession = Depends(get_db_session)) -> dict[str, str]:
        session.add(Workspace(name=slug, slug=slug))
        await session.flush()
        if slug.startswith("fail"):
            raise RuntimeError("the handler failed after writing")
        return {"slug": slug}

    @app.post("/seed/{slug}")
    async def seed_style(
        slug: str, session: AsyncSession = Depends(seed_get_db_session)
    ) -> dict[str, str]:
        session.add(Workspace(name=slug, slug=slug))
        return {"slug": slug}

    return app


async def slugs() -> set[str]:
    async with session_scope(read_only=True) as session:
        return set(await session.scalars(select(Workspace.slug)))


@pytest.fixture
async def chassis(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    get_engine(db_url)
    transport = httpx.ASGITransport(app=chassis_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def test_get_db_session_commits_before_the_response(chassis: httpx.AsyncClient) -> None:
    response = await chassis.post("/chassis/kept")
    assert response.status_code == 200
    # The row is visible to another session as soon as the client has its answer.
    assert "kept" in await slugs()


async def test_get_db_session_rolls_back_when_the_handler_fails(
    chassis: httpx.AsyncClient,
) -> None:
    assert (await chassis.post("/chassis/failing")).status_code == 500
    assert "failing" not in await slugs()


async def test_the_seed_snippet_runs_as_written(chassis: httpx.AsyncClient) -> None:
    assert (await chassis.post("/seed/from-the-seed")).json() == {"slug": "from-the-seed"}
    assert "from-the-seed" in await slugs()


async def test_the_app_keeps_its_engine_and_session_factory_on_its_state(db_url: str) -> None:
    app = chassis_app()
    get_engine(db_url)
    async with app.router.lifespan_context(app):
        assert app.state.engine is get_engine()
        request = Request({"type": "http", "app": app})
        assert get_session_factory(request) is app.state.session_factory
        assert app.state.session_factory.kw["bind"] is get_engine()
    assert app.state.session_factory is None
