"""An API client bound to the test's database, and quick ways to make users and workspaces."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from praisonai_platform.accounts import passwords, tokens
from praisonai_platform.api.app import create_app
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import get_engine, reset_engine, session_scope
from praisonai_platform.db.models import User

TEST_SECRET = "test-secret-that-is-long-enough-for-production-use"
PASSWORD = "correct horse battery staple"
_serial = itertools.count(1)


@dataclass
class Person:
    """A signed-in user of the API in tests."""

    id: str
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return passwords._hasher().hash(PASSWORD)


@pytest.fixture
def server_settings() -> ServerSettings:
    return ServerSettings(jwt_secret=TEST_SECRET, env="test")


@pytest.fixture
def app(server_settings: ServerSettings) -> FastAPI:
    return create_app(server_settings)


@pytest.fixture
async def client(db_url: str, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client calling the app in-process, on the test's database."""
    get_engine(db_url)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await reset_engine()


@pytest.fixture
def make_user(client: httpx.AsyncClient, server_settings: ServerSettings):  # type: ignore[no-untyped-def]
    """Create a user straight in the database (no slow password hashing) and sign them in."""

    async def make(name: str | None = None, *, is_admin: bool = False) -> Person:
        n = next(_serial)
        name = name or f"user{n}"
        email = f"{name}-{n}@example.com"
        async with session_scope() as session:
            user = User(
                name=f"{name}-{n}", email=email, password_hash=_password_hash(), is_admin=is_admin
            )
            session.add(user)
            await session.flush()
            user_id = user.id
        return Person(
            id=user_id,
            email=email,
            name=f"{name}-{n}",
            token=tokens.issue(server_settings, user_id),
        )

    return make


@pytest.fixture
def make_workspace(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    """Create a workspace through the API, owned by `owner`."""

    async def make(owner: Person, **fields: Any) -> dict[str, Any]:
        body = {"name": f"Workspace {next(_serial)}", **fields}
        response = await client.post("/api/v1/workspaces/", json=body, headers=owner.headers)
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def add_member(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    """Make `person` a member of the workspace with `role`, directly in the database."""
    from praisonai_platform.db.models import Member

    async def add(workspace_id: str, person: Person, role: str = "member") -> None:
        async with session_scope() as session:
            session.add(Member(workspace_id=workspace_id, user_id=person.id, role=role))

    return add
