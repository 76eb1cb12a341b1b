# ruff: noqa: F811  (fixtures imported from the API and sign-in tests)
"""Hostile input: JSON nested hundreds of levels deep, stored rows that older versions let in,
and a flood of anonymous sign-in starts."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from praisonai_platform.accounts.oauth.settings import load_oauth_config
from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.core.limits import MAX_JSON_DEPTH_SHOWN, MAX_RESULT_BYTES
from praisonai_platform.core.validation import TOO_DEEP_MARKER
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Agent, Event, EventType, Nonce
from praisonai_platform.runs import checks
from tests.accounts.conftest import Providers, provider_environment, providers  # noqa: F401
from tests.api.conftest import (  # noqa: F401  (fixtures)
    add_member,
    app,
    client,
    make_user,
    make_workspace,
    server_settings,
)
from tests.runs.helpers import API, World, build_world, create_run, register_worker


def nested(depth: int) -> dict[str, Any]:
    """An object nested `depth` levels deep."""
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def depth_of(value: Any) -> int:
    depth = 0
    while isinstance(value, dict) and value:
        value = next(iter(value.values()))
        depth += 1
    return depth + (1 if isinstance(value, dict) else 0)


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member)


async def held_run(client: httpx.AsyncClient, world: World) -> tuple[str, str]:
    run = await create_run(client, world)
    # The owner queued the run, and works it with their own worker.
    worker = await register_worker(client, world.owner, "deep-worker")
    claimed = await client.post(
        f"{API}/workers/{worker}/claim", json={}, headers=world.owner.headers
    )
    assert claimed.status_code == 200, claimed.text
    return str(run["id"]), worker


async def test_a_300_deep_event_context_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, world: World
) -> None:
    run_id, worker = await held_run(client, world)
    response = await client.post(
        f"{API}/runs/{run_id}/events",
        json={"worker_id": worker, "context": nested(300)},
        headers=world.owner.headers,
    )
    assert (response.status_code, response.json()["code"]) == (422, "json_too_deep")
    async with session_scope(read_only=True) as session:
        system_events = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.run_id == run_id, Event.event_type == EventType.SYSTEM)
        )
    assert system_events == 0
    listed = await client.get(world.url("/events"), headers=world.member.headers)
    assert listed.status_code == 200, listed.text


async def test_an_old_300_deep_row_still_lists(client: httpx.AsyncClient, world: World) -> None:
    """A row stored before depth was limited (written here straight into the database) no
    longer breaks every listing of the workspace's events: it shows, cut short by a marker."""
    run_id, worker = await held_run(client, world)
    async with session_scope() as session:
        session.add(
            Event(
                event_type=EventType.SYSTEM,
                workspace_id=world.workspace_id,
                run_id=run_id,
                worker_id=worker,
                message="from an older version",
                context=nested(300),
            )
        )
    for url in (world.url("/events"), world.url(f"/runs/{run_id}/events")):
        listed = await client.get(url, headers=world.member.headers)
        assert listed.status_code == 200, listed.text
        (old,) = [e for e in listed.json() if e["message"] == "from an older version"]
        shown = old["context"]
        for _ in range(MAX_JSON_DEPTH_SHOWN - 1):
            shown = shown["a"]
        assert shown == {"a": TOO_DEEP_MARKER}


async def test_a_300_deep_agent_config_is_refused(client: httpx.AsyncClient, world: World) -> None:
    for field in ("config", "runtime_config"):
        response = await client.post(
            world.url("/agents/"), json={"name": "Deep", field: nested(300)},
            headers=world.owner.headers,
        )  # fmt: skip
        assert (response.status_code, response.json()["code"]) == (422, "json_too_deep")
        updated = await client.patch(
            world.url(f"/agents/{world.agent_id}"), json={field: nested(300)},
            headers=world.owner.headers,
        )  # fmt: skip
        assert (updated.status_code, updated.json()["code"]) == (422, "json_too_deep")
    async with session_scope(read_only=True) as session:
        names = set(await session.scalars(select(Agent.name)))
    assert "Deep" not in names


async def test_a_body_of_a_million_brackets_is_refused_without_parsing(
    client: httpx.AsyncClient, world: World
) -> None:
    for body in (b"[" * 500_000 + b"]" * 500_000, b'{"name": "x", "config": ' + b"[" * 900_000):
        response = await client.post(
            world.url("/agents/"),
            content=body,
            headers={**world.owner.headers, "Content-Type": "application/json"},
        )
        assert (response.status_code, response.json()["code"]) == (422, "json_too_deep")


def test_the_worker_path_refuses_deep_json_too() -> None:
    """Workers connected to the database report through the services, not the API: the same
    check stands there (and a value thousands of levels deep does not exhaust the stack)."""
    for depth in (33, 300, 50_000):
        with pytest.raises(ValidationFailed) as refused:
            checks.json_object(nested(depth), "result", MAX_RESULT_BYTES)
        assert refused.value.code == "json_too_deep"
    assert checks.json_object(nested(32), "result", MAX_RESULT_BYTES) == nested(32)


async def pending_sign_ins() -> int:
    async with session_scope(read_only=True) as session:
        count = await session.scalar(
            select(func.count()).select_from(Nonce).where(Nonce.scope.startswith("oauth:"))
        )
    return int(count or 0)


class CountingTransport(httpx.AsyncBaseTransport):
    """The providers' transport, counting the discovery documents fetched."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.discovery_fetches = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            self.discovery_fetches += 1
        return await self.inner.handle_async_request(request)


async def test_an_anonymous_authorize_flood_is_bounded_and_fetches_discovery_once(
    client: httpx.AsyncClient,
    app: FastAPI,
    providers: Providers,
) -> None:
    app.state.oauth_config = load_oauth_config(
        {
            **provider_environment(),
            "PLATFORM_OAUTH_MAX_PENDING_SIGN_INS": "8",
            "PLATFORM_OAUTH_MAX_PENDING_SIGN_INS_PER_ADDRESS": "5",
        }
    )
    counting = CountingTransport(app.state.oauth_transport)
    app.state.oauth_transport = counting
    url = f"{API}/auth/oauth/google/authorize"

    # One address, 12 starts at once: 5 are remembered, the rest refused; one discovery fetch.
    answers = await asyncio.gather(*(client.get(url) for _ in range(12)))
    assert sorted(a.status_code for a in answers) == [302] * 5 + [429] * 7
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json()["code"] == "too_many_pending_sign_ins"
    assert int(refused.headers["Retry-After"]) > 0
    assert await pending_sign_ins() == 5
    assert counting.discovery_fetches == 1

    # Many addresses: the total stays bounded.
    statuses = []
    for n in range(6):
        transport = httpx.ASGITransport(app=app, client=(f"10.0.0.{n + 1}", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            answer = await other.get(url)
            statuses.append((answer.status_code, answer.json()["code"] if answer.is_error else ""))
    assert statuses == [(302, "")] * 3 + [(503, "oauth_busy")] * 3
    assert await pending_sign_ins() == 8
    assert counting.discovery_fetches == 1
