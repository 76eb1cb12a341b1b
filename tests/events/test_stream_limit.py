"""How many event streams one caller may hold: streams opened all at once get exactly the limit,
the API's and the web pages' streams share it, and every way a stream ends gives its place
back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.api import deps
from praisonai_platform.events import broker, queries
from praisonai_platform.events.settings import EventStreamSettings
from praisonai_platform.web.session import SESSION_COOKIE
from tests.events.test_stream import stream_path
from tests.events.test_stream_support import SAFETY_SECONDS, AsgiStream
from tests.factories import MakeUser, MakeWorkspace, Person

LIMIT = 3


@pytest.fixture(autouse=True)
async def broker_closed() -> AsyncIterator[None]:
    yield
    await broker.shutdown()


@pytest.fixture
def limited(app: FastAPI) -> EventStreamSettings:
    settings = EventStreamSettings(max_streams_per_caller=LIMIT)
    app.state.event_stream_settings = settings
    return settings


def held(person: Person) -> int:
    """The streams `person` holds (or is opening) in this process."""
    return broker.get_broker(5).streams_of(f"user:{person.id}")


def web_headers(person: Person) -> dict[str, str]:
    return {"Accept": "text/event-stream", "Cookie": f"{SESSION_COOKIE}={person.token}"}


def where(route: str, person: Person, workspace: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The path and headers of a stream of `route`: the API's, or the web pages'."""
    if route == "api":
        return stream_path(workspace["id"]), person.headers
    return f"/w/{workspace['slug']}/live", web_headers(person)


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(SAFETY_SECONDS):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("route", ["api", "web"])
async def test_streams_opened_at_once_get_exactly_the_limit(
    route: str,
    app: FastAPI,
    limited: EventStreamSettings,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A database slow to answer where the stream starts: every stream asked for meanwhile must
    # see the places already taken, not only the streams already sending.
    newest_id = queries.newest_id

    async def slowly(session: AsyncSession, workspace_id: str) -> int:
        await asyncio.sleep(0.2)
        return await newest_id(session, workspace_id)

    monkeypatch.setattr(queries, "newest_id", slowly)
    owner = await make_user()
    path, headers = where(route, owner, await make_workspace(owner))
    streams = [AsgiStream(app, path, headers) for _ in range(30)]
    try:
        await asyncio.gather(*(stream.__aenter__() for stream in streams))
        statuses = [stream.status for stream in streams]
        assert sorted(statuses) == [200] * LIMIT + [429] * (30 - LIMIT), statuses
        for stream in streams:
            if stream.status == 429:
                assert json.loads(stream.body)["code"] == "too_many_streams"
        assert held(owner) == LIMIT
    finally:
        await asyncio.gather(*(stream.__aexit__() for stream in streams))
    assert held(owner) == 0


async def test_the_api_and_the_web_pages_share_one_budget(
    app: FastAPI,
    limited: EventStreamSettings,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner)
    api_path, api_headers = where("api", owner, workspace)
    web_path, web = where("web", owner, workspace)
    async with (
        AsgiStream(app, api_path, api_headers) as first,
        AsgiStream(app, web_path, web) as second,
        AsgiStream(app, web_path, web) as third,
    ):
        assert [first.status, second.status, third.status] == [200] * LIMIT
        for path, headers in ((web_path, web), (api_path, api_headers)):
            refusal = await refused(app, path, headers)
            assert refusal["code"] == "too_many_streams"
            assert "event streams at once" in refusal["detail"]
    async with AsgiStream(app, web_path, web) as again:
        assert again.status == 200  # closed streams count no more


async def test_every_way_a_stream_ends_gives_its_place_back(
    app: FastAPI,
    limited: EventStreamSettings,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner)
    for route in ("api", "web", "api"):
        path, headers = where(route, owner, workspace)
        # Ended by the server (it is stopping), after one more was refused meanwhile.
        async with (
            AsgiStream(app, path, headers) as one,
            AsgiStream(app, path, headers) as two,
            AsgiStream(app, path, headers) as three,
        ):
            assert await one.next(comments=True) is not None  # under way
            await refused(app, path, headers)
            assert held(owner) == LIMIT
            app.state.draining = True
            assert await two.ended() and await three.ended()
            app.state.draining = False
        assert held(owner) == 0

        # A failure after the place was taken and before the stream started.
        with monkeypatch.context() as patched:
            patched.setattr(queries, "newest_id", refuse_to_read)
            for _ in range(LIMIT + 1):
                failed = await client.get(path, headers=headers)
                assert failed.status_code == 500
        assert held(owner) == 0

        # A response the route returned but that was never sent (a failure after the route).
        with monkeypatch.context() as patched:
            patched.setattr(deps, "_write_after_reading", refuse_to_write)
            for _ in range(LIMIT + 1):
                assert await unsent(app, path, headers) == 500
                await until(lambda: held(owner) == 0)

    # All the places are there to take again.
    path, headers = where("api", owner, workspace)
    streams = [AsgiStream(app, path, headers) for _ in range(LIMIT)]
    try:
        await asyncio.gather(*(stream.__aenter__() for stream in streams))
        assert [stream.status for stream in streams] == [200] * LIMIT
    finally:
        await asyncio.gather(*(stream.__aexit__() for stream in streams))
    assert held(owner) == 0


async def refused(app: FastAPI, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """Ask for one stream too many (as a server would: a stream that is let through ends when
    the test stops reading it); the refusal's body."""
    async with AsgiStream(app, path, headers) as stream:
        assert stream.status == 429, stream.body
    return dict(json.loads(stream.body))


async def unsent(app: FastAPI, path: str, headers: dict[str, str]) -> int:
    """GET `path` as a server would (in a task of its own) while the request fails after its
    route returned; the answer's status."""
    stream = AsgiStream(app, path, headers)
    with pytest.raises(RuntimeError, match="the request's end failed"):
        async with stream:
            pass
    return stream.status


async def refuse_to_read(_session: AsyncSession, _workspace_id: str) -> int:
    raise RuntimeError("the database went away")


async def refuse_to_write(_request: object) -> None:
    raise RuntimeError("the request's end failed")
