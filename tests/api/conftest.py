"""An API client bound to the test's database, and quick ways to make users and workspaces."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

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


_APPS: dict[str, FastAPI] = {}


def _app_key(server_settings: ServerSettings) -> str:
    """What an app is built from: its settings and the environment its other settings load from."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    fields = server_settings.model_dump()
    return json.dumps([fields, environment], sort_keys=True, default=_reveal)


def _reveal(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else repr(value)


@pytest.fixture
def app(server_settings: ServerSettings) -> Iterator[FastAPI]:
    """The application for these settings. FastAPI builds an app's routes on its first request
    (~0.5 s), so tests with the same settings and environment share one app; whatever a test
    puts into `app.state` is undone after it."""
    key = _app_key(server_settings)
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(server_settings)
    state = dict(app.state._state)
    yield app
    app.state._state.clear()
    app.state._state.update(state)


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
