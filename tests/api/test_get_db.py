"""The `get_db` dependency: one transaction per request, committed before the response."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from praisonai_platform.api.deps import DbSession
from praisonai_platform.db import get_engine, reset_engine, session_scope
from praisonai_platform.db.models import Workspace


def build_app() -> FastAPI:
    app = FastAPI()

    @app.post("/workspaces/{slug}", status_code=201)
    async def create(slug: str, session: DbSession) -> dict[str, str]:
        session.add(Workspace(name=slug, slug=slug))
        if slug == "explodes":
            await session.flush()
            raise RuntimeError("handler failed after writing")
        return {"slug": slug}

    return app


@pytest.fixture
async def client(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    get_engine(db_url)
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await reset_engine()


async def slugs() -> list[str]:
    async with session_scope(read_only=True) as session:
        return list(
            (await session.execute(select(Workspace.slug).order_by(Workspace.slug))).scalars()
        )


async def test_a_successful_request_is_committed(client: httpx.AsyncClient) -> None:
    assert (await client.post("/workspaces/research")).status_code == 201
    assert await slugs() == ["research"]


async def test_a_failing_handler_is_rolled_back(client: httpx.AsyncClient) -> None:
    assert (await client.post("/workspaces/explodes")).status_code == 500
    assert await slugs() == []


async def test_a_write_that_cannot_commit_is_never_acknowledged(client: httpx.AsyncClient) -> None:
    assert (await client.post("/workspaces/twice")).status_code == 201
    # The duplicate slug is only detected at commit time (the session does not autoflush).
    assert (await client.post("/workspaces/twice")).status_code >= 400
    async with session_scope(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(Workspace)) == 1
