"""Agents: CRUD, status and runtime validation, owner-or-admin changes, activity."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActivityLog

API = "/api/v1/workspaces"


def agents_url(workspace_id: str, suffix: str = "/") -> str:
    return f"{API}/{workspace_id}/agents{suffix}"


async def create_agent(client: httpx.AsyncClient, workspace_id: str, person, **body: Any):  # type: ignore[no-untyped-def]
    response = await client.post(
        agents_url(workspace_id), json={"name": "Reviewer", **body}, headers=person.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_list_get_update_delete(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    agent = await create_agent(client, ws, owner)
    assert (agent["name"], agent["runtime_mode"], agent["status"]) == ("Reviewer", "local", "idle")
    assert (agent["max_concurrent_tasks"], agent["owner_type"], agent["owner_id"]) == (
        1,
        "user",
        owner.id,
    )
    assert (agent["instructions"], agent["avatar_url"], agent["runtime_config"]) == (None, None, {})
    assert agent["workspace_id"] == ws and agent["created_at"] and agent["updated_at"]

    full = await create_agent(
        client,
        ws,
        owner,
        name="Coder",
        runtime_mode="CLOUD",
        runtime_config={"model": "x", "temperature": 0.2},
        instructions="Write code",
        max_concurrent_tasks=1000,
        description="writes",
    )
    assert (full["runtime_mode"], full["runtime_config"]["model"]) == ("cloud", "x")
    assert (full["max_concurrent_tasks"], full["description"]) == (1000, "writes")

    listed = await client.get(
        agents_url(ws, ""), headers={**owner.headers, "Prefer": "count=exact"}
    )
    assert [a["id"] for a in listed.json()] == [agent["id"], full["id"]]
    assert listed.headers["X-Total-Count"] == "2"

    url = agents_url(ws, f"/{agent['id']}")
    assert (await client.get(url, headers=owner.headers)).json() == agent
    updated = await client.patch(
        url,
        json={
            "status": "working",
            "instructions": "Review",
            "max_concurrent_tasks": 3,
            "name": None,
        },
        headers=owner.headers,
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["status"], body["instructions"], body["max_concurrent_tasks"], body["name"]) == (
        "working",
        "Review",
        3,
        "Reviewer",
    )
    active = await client.get(agents_url(ws), params={"status": "working"}, headers=owner.headers)
    assert [a["id"] for a in active.json()] == [agent["id"]]
    idle = await client.get(agents_url(ws), params={"status": "idle"}, headers=owner.headers)
    assert [a["id"] for a in idle.json()] == [full["id"]]
    bad_filter = await client.get(
        agents_url(ws), params={"status": "asleep"}, headers=owner.headers
    )
    assert (bad_filter.status_code, bad_filter.json()["code"]) == (422, "validation_failed")

    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert (await client.get(url, headers=owner.headers)).status_code == 404
    assert (await client.delete(url, headers=owner.headers)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 201},
        {"name": "ok", "runtime_mode": "quantum"},
        {"name": "ok", "status": "sleepy"},
        {"name": "ok", "max_concurrent_tasks": 0},
        {"name": "ok", "max_concurrent_tasks": 1001},
        {"name": "ok", "max_concurrent_tasks": 2**40},
        {"name": "ok", "max_concurrent_tasks": "many"},
        {"name": "ok", "runtime_config": ["not", "an", "object"]},
        {"name": "ok", "runtime_config": {"k": "\x00"}},
        {"name": "ok", "instructions": "i" * 100_001},
        {"name": "ok", "avatar_url": "u" * 2049},
    ],
)
async def test_invalid_agents_are_422(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, body: dict[str, Any]
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    response = await client.post(agents_url(ws), json=body, headers=owner.headers)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert (await client.get(agents_url(ws), headers=owner.headers)).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"status": "sleepy"},
        {"runtime_mode": "quantum"},
        {"max_concurrent_tasks": 0},
        {"max_concurrent_tasks": 2**31},
        {"runtime_config": "not an object"},
        {"instructions": "a\x00b"},
    ],
)
async def test_invalid_updates_are_422(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, body: dict[str, Any]
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    agent = await create_agent(client, ws, owner)
    url = agents_url(ws, f"/{agent['id']}")
    response = await client.patch(url, json=body, headers=owner.headers)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert (await client.get(url, headers=owner.headers)).json() == agent


async def test_permissions(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    owner, admin, member, creator, outsider = [await make_user() for _ in range(5)]
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, admin, "admin")
    await add_member(ws, member)
    await add_member(ws, creator)

    agent = await create_agent(client, ws, creator)
    assert agent["owner_id"] == creator.id
    url = agents_url(ws, f"/{agent['id']}")
    for person in (owner, admin, member, creator):
        assert (await client.get(url, headers=person.headers)).status_code == 200
        assert (await client.get(agents_url(ws), headers=person.headers)).status_code == 200

    refused = await client.patch(url, json={"name": "mine"}, headers=member.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert (await client.delete(url, headers=member.headers)).status_code == 403
    for person, name in ((creator, "by owner"), (admin, "by admin"), (owner, "by ws owner")):
        response = await client.patch(url, json={"name": name}, headers=person.headers)
        assert (response.status_code, response.json()["name"]) == (200, name)
    assert (await client.delete(url, headers=creator.headers)).status_code == 204
    for person in (admin, owner):
        other = await create_agent(client, ws, member)
        assert (
            await client.delete(agents_url(ws, f"/{other['id']}"), headers=person.headers)
        ).status_code == 204

    kept = await create_agent(client, ws, member)
    kept_url = agents_url(ws, f"/{kept['id']}")
    for method, target, body in (
        ("POST", agents_url(ws), {"name": "x"}),
        ("GET", agents_url(ws), None),
        ("GET", kept_url, None),
        ("PATCH", kept_url, {"name": "x"}),
        ("DELETE", kept_url, None),
    ):
        hidden = await client.request(method, target, json=body, headers=outsider.headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found"), (method, target)
        assert (await client.request(method, target, json=body)).status_code == 401
    elsewhere = await create_agent(client, (await make_workspace(outsider))["id"], outsider)
    assert (
        await client.get(agents_url(ws, f"/{elsewhere['id']}"), headers=owner.headers)
    ).status_code == 404


async def test_each_change_is_recorded(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    agent = await create_agent(client, ws, owner)
    url = agents_url(ws, f"/{agent['id']}")
    await client.patch(
        url, json={"status": "offline", "max_concurrent_tasks": 2}, headers=owner.headers
    )
    await client.patch(url, json={"status": "offline"}, headers=owner.headers)  # no change
    await client.delete(url, headers=owner.headers)
    async with session_scope(read_only=True) as session:
        rows = list(
            await session.scalars(
                select(ActivityLog)
                .where(ActivityLog.entity_type == "agent")
                .order_by(ActivityLog.created_at, ActivityLog.id)
            )
        )
    assert [(r.action, r.entity_id, r.actor_id, r.workspace_id) for r in rows] == [
        ("created", agent["id"], owner.id, ws),
        ("updated", agent["id"], owner.id, ws),
        ("deleted", agent["id"], owner.id, ws),
    ]
    assert rows[1].details == {
        "changes": {"status": ["idle", "offline"], "max_concurrent_tasks": [1, 2]}
    }
