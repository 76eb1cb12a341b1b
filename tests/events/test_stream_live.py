"""The live event stream across processes: servers, the SDK and the command line.

Each test starts real server processes on its database. On PostgreSQL the servers poll only
every five minutes, so an event can reach them through LISTEN/NOTIFY alone; with SQLite they
poll often, which is how they hear of another process's events.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from praisonai_platform.client import AsyncPlatformClient, PlatformClient, RetryPolicy
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.events.schemas import WorkspaceEventResponse
from tests import forkserver
from tests.events.test_stream_support import SAFETY_SECONDS, Sse, SseParser
from tests.factories import MakeUser, MakeWorkspace, Person
from tests.live.conftest import SECRET, LiveServer, start_server, stop_server

API = "/api/v1/workspaces"


@pytest.fixture
def server_settings() -> ServerSettings:
    """Tokens the live servers accept (they sign with the live tests' secret)."""
    return ServerSettings(jwt_secret=SECRET, env="test")


@pytest.fixture
def environment(backend: str) -> dict[str, str]:
    return {"PLATFORM_EVENTS_POLL_SECONDS": "300" if backend == "postgres" else "0.1"}


@pytest.fixture
def servers(db_url: str, tmp_path: Path, environment: dict[str, str]) -> Iterator[list[LiveServer]]:
    started: list[LiveServer] = []
    try:
        for name in ("a", "b"):
            started.append(start_server(db_url, tmp_path / f"{name}.log", environment=environment))
        yield started
    finally:
        for server in started:
            stop_server(server)


@asynccontextmanager
async def live_stream(
    base_url: str, path: str, headers: dict[str, str]
) -> AsyncIterator[asyncio.Queue[Sse]]:
    """The stream's events (and comments) as they arrive, read by a task of its own."""
    events: asyncio.Queue[Sse] = asyncio.Queue()

    async def read() -> None:
        parser = SseParser()
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=SAFETY_SECONDS) as http,
            http.stream("GET", path, headers=headers) as response,
        ):
            assert response.status_code == 200, await response.aread()
            async for chunk in response.aiter_text():
                for event in parser.feed(chunk):
                    events.put_nowait(event)

    reader = asyncio.create_task(read())
    try:
        yield events
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def next_event(events: asyncio.Queue[Sse], *, comments: bool = False) -> Sse:
    async with asyncio.timeout(SAFETY_SECONDS):
        while True:
            event = await events.get()
            if comments or event.event != "comment":
                return event


async def post_issue(base_url: str, person: Person, ws: str, title: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=SAFETY_SECONDS) as http:
        answer = await http.post(
            f"{API}/{ws}/issues", json={"title": title}, headers=person.headers
        )
        assert answer.status_code == 201, answer.text


async def newest(base_url: str, person: Person, ws: str) -> int:
    async with httpx.AsyncClient(base_url=base_url, timeout=SAFETY_SECONDS) as http:
        page = await http.get(f"{API}/{ws}/events/feed", headers=person.headers)
        return int(page.json()["next_after"])


async def test_an_event_written_through_one_server_reaches_a_stream_held_by_another(
    servers: list[LiveServer], make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    first, second = servers
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    path = f"{API}/{ws}/events/stream"
    async with live_stream(second.base_url, path, owner.headers) as events:
        opened = await next_event(events, comments=True)
        assert opened.event == "comment"
        await post_issue(first.base_url, owner, ws, "from the other server")
        event = await next_event(events)
        # Listening by now: on PostgreSQL this one can come by NOTIFY only.
        await post_issue(first.base_url, owner, ws, "and another")
        another = await next_event(events)
    assert event.event == "issue.created"
    assert event.json()["data"]["title"] == "from the other server"
    assert another.json()["data"]["title"] == "and another"
    assert int(another.id or 0) > int(event.id or 0)


def titles(items: list[Any]) -> list[str]:
    return [item.data["title"] for item in items if isinstance(item, WorkspaceEventResponse)]


async def test_the_sdk_streams_and_resumes_after_the_server_restarts(
    backend: str,
    db_url: str,
    tmp_path: Path,
    environment: dict[str, str],
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
) -> None:
    # The client's reconnecting is the same on either backend: the sync client is tried on one,
    # the async client on the other.
    flavour = "sync" if backend == "sqlite" else "async"
    server = start_server(db_url, tmp_path / "server.log", environment=environment)
    port = int(server.base_url.rsplit(":", 1)[1])
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    start = await newest(server.base_url, owner, ws)
    retry = RetryPolicy(attempts=3, backoff=0.05, max_backoff=0.2, jitter=False)
    received: list[Any] = []
    try:
        await post_issue(server.base_url, owner, ws, "one")
        if flavour == "sync":
            client = PlatformClient(server.base_url, token=owner.token, retries=retry)
            stream = client.events.stream(ws, after=start)
            received.append(await asyncio.to_thread(next, stream))
            stop_server(server)
            await post_issue_in_process(owner, ws, ["two", "three"])
            server = start_server(
                db_url, tmp_path / "again.log", port=port, environment=environment
            )
            received += [await asyncio.to_thread(next, stream) for _ in range(2)]
            await asyncio.to_thread(stream.close)
            client.close()
        else:
            async with (
                AsyncPlatformClient(
                    server.base_url, token=owner.token, retries=retry
                ) as async_client,
                aclosing(async_client.events.stream(ws, after=start)) as items,
            ):
                received.append(await anext(items))
                stop_server(server)
                await post_issue_in_process(owner, ws, ["two", "three"])
                server = start_server(
                    db_url, tmp_path / "again.log", port=port, environment=environment
                )
                received += [await anext(items) for _ in range(2)]
    finally:
        stop_server(server)
    assert titles(received) == ["one", "two", "three"]
    ids = [item.id for item in received]
    assert ids == sorted(set(ids))


async def post_issue_in_process(owner: Person, ws: str, names: list[str]) -> None:
    """Changes made while no server runs (by another process, such as a worker)."""
    from praisonai_platform.activity import service as activity
    from praisonai_platform.db import session_scope

    for name in names:
        async with session_scope() as session:
            activity.record(
                session,
                None,
                workspace_id=ws,
                entity_type="issue",
                entity_id=name,
                action="created",
                details={"title": name},
            )


async def test_the_cli_tails_events(
    db_url: str,
    tmp_path: Path,
    environment: dict[str, str],
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
) -> None:
    server = start_server(db_url, tmp_path / "server.log", environment=environment)
    try:
        owner = await make_user()
        ws = (await make_workspace(owner, name="Tailed"))["id"]
        start = await newest(server.base_url, owner, ws)
        for title in ("alpha", "beta", "gamma"):
            await post_issue(server.base_url, owner, ws, title)
        cli_environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))},
            "PLATFORM_URL": server.base_url,
            "PLATFORM_TOKEN": owner.token,
            "PLATFORM_CONFIG_DIR": str(tmp_path / "config"),
            "COLUMNS": "200",
        }
        arguments = ["events", "tail", "--workspace", ws, "--after", str(start)]
        as_json = await asyncio.to_thread(
            forkserver.run_cli, *arguments, "--count", "2", "--json", env=cli_environment
        )
        as_text = await asyncio.to_thread(
            forkserver.run_cli, *arguments, "-n", "3", "--types", "issue.*", env=cli_environment
        )
    finally:
        stop_server(server)
    assert as_json.returncode == 0, as_json.stderr
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(e["type"], e["data"]["title"]) for e in lines] == [
        ("issue.created", "alpha"),
        ("issue.created", "beta"),
    ]
    assert as_text.returncode == 0, as_text.stderr
    shown = as_text.stdout.splitlines()
    assert shown[0].startswith("Following tailed")
    assert [line.split("  ")[2] for line in shown[1:]] == ["issue.created"] * 3
    assert [line.rsplit("  ", 1)[1] for line in shown[1:]] == ["alpha", "beta", "gamma"]
    assert shown[1].startswith(f"#{lines[0]['id']}  ")
