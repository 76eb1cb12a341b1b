# ruff: noqa: F811  (fixtures imported from the API tests)
"""Which runs a worker takes. A person's worker (through the API) takes runs of the workspaces
and agents it names; naming none, only runs its person queued, directly or through an agent they
own. The server's own workers (the system actor, on the database) take every run unless given
workspaces."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from praisonai_platform.core.actors import SYSTEM
from praisonai_platform.db import session_scope
from praisonai_platform.runs import leases as run_leases
from praisonai_platform.runs import queue as run_queue
from praisonai_platform.runs.queue import ClaimFilter
from praisonai_platform.runs.settings import RunSettings
from tests.api.conftest import (  # noqa: F401  (fixtures)
    add_member,
    app,
    client,
    make_user,
    make_workspace,
    server_settings,
)
from tests.factories import Person
from tests.runs.helpers import API, World, build_world, create_run, register_worker

SETTINGS = RunSettings(lease_seconds=30, heartbeat_seconds=1)


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member, max_concurrent_tasks=50)


async def claim_all(
    client: httpx.AsyncClient, person: Person, worker: str, **scope: Any
) -> list[str]:
    """Claim until nothing is left; the ids claimed, oldest first."""
    taken: list[str] = []
    while True:
        answer = await client.post(
            f"{API}/workers/{worker}/claim", json=scope, headers=person.headers
        )
        if answer.status_code == 204:
            return taken
        assert answer.status_code == 200, answer.text
        taken.append(answer.json()["id"])


async def test_naming_nothing_takes_only_what_you_queued(
    client: httpx.AsyncClient, world: World
) -> None:
    owners = await create_run(client, world)
    members = await create_run(client, world, world.member)
    # An agent the member owns queues a run through its key: the member's too.
    agent = await client.post(
        world.url("/agents/"),
        json={"name": "Delegate", "max_concurrent_tasks": 5},
        headers=world.member.headers,
    )
    key = await client.post(
        f"{API}/api-keys", json={"agent_id": agent.json()["id"]}, headers=world.member.headers
    )
    delegated = await client.post(
        world.url("/runs"),
        json={"agent_id": world.agent_id},
        headers={"Authorization": f"Bearer {key.json()['key']}"},
    )
    assert delegated.status_code == 201, delegated.text
    worker = await register_worker(client, world.member)
    assert await claim_all(client, world.member, worker) == [members["id"], delegated.json()["id"]]
    admins = await register_worker(client, world.admin)
    assert await claim_all(client, world.admin, admins) == []
    owner_worker = await register_worker(client, world.owner)
    assert await claim_all(client, world.owner, owner_worker) == [owners["id"]]


async def test_named_workspaces_and_agents_narrow_the_queue(
    client: httpx.AsyncClient, world: World, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    other_agent = await client.post(
        world.url("/agents/"), json={"name": "Tester"}, headers=world.owner.headers
    )
    coder_run = await create_run(client, world)
    tester_run = await create_run(client, world, agent_id=other_agent.json()["id"])
    elsewhere = await make_workspace(world.member)
    worker = await register_worker(client, world.member)
    # Both named: a run must be in a named workspace AND of a named agent.
    assert (
        await claim_all(
            client,
            world.member,
            worker,
            workspace_ids=[elsewhere["id"]],
            agent_ids=[world.agent_id],
        )
        == []
    )
    assert await claim_all(client, world.member, worker, agent_ids=[other_agent.json()["id"]]) == [
        tester_run["id"]
    ]
    # A workspace you are not a member of stays out of reach, named or not.
    outsiders = await register_worker(client, world.outsider)
    assert (
        await claim_all(client, world.outsider, outsiders, workspace_ids=[world.workspace_id]) == []
    )
    assert await claim_all(
        client, world.member, worker, workspace_ids=[elsewhere["id"], world.workspace_id]
    ) == [coder_run["id"]]


async def test_claim_scope_is_bounded(client: httpx.AsyncClient, world: World) -> None:
    worker = await register_worker(client, world.member)
    for scope in ({"workspace_ids": ["w"] * 101}, {"agent_ids": [""]}, {"workspace_ids": "w"}):
        answer = await client.post(
            f"{API}/workers/{worker}/claim", json=scope, headers=world.member.headers
        )
        assert answer.status_code == 422, scope


async def test_the_servers_own_workers_serve_every_workspace_unless_restricted(
    client: httpx.AsyncClient, world: World, make_user, make_workspace, add_member
) -> None:  # type: ignore[no-untyped-def]
    second = await build_world(client, make_user, make_workspace, add_member)
    first_run = await create_run(client, world, world.member)
    second_run = await create_run(client, second)

    async with session_scope() as session:
        await run_leases.sign_on(session, SYSTEM, "box")

    async def take(filters: ClaimFilter) -> str | None:
        async with session_scope() as session:
            run = await run_queue.claim(session, SYSTEM, "box", SETTINGS, filters)
            return None if run is None else run.id

    assert await take(ClaimFilter(workspace_ids=(second.workspace_id,))) == second_run["id"]
    assert await take(ClaimFilter(workspace_ids=(second.workspace_id,))) is None
    assert await take(ClaimFilter()) == first_run["id"]
