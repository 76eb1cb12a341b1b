"""An API client bound to the test's database, and quick ways to make users and workspaces."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from praisonai_platform.api.app import create_app
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import get_engine, reset_engine
from tests.factories import (
    TEST_SECRET,
    AddMember,
    MakeUser,
    MakeWorkspace,
    Person,
    create_workspace,
    new_member,
    new_user,
)


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
def make_user(client: httpx.AsyncClient, server_settings: ServerSettings) -> MakeUser:
    """Create a user straight in the database (no slow password hashing) and sign them in."""

    async def make(name: str | None = None, *, is_admin: bool = False) -> Person:
        return await new_user(server_settings, name, is_admin=is_admin)

    return make


@pytest.fixture
def make_workspace(client: httpx.AsyncClient) -> MakeWorkspace:
    """Create a workspace through the API, owned by `owner`."""

    async def make(owner: Person, **fields: Any) -> dict[str, Any]:
        return await create_workspace(client, owner, **fields)

    return make


@pytest.fixture
def add_member(client: httpx.AsyncClient) -> AddMember:
    """Make `person` a member of the workspace with `role`, directly in the database."""
    return new_member
