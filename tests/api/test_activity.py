"""Reading the audit trail: newest first, paged, filtered, per workspace and per issue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActivityLog, ActorType
from tests.factories import new_issue

API = "/api/v1/workspaces"
T0 = datetime(2030, 1, 1, tzinfo=UTC)


async def add_rows(workspace_id: str, *rows: dict[str, object]) -> list[str]:
    """Activity rows one second apart after T0, so their order is known."""
    async with session_scope() as session:
        entries = [
            ActivityLog(workspace_id=workspace_id, created_at=T0 + timedelta(seconds=i), **row)
            for i, row in enumerate(rows)
        ]
        session.add_all(entries)
        await session.flush()
        return [entry.id for entry in entries]


async def test_workspace_activity_newest_first_and_paged(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    label = await client.post(f"{API}/{ws}/labels", json={"name": "bug"}, headers=owner.headers)
    agent = await client.post(f"{API}/{ws}/agents/", json={"name": "bot"}, headers=owner.headers)
    response = await client.get(
        f"{API}/{ws}/activity", headers={**owner.headers, "Prefer": "count=exact"}
    )
    assert response.status_code == 200, response.text
    rows = response.json()
    assert [(r["entity_type"], r["action"]) for r in rows] == [
        ("agent", "created"),
        ("label", "created"),
        ("workspace", "created"),
    ]
    assert response.headers["X-Total-Count"] == "3"
    newest = rows[0]
    assert set(newest) >= {
        "id",
        "workspace_id",
        "entity_type",
        "entity_id",
        "issue_id",
        "actor_type",
        "actor_id",
        "action",
        "details",
        "created_at",
    }
    assert (newest["entity_id"], newest["workspace_id"]) == (agent.json()["id"], ws)
    assert (newest["actor_type"], newest["actor_id"], newest["issue_id"]) == (
        "user",
        owner.id,
        None,
    )
    assert rows[1]["entity_id"] == label.json()["id"]
    assert rows[1]["details"] == {"name": "bug", "color": "#6B7280"}

    first = await client.get(f"{API}/{ws}/activity/", params={"limit": 2}, headers=owner.headers)
    assert [r["id"] for r in first.json()] == [r["id"] for r in rows[:2]]
    second = await client.get(
        first.headers["Link"].split(";")[0].strip("<>"), headers=owner.headers
    )
    assert [r["id"] for r in second.json()] == [rows[2]["id"]]
    offset = await client.get(
        f"{API}/{ws}/activity", params={"offset": 1, "limit": 1}, headers=owner.headers
    )
    assert [r["id"] for r in offset.json()] == [rows[1]["id"]]
    bad_cursor = await client.get(
        f"{API}/{ws}/activity", params={"cursor": "garbage"}, headers=owner.headers
    )
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (422, "invalid_cursor")


async def test_filters(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    ids = await add_rows(
        ws,
        {"entity_type": "issue", "entity_id": "i1", "action": "created", "actor_id": owner.id},
        {
            "entity_type": "issue",
            "entity_id": "i1",
            "action": "updated",
            "actor_type": ActorType.AGENT,
            "actor_id": "agent-1",
        },
        {
            "entity_type": "comment",
            "entity_id": "c1",
            "action": "created",
            "actor_type": ActorType.SYSTEM,
        },
        {"entity_type": "label", "entity_id": "l1", "action": "deleted", "actor_id": owner.id},
    )
    url = f"{API}/{ws}/activity"

    async def ids_for(params: list[tuple[str, str]]) -> list[str]:
        response = await client.get(url, params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()]

    assert await ids_for([("entity_type", "issue")]) == [ids[1], ids[0]]
    assert await ids_for([("entity_type", "comment"), ("entity_type", "label")]) == [ids[3], ids[2]]
    [workspace_created] = await ids_for([("entity_type", "workspace")])
    assert await ids_for([("action", "created")]) == [ids[2], ids[0], workspace_created]
    assert await ids_for([("actor_id", "agent-1")]) == [ids[1]]
    assert await ids_for([("actor_type", "AGENT"), ("actor_type", "system")]) == [ids[2], ids[1]]
    assert await ids_for([("entity_type", "issue"), ("action", "created")]) == [ids[0]]
    assert await ids_for([("entity_type", "nothing")]) == []

    for params in ([("actor_type", "robot")], [("entity_type", "x")] * 21, [("action", "a" * 65)]):
        response = await client.get(url, params=params, headers=owner.headers)
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed")


async def test_issue_activity(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner, issue_prefix="ENG"))["id"]
    issue, other = await new_issue(ws), await new_issue(ws)
    label = (
        await client.post(f"{API}/{ws}/labels", json={"name": "bug"}, headers=owner.headers)
    ).json()
    await client.post(f"{API}/{ws}/issues/{issue.id}/labels/{label['id']}", headers=owner.headers)
    await client.post(f"{API}/{ws}/issues/{other.id}/labels/{label['id']}", headers=owner.headers)
    await client.delete(f"{API}/{ws}/issues/{issue.id}/labels/{label['id']}", headers=owner.headers)

    response = await client.get(
        f"{API}/{ws}/issues/ENG-1/activity", headers={**owner.headers, "Prefer": "count=exact"}
    )
    assert response.status_code == 200, response.text
    rows = response.json()
    assert [(r["action"], r["issue_id"]) for r in rows] == [
        ("label_removed", issue.id),
        ("label_added", issue.id),
    ]
    assert response.headers["X-Total-Count"] == "2"
    filtered = await client.get(
        f"{API}/{ws}/issues/{issue.id}/activity/",
        params={"action": "label_added"},
        headers=owner.headers,
    )
    assert [r["id"] for r in filtered.json()] == [rows[1]["id"]]
    assert (
        await client.get(f"{API}/{ws}/issues/ENG-9/activity", headers=owner.headers)
    ).status_code == 404
    foreign = await new_issue((await make_workspace(owner))["id"])
    assert (
        await client.get(f"{API}/{ws}/issues/{foreign.id}/activity", headers=owner.headers)
    ).status_code == 404


async def test_permissions(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    owner, admin, member, outsider = [await make_user() for _ in range(4)]
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, admin, "admin")
    await add_member(ws, member)
    issue = await new_issue(ws)
    for target in (f"{API}/{ws}/activity", f"{API}/{ws}/issues/{issue.id}/activity"):
        for person in (owner, admin, member):
            assert (await client.get(target, headers=person.headers)).status_code == 200
        hidden = await client.get(target, headers=outsider.headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
        assert (await client.get(target)).status_code == 401
