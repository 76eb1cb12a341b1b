"""A real server per backend for the SDK and CLI tests, and both clients to drive it.

One server process per backend serves the whole session, on a database of its own (tests/api's
PostgreSQL database is emptied between tests, so it is not shared). Tests stay independent by
registering their own users and workspaces. The `api` fixture is a signed-in PlatformClient or
an AsyncPlatformClient driven through `Blocking`, so one scenario exercises both.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from praisonai_platform.client import AsyncPlatformClient, PlatformClient
from praisonai_platform.client.endpoints import Resource
from praisonai_platform.config import load_settings
from praisonai_platform.db import migrate
from tests.conftest import postgres_admin
from tests.live.conftest import LiveServer, start_server, stop_server

PASSWORD = "a long enough password"
FLAVOURS = ("sync", "async")
_serial = itertools.count(1)


def unique_email(name: str = "user") -> str:
    return f"{name}-{next(_serial)}-{uuid.uuid4().hex[:8]}@example.com"


@pytest.fixture(scope="session")
def client_database(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database of the backend for this session's servers, dropped at the end."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("client-db") / "platform.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server_url: str = request.getfixturevalue("postgres_server_url")
    name = f"platform_client_{uuid.uuid4().hex[:12]}"
    with postgres_admin(server_url) as admin:
        admin.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(load_settings(database_url=url), "head")
    yield url
    with postgres_admin(server_url) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def server(client_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        client_database,
        tmp_path_factory.mktemp("client-server") / "server.log",
        # Hundreds of sign-ups: a new email answers with a token, sparing each a second argon2
        # run for the sign-in. Registration's default answer is tested in-process (tests/api,
        # tests/security), and the SDK's and CLI's handling of it through taken emails here.
        environment={"PLATFORM_REGISTRATION_SIGNS_IN": "true"},
    )
    yield live
    stop_server(live)


class Blocking:
    """An AsyncPlatformClient (or one of its namespaces) driven from synchronous test code:
    each call is awaited on one event loop; async iterators are drained into lists."""

    def __init__(self, target: Any, runner: asyncio.Runner) -> None:
        self._target = target
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if isinstance(value, Resource):
            return Blocking(value, self._runner)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            result = value(*args, **kwargs)
            if inspect.isawaitable(result):
                return self._runner.run(_awaited(result))
            if isinstance(result, AsyncIterator):
                return iter(self._runner.run(_drained(result)))
            return result

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            super().__setattr__(name, value)
        else:
            setattr(self._target, name, value)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


async def _drained(iterator: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in iterator]


class ClientFactory:
    """Makes clients of one flavour; closes them all at the end of the test."""

    def __init__(self, flavour: str, base_url: str) -> None:
        self.flavour = flavour
        self.base_url = base_url
        self._runner = asyncio.Runner() if flavour == "async" else None
        self._opened: list[Any] = []

    def __call__(self, *, from_environment: bool = False, **options: Any) -> Any:
        """A client of the server; with `from_environment`, PLATFORM_URL names the server."""
        url = None if from_environment else options.pop("base_url", self.base_url)
        if self._runner is None:
            client: Any = PlatformClient(base_url=url, **options)
        else:
            client = Blocking(AsyncPlatformClient(base_url=url, **options), self._runner)
        self._opened.append(client)
        return client

    def signed_up(self, name: str = "user", **options: Any) -> Any:
        """A client signed in as a new user."""
        client = self(**options)
        client.register(email=unique_email(name), password=PASSWORD)
        return client

    def close(self) -> None:
        for client in self._opened:
            client.close()
        if self._runner is not None:
            self._runner.close()


@pytest.fixture(params=FLAVOURS)
def clients(request: pytest.FixtureRequest, server: LiveServer) -> Iterator[ClientFactory]:
    factory = ClientFactory(request.param, server.base_url)
    yield factory
    factory.close()


@pytest.fixture
def api(clients: ClientFactory) -> Any:
    """A client of the test's flavour, signed in as a new user."""
    return clients.signed_up("owner")


@pytest.fixture
def workspace(api: Any) -> Any:
    return api.workspaces.create(name="Engineering", issue_prefix="ENG")


def server_log(server: LiveServer) -> str:
    return Path(server.log_path).read_text(errors="replace")
