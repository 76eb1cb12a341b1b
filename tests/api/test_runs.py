"""Runs as members see them: queueing (directly or by delegating an issue), reading, listing,
stopping; references, bounds and the permission of each role."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActorType, EventType, Run, RunState
from tests.runs.helpers import (
    API,
    World,
    build_world,
    count_runs,
    create_run,
    register_worker,
    run_activity,
    run_events,
)


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member)


async def test_create_get_and_list(client: httpx.AsyncClient, world: World) -> None:
    run = await create_run(
        client, world, world.member, issue_id=world.issue_key, parameters={"goal": "ship"}
    )
    assert (run["state"], run["agent_id"], run["issue_id"]) == (
        "pending",
        world.agent_id,
        world.issue_id,
    )
    assert (run["parameters"], run["attempt_count"], run["max_attempts"]) == (
        {"goal": "ship"},
        0,
        3,
    )
    assert (run["created_by_type"], run["created_by_id"]) == ("user", world.member.id)
    assert run["worker_id"] is None and run["lease_expires_at"] is None
    assert (run["progress_percentage"], run["stop_requested"]) == (0.0, False)

    fetched = await client.get(world.url(f"/runs/{run['id']}"), headers=world.admin.headers)
    assert fetched.status_code == 200 and fetched.json() == run
    by_id = await client.get(f"{API}/runs/{run['id']}", headers=world.member.headers)
    assert by_id.status_code == 200 and by_id.json() == run

    second = await create_run(client, world, max_attempts=1)
    listed = await client.get(
        world.url("/runs"), headers={**world.member.headers, "Prefer": "count=exact"}
    )
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [second["id"], run["id"]]  # newest first
    assert listed.headers["X-Total-Count"] == "2"
    of_issue = await client.get(
        world.url(f"/issues/{world.issue_key}/runs/"), headers=world.member.headers
    )
    assert [r["id"] for r in of_issue.json()] == [run["id"]]
    paged = await client.get(world.url("/runs"), params={"limit": 1}, headers=world.owner.headers)
    assert [r["id"] for r in paged.json()] == [second["id"]] and "cursor=" in paged.headers["Link"]

    assert await run_events(run["id"]) == [EventType.RUN_PENDING]
    (created,) = await run_activity(run["id"])
    assert (created.action, created.issue_id, created.actor_id) == (
        "created",
        world.issue_id,
        world.member.id,
    )


async def test_list_filters(client: httpx.AsyncClient, world: World) -> None:
    first = await create_run(client, world)
    stopped = await create_run(client, world)
    await client.post(world.url(f"/runs/{stopped['id']}/stop"), headers=world.owner.headers)
    pending = await client.get(
        world.url("/runs"), params={"state": "PENDING"}, headers=world.owner.headers
    )
    assert [r["id"] for r in pending.json()] == [first["id"]]
    both = await client.get(
        world.url("/runs"),
        params=[("state", "pending"), ("state", "cancelled"), ("agent_id", world.agent_id)],
        headers=world.owner.headers,
    )
    assert {r["id"] for r in both.json()} == {first["id"], stopped["id"]}
    other_agent = await client.get(
        world.url("/runs"), params={"agent_id": "nope"}, headers=world.owner.headers
    )
    assert other_agent.json() == []
    bad = await client.get(
        world.url("/runs"), params={"state": "done"}, headers=world.owner.headers
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_failed")


async def test_delegating_an_issue(client: httpx.AsyncClient, world: World) -> None:
    url = world.url(f"/issues/{world.issue_key}/runs")
    unassigned = await client.post(url, json={}, headers=world.member.headers)
    assert (unassigned.status_code, unassigned.json()["code"]) == (422, "agent_required")

    named = await client.post(
        url,
        json={"agent_id": world.agent_id, "parameters": {"depth": 2}},
        headers=world.member.headers,
    )
    assert named.status_code == 201, named.text
    assert (named.json()["issue_id"], named.json()["parameters"]) == (world.issue_id, {"depth": 2})

    assigned = await client.patch(
        world.url(f"/issues/{world.issue_id}"),
        json={"assignee_type": "agent", "assignee_id": world.agent_id},
        headers=world.owner.headers,
    )
    assert assigned.status_code == 200, assigned.text
    default = await client.post(
        world.url(f"/issues/{world.issue_id}/runs/"), json={}, headers=world.member.headers
    )
    assert default.status_code == 201, default.text
    assert default.json()["agent_id"] == world.agent_id
    (created,) = await run_activity(default.json()["id"])
    assert created.issue_id == world.issue_id and created.details["identifier"] == world.issue_key


async def test_references_must_be_in_the_workspace(
    client: httpx.AsyncClient, world: World, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    elsewhere = await make_workspace(world.owner)
    foreign_agent = await client.post(
        f"{API}/workspaces/{elsewhere['id']}/agents/",
        json={"name": "X"},
        headers=world.owner.headers,
    )
    headers = world.owner.headers
    cases = [
        {"agent_id": foreign_agent.json()["id"]},
        {"agent_id": "no-such-agent"},
        {"agent_id": world.agent_id, "issue_id": "no-such-issue"},
        {"agent_id": world.agent_id, "issue_id": "ENG-999"},
    ]
    for body in cases:
        response = await client.post(world.url("/runs"), json=body, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, "invalid_reference"), body
    delegated = await client.post(
        world.url(f"/issues/{world.issue_id}/runs"),
        json={"agent_id": foreign_agent.json()["id"]},
        headers=headers,
    )
    assert (delegated.status_code, delegated.json()["code"]) == (422, "invalid_reference")
    missing_issue = await client.post(
        world.url("/issues/ENG-404/runs"), json={"agent_id": world.agent_id}, headers=headers
    )
    assert missing_issue.status_code == 404
    for path in ("/runs/nope", "/runs/nope/stop", "/runs/nope/events", "/issues/ENG-404/runs"):
        method = "POST" if path.endswith("stop") else "GET"
        response = await client.request(method, world.url(path), headers=headers)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    assert await count_runs() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"max_attempts": 0},
        {"max_attempts": 101},
        {"max_attempts": 2**31},
        {"parameters": "text"},
        {"parameters": ["a"]},
        {"parameters": {"bad": "nul\x00"}},
        {"parameters": {"big": "x" * 100_001}},
        {"agent_id": ""},
        {"agent_id": "x" * 65},
        {"issue_id": 7},
    ],
)
async def test_bad_input_is_422(
    client: httpx.AsyncClient, world: World, body: dict[str, Any]
) -> None:
    response = await client.post(
        world.url("/runs"), json={"agent_id": world.agent_id, **body}, headers=world.owner.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] in ("validation_failed", "invalid_json")
    assert await count_runs() == 0


async def test_parameters_are_only_data_for_the_agent(
    client: httpx.AsyncClient, world: World, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    elsewhere = await make_workspace(world.outsider)
    sneaky = {
        "workspace_id": elsewhere["id"],
        "agent_id": "someone-else",
        "state": "completed",
        "max_attempts": 100,
        "attempt_count": -5,
        "worker_id": "w",
        "created_by_id": world.owner.id,
        "created_by_type": "system",
        "role": "owner",
        "is_admin": True,
        "credits": 10**12,
        "cost": 0,
    }
    run = await create_run(client, world, world.member, parameters=sneaky)
    assert run["parameters"] == sneaky
    assert (run["workspace_id"], run["agent_id"], run["state"]) == (
        world.workspace_id,
        world.agent_id,
        "pending",
    )
    assert (run["max_attempts"], run["attempt_count"], run["worker_id"]) == (3, 0, None)
    assert (run["created_by_id"], run["created_by_type"]) == (world.member.id, "user")
    # Nor do they open anything: the outsider still sees nothing, the member is still a member.
    hidden = await client.get(world.url(f"/runs/{run['id']}"), headers=world.outsider.headers)
    assert hidden.status_code == 404
    denied = await client.patch(
        world.url(""), json={"name": "Mine now"}, headers=world.member.headers
    )
    assert denied.status_code == 403


async def test_stopping(client: httpx.AsyncClient, world: World) -> None:
    pending = await create_run(client, world)
    stopped = await client.post(
        world.url(f"/runs/{pending['id']}/stop"), headers=world.member.headers
    )
    assert stopped.status_code == 200, stopped.text
    body = stopped.json()
    assert (body["state"], body["stop_requested"]) == ("stopped", True)
    assert body["finished_at"] and body["stop_requested_at"]
    again = await client.post(
        world.url(f"/runs/{pending['id']}/stop/"), headers=world.owner.headers
    )
    assert again.status_code == 200 and again.json() == body
    assert await run_events(pending["id"]) == [EventType.RUN_PENDING, EventType.RUN_STOPPED]
    assert [a.action for a in await run_activity(pending["id"])] == ["created", "stopped"]

    # A processing run is asked; its worker learns at the next heartbeat.
    working = await create_run(client, world)
    worker = await register_worker(client, world.member)
    claimed = await client.post(
        f"{API}/workers/{worker}/claim",
        json={"workspace_id": world.workspace_id},
        headers=world.member.headers,
    )
    assert claimed.json()["id"] == working["id"]
    asked = await client.post(world.url(f"/runs/{working['id']}/stop"), headers=world.admin.headers)
    assert (asked.json()["state"], asked.json()["stop_requested"]) == ("processing", True)
    actions = [a.action for a in await run_activity(working["id"])]
    assert actions == ["created", "claimed", "stop_requested"]
    beat = await client.post(
        f"{API}/workers/{worker}/heartbeat", json={}, headers=world.member.headers
    )
    assert beat.json()["runs"] == [{"id": working["id"], "stop_requested": True}]
    done = await client.post(
        f"{API}/runs/{working['id']}/stopped",
        json={"worker_id": worker, "message": "ok, stopping", "result": {"partial": 1}},
        headers=world.member.headers,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["result"]) == ("stopped", {"partial": 1})

    # Finished runs cannot be stopped.
    finishing = await create_run(client, world)
    await client.post(
        f"{API}/workers/{worker}/claim",
        json={"workspace_id": world.workspace_id},
        headers=world.member.headers,
    )
    await client.post(
        f"{API}/runs/{finishing['id']}/complete",
        json={"worker_id": worker},
        headers=world.member.headers,
    )
    late = await client.post(
        world.url(f"/runs/{finishing['id']}/stop"), headers=world.owner.headers
    )
    assert (late.status_code, late.json()["code"]) == (409, "run_finished")


async def test_a_read_only_key_reads_but_cannot_queue(
    client: httpx.AsyncClient, world: World
) -> None:
    created = await client.post(
        f"{API}/api-keys", json={"scopes": ["read"]}, headers=world.member.headers
    )
    assert created.status_code == 201, created.text
    headers = {"Authorization": f"Bearer {created.json()['key']}"}
    run = await create_run(client, world)
    assert (await client.get(world.url("/runs"), headers=headers)).status_code == 200
    refused = await client.post(
        world.url("/runs"), json={"agent_id": world.agent_id}, headers=headers
    )
    assert refused.status_code == 403
    stop = await client.post(world.url(f"/runs/{run['id']}/stop"), headers=headers)
    assert stop.status_code == 403
    register = await client.post(f"{API}/workers/register", json={}, headers=headers)
    assert register.status_code == 403


async def test_an_agent_key_queues_as_the_agent(client: httpx.AsyncClient, world: World) -> None:
    created = await client.post(
        f"{API}/api-keys", json={"agent_id": world.agent_id}, headers=world.owner.headers
    )
    assert created.status_code == 201, created.text
    headers = {"Authorization": f"Bearer {created.json()['key']}"}
    response = await client.post(
        world.url("/runs"), json={"agent_id": world.agent_id}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert (response.json()["created_by_type"], response.json()["created_by_id"]) == (
        "agent",
        world.agent_id,
    )
    (created_row,) = await run_activity(response.json()["id"])
    assert (created_row.actor_type, created_row.actor_id) == (ActorType.AGENT, world.agent_id)


# Permissions: (method, path, body) → expected status for owner, admin, member, outsider, nobody.
MEMBER_ROUTES = [
    ("POST", "/runs", {"agent_id": "{agent}"}, 201),
    ("POST", "/issues/{issue}/runs", {"agent_id": "{agent}"}, 201),
    ("GET", "/runs", None, 200),
    ("GET", "/issues/{issue}/runs", None, 200),
    ("GET", "/runs/{run}", None, 200),
    ("POST", "/runs/{run}/stop", None, 200),
    ("GET", "/runs/{run}/events", None, 200),
    ("GET", "/events", None, 200),
]


@pytest.mark.parametrize(("method", "path", "body", "ok"), MEMBER_ROUTES)
async def test_member_routes_by_role(
    client: httpx.AsyncClient, world: World, method: str, path: str, body: Any, ok: int
) -> None:
    for role, expected in (
        ("nobody", 401),
        ("outsider", 404),
        ("member", ok),
        ("admin", ok),
        ("owner", ok),
    ):
        run = await create_run(client, world)
        ids = {"agent": world.agent_id, "issue": world.issue_key, "run": run["id"]}
        filled = {k: v.format(**ids) for k, v in body.items()} if body else None
        headers = world.people()[role].headers if role != "nobody" else {}
        response = await client.request(
            method, world.url(path.format(**ids)), json=filled, headers=headers
        )
        assert response.status_code == expected, (role, response.text)
        if expected >= 400:
            assert response.json()["code"]
    async with session_scope(read_only=True) as session:
        creators = set(await session.scalars(select(Run.created_by_id)))
    assert world.outsider.id not in creators


async def test_run_ids_of_other_workspaces_are_not_found(
    client: httpx.AsyncClient, world: World, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    run = await create_run(client, world)
    mine = await make_workspace(world.outsider)
    url = f"{API}/workspaces/{mine['id']}/runs/{run['id']}"
    for method, suffix in (("GET", ""), ("POST", "/stop"), ("GET", "/events")):
        response = await client.request(method, url + suffix, headers=world.outsider.headers)
        assert response.status_code == 404, suffix
    assert (
        await client.get(f"{API}/runs/{run['id']}", headers=world.outsider.headers)
    ).status_code == 404
    async with session_scope(read_only=True) as session:
        assert (await session.get(Run, run["id"])).state is RunState.PENDING  # type: ignore[union-attr]
