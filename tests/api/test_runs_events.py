"""The event log: per run and per workspace for members, everything for administrators;
filtered by type and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Event
from tests.runs.helpers import API, World, build_world, create_run, register_worker


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member)


async def finish_a_run(client: httpx.AsyncClient, world: World) -> str:
    run = await create_run(client, world)
    worker = await register_worker(client, world.member, "events-worker")
    headers = world.member.headers
    # The member's worker names the workspace: unnamed, it takes only runs its person queued.
    claimed = await client.post(
        f"{API}/workers/{worker}/claim",
        json={"workspace_id": world.workspace_id},
        headers=headers,
    )
    assert claimed.status_code == 200 and claimed.json()["id"] == run["id"], claimed.text
    await client.post(
        f"{API}/runs/{run['id']}/progress",
        json={"worker_id": worker, "percentage": 50},
        headers=headers,
    )
    await client.post(
        f"{API}/runs/{run['id']}/complete", json={"worker_id": worker}, headers=headers
    )
    return str(run["id"])


async def test_events_of_a_run_and_of_a_workspace(client: httpx.AsyncClient, world: World) -> None:
    run_id = await finish_a_run(client, world)
    other = await create_run(client, world)
    url = world.url(f"/runs/{run_id}/events")
    listed = await client.get(url, headers={**world.member.headers, "Prefer": "count=exact"})
    assert listed.status_code == 200, listed.text
    assert [e["event_type"] for e in listed.json()] == [
        "run_completed",
        "run_progress",
        "run_processing",
        "run_pending",
    ]
    assert listed.headers["X-Total-Count"] == "4"
    completed = listed.json()[0]
    assert (completed["run_id"], completed["workspace_id"], completed["worker_id"]) == (
        run_id,
        world.workspace_id,
        "events-worker",
    )
    assert completed["context"]["changes"] == {"state": ["processing", "completed"]}

    typed = await client.get(
        url, params=[("event_type", "RUN_PROGRESS"), ("event_type", "run_pending")],
        headers=world.owner.headers,
    )  # fmt: skip
    assert [e["event_type"] for e in typed.json()] == ["run_progress", "run_pending"]

    workspace = await client.get(world.url("/events"), headers=world.admin.headers)
    assert {e["run_id"] for e in workspace.json()} == {run_id, other["id"]}
    assert all(e["workspace_id"] == world.workspace_id for e in workspace.json())
    one_run = await client.get(
        world.url("/events/"), params={"run_id": other["id"]}, headers=world.admin.headers
    )
    assert [e["event_type"] for e in one_run.json()] == ["run_pending"]


async def test_time_window(client: httpx.AsyncClient, world: World) -> None:
    run = await create_run(client, world)
    old = datetime(2020, 1, 1, tzinfo=UTC)
    async with session_scope() as session:
        await session.execute(update(Event).where(Event.run_id == run["id"]).values(created_at=old))
    await client.post(world.url(f"/runs/{run['id']}/stop"), headers=world.owner.headers)
    url = world.url(f"/runs/{run['id']}/events")

    async def types(**params: str) -> list[str]:
        response = await client.get(url, params=params, headers=world.owner.headers)
        assert response.status_code == 200, response.text
        return [e["event_type"] for e in response.json()]

    assert await types(since="2021-01-01T00:00:00Z") == ["run_stopped"]
    assert await types(until="2021-01-01T00:00:00+00:00") == ["run_pending"]
    assert await types(since=old.isoformat(), until=(old + timedelta(seconds=1)).isoformat()) == [
        "run_pending"
    ]
    for bad in (
        {"since": "yesterday"},
        {"since": "2021-01-01T00:00:00"},  # no zone
        {"since": "0001-01-01T00:00:00+14:00"},  # before year 1 in UTC
        {"until": "9999-12-31T23:59:59-14:00"},  # after year 9999 in UTC
        {"event_type": "nope"},
    ):
        response = await client.get(url, params=bad, headers=world.owner.headers)
        assert response.status_code == 422, bad


async def test_every_event_is_for_administrators(
    client: httpx.AsyncClient, world: World, make_user
) -> None:  # type: ignore[no-untyped-def]
    await finish_a_run(client, world)
    for person in (world.owner, world.member, world.outsider):
        response = await client.get(f"{API}/events", headers=person.headers)
        assert (response.status_code, response.json()["code"]) == (403, "admin_only")
    assert (await client.get(f"{API}/events")).status_code == 401
    administrator = await make_user("root", is_admin=True)
    everything = await client.get(f"{API}/events", headers=administrator.headers)
    assert everything.status_code == 200
    kinds = {e["event_type"] for e in everything.json()}
    assert {"worker_online", "run_completed"} <= kinds
    online = await client.get(
        f"{API}/events/", params={"event_type": "worker_online"}, headers=administrator.headers
    )
    (event,) = online.json()
    assert (event["worker_id"], event["workspace_id"], event["run_id"]) == (
        "events-worker",
        None,
        None,
    )


async def test_members_only(client: httpx.AsyncClient, world: World) -> None:
    run = await create_run(client, world)
    for url in (world.url(f"/runs/{run['id']}/events"), world.url("/events")):
        assert (await client.get(url, headers=world.outsider.headers)).status_code == 404
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers=world.member.headers)).status_code == 200
