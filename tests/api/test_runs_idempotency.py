"""Idempotency-Key on the POSTs that start work: the first request does it, every repeat (also a
concurrent one) answers the same run; keys expire and are purged."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from praisonai_platform.core import idempotency as nonces
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActivityLog, Event, Nonce
from praisonai_platform.db.types import utcnow
from tests.runs.helpers import API, World, build_world, count_runs, create_run, register_worker

CONCURRENT = 50


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member)


def keyed(world: World, key: str, person=None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**(person or world.owner).headers, "Idempotency-Key": key}


async def test_a_repeat_answers_the_first_run(client: httpx.AsyncClient, world: World) -> None:
    body = {"agent_id": world.agent_id, "parameters": {"n": 1}}
    first = await client.post(world.url("/runs"), json=body, headers=keyed(world, "k-1"))
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    repeat = await client.post(world.url("/runs/"), json=body, headers=keyed(world, "k-1"))
    assert repeat.status_code == 201
    assert repeat.json() == first.json() and repeat.headers["Idempotent-Replayed"] == "true"
    assert await count_runs() == 1
    async with session_scope(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 1
        assert (
            await session.scalar(
                select(func.count())
                .select_from(ActivityLog)
                .where(ActivityLog.entity_type == "run")
            )
            == 1
        )

    reused = await client.post(
        world.url("/runs"), json={**body, "parameters": {"n": 2}}, headers=keyed(world, "k-1")
    )
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    # The key belongs to the person and the route: the same key elsewhere is a new request.
    theirs = await client.post(
        world.url("/runs"), json=body, headers=keyed(world, "k-1", world.member)
    )
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    delegated = await client.post(
        world.url(f"/issues/{world.issue_key}/runs"),
        json={"agent_id": world.agent_id},
        headers=keyed(world, "k-1"),
    )
    assert delegated.status_code == 201 and delegated.json()["id"] != first.json()["id"]
    again = await client.post(
        world.url(f"/issues/{world.issue_key}/runs"),
        json={"agent_id": world.agent_id},
        headers=keyed(world, "k-1"),
    )
    assert again.json()["id"] == delegated.json()["id"]
    assert await count_runs() == 3


async def test_fifty_concurrent_requests_make_one_run(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {"agent_id": world.agent_id, "issue_id": world.issue_key}
    responses = await asyncio.gather(
        *(
            client.post(world.url("/runs"), json=body, headers=keyed(world, "burst"))
            for _ in range(CONCURRENT)
        )
    )
    assert [r.status_code for r in responses] == [201] * CONCURRENT, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == CONCURRENT - 1
    assert await count_runs() == 1


async def test_a_failed_request_does_not_use_up_its_key(
    client: httpx.AsyncClient, world: World
) -> None:
    wrong = await client.post(
        world.url("/runs"), json={"agent_id": "nope"}, headers=keyed(world, "retry-me")
    )
    assert wrong.status_code == 422
    right = await client.post(
        world.url("/runs"), json={"agent_id": world.agent_id}, headers=keyed(world, "retry-me")
    )
    assert right.status_code == 201 and "Idempotent-Replayed" not in right.headers
    hidden = await client.post(
        world.url("/runs"),
        json={"agent_id": world.agent_id},
        headers=keyed(world, "x", world.outsider),
    )
    assert hidden.status_code == 404
    async with session_scope(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(Nonce)) == 1


async def test_keys_expire_and_are_purged(client: httpx.AsyncClient, world: World) -> None:
    body = {"agent_id": world.agent_id}
    first = await client.post(world.url("/runs"), json=body, headers=keyed(world, "old"))
    await client.post(world.url("/runs"), json=body, headers=keyed(world, "fresh"))
    async with session_scope() as session:
        await session.execute(
            update(Nonce)
            .where(Nonce.key == "old")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    after = await client.post(world.url("/runs"), json=body, headers=keyed(world, "old"))
    assert after.status_code == 201 and after.json()["id"] != first.json()["id"]
    async with session_scope() as session:
        await session.execute(update(Nonce).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.execute(
            update(Nonce)
            .where(Nonce.key == "fresh")
            .values(expires_at=utcnow() + timedelta(hours=1))
        )
    async with session_scope() as session:
        assert await nonces.purge_expired(session) == 1
    async with session_scope(read_only=True) as session:
        assert list(await session.scalars(select(Nonce.key))) == ["fresh"]


@pytest.mark.parametrize("key", ["", "has space", "tab\there", "é".encode(), "k" * 256])
async def test_malformed_keys_are_422(
    client: httpx.AsyncClient, world: World, key: str | bytes
) -> None:
    response = await client.post(
        world.url("/runs"),
        json={"agent_id": world.agent_id},
        headers=[*world.owner.headers.items(), ("Idempotency-Key", key)],
    )
    assert response.status_code == 422, response.text
    assert await count_runs() == 0


async def test_a_repeated_claim_gets_the_same_run(client: httpx.AsyncClient, world: World) -> None:
    first = await create_run(client, world)
    await create_run(client, world, max_attempts=1)
    worker = await register_worker(client, world.member)
    url = f"{API}/workers/{worker}/claim"
    scope = {"workspace_id": world.workspace_id}  # naming none: only the member's own runs
    claimed = await client.post(url, json=scope, headers=keyed(world, "claim-1", world.member))
    repeat = await client.post(url, json=scope, headers=keyed(world, "claim-1", world.member))
    assert claimed.status_code == repeat.status_code == 200
    assert repeat.json() == claimed.json() and claimed.json()["id"] == first["id"]
    assert repeat.headers["Idempotent-Replayed"] == "true"
    # The agent runs one at a time: a new claim finds nothing, and its repeat says so again.
    empty = await client.post(url, json=scope, headers=keyed(world, "claim-2", world.member))
    again = await client.post(url, json=scope, headers=keyed(world, "claim-2", world.member))
    assert (empty.status_code, again.status_code, again.content) == (204, 204, b"")
