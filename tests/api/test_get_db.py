"""The `get_db` dependency: one transaction per request, committed before the response."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.api.deps import DbSession, get_db_session
from praisonai_platform.config import sqlite_file_path
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

    @app.api_route("/transaction", methods=["GET", "POST"])
    async def transaction(session: DbSession) -> dict[str, bool]:
        return {"read_only": await is_read_only(session)}

    @app.api_route("/chassis-transaction", methods=["GET", "POST"])
    async def chassis_transaction(
        session: AsyncSession = Depends(get_db_session),
    ) -> dict[str, bool]:
        return {"read_only": await is_read_only(session)}

    return app


async def is_read_only(session: AsyncSession) -> bool:
    """PostgreSQL: the transaction is READ ONLY. SQLite: it does not hold the write lock, so
    another connection may start writing meanwhile."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        return await session.scalar(text("SHOW transaction_read_only")) == "on"
    path = sqlite_file_path(connection.engine.url.render_as_string(hide_password=False))
    with closing(sqlite3.connect(str(path), timeout=0, isolation_level=None)) as other:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        other.execute("ROLLBACK")
    return True


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


@pytest.mark.parametrize("path", ["/transaction", "/chassis-transaction"])
async def test_reads_never_take_the_write_lock(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).json() == {"read_only": True}
    assert (await client.post(path)).json() == {"read_only": False}
