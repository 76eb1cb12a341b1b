"""Projects: CRUD with title/name, leads (members or agents), permissions, activity and stats."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Issue, Project
from tests.factories import activity_of, create_project, new_issue

API = "/api/v1/workspaces"


def projects_url(workspace_id: str, suffix: str = "/") -> str:
    return f"{API}/{workspace_id}/projects{suffix}"


async def test_create_list_get_update_delete(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    workspace = await make_workspace(owner)
    ws = workspace["id"]
    created = await client.post(
        projects_url(ws),
        json={"title": "  Launch ", "description": "Ship it", "icon": "🚀"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    project = created.json()
    assert project["title"] == project["name"] == "Launch"
    assert (project["description"], project["icon"], project["status"]) == (
        "Ship it",
        "🚀",
        "active",
    )
    assert (project["lead_type"], project["lead_id"], project["workspace_id"]) == (None, None, ws)
    assert project["settings"] == {} and project["created_at"] and project["updated_at"]

    listed = await client.get(projects_url(ws), headers={**owner.headers, "Prefer": "count=exact"})
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()] == [project["id"]]
    assert listed.headers["X-Total-Count"] == "1"
    no_slash = await client.get(projects_url(ws, ""), headers=owner.headers)
    assert no_slash.status_code == 200 and no_slash.json() == listed.json()

    url = projects_url(ws, f"/{project['id']}")
    assert (await client.get(url, headers=owner.headers)).json() == project
    updated = await client.patch(
        url,
        json={"title": "Launch v2", "status": "in_progress", "description": None},
        headers=owner.headers,
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["title"], body["name"], body["status"]) == ("Launch v2", "Launch v2", "active")
    assert body["description"] == "Ship it"  # null leaves a field as it is
    paused = await client.patch(url, json={"status": "PAUSED", "name": "L"}, headers=owner.headers)
    assert (paused.json()["status"], paused.json()["title"]) == ("paused", "L")

    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    gone = await client.get(url, headers=owner.headers)
    assert (gone.status_code, gone.json()["code"]) == (404, "not_found")
    assert (await client.delete(url, headers=owner.headers)).status_code == 404


async def test_name_is_accepted_for_title(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    by_name = await client.post(projects_url(ws, ""), json={"name": "Seed"}, headers=owner.headers)
    assert by_name.status_code == 201, by_name.text
    assert by_name.json()["title"] == "Seed"
    both = await client.post(
        projects_url(ws), json={"name": "Same", "title": "Same"}, headers=owner.headers
    )
    assert both.status_code == 201
    for body in ({"name": "A", "title": "B"}, {}, {"description": "no name"}):
        response = await client.post(projects_url(ws), json=body, headers=owner.headers)
        assert response.status_code == 422, body
        assert response.json()["code"] == "validation_failed"


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "nul\x00"},
        {"title": "ok", "status": "exploded"},
        {"title": "ok", "status": 7},
        {"title": "ok", "icon": "i" * 101},
        {"title": "ok", "lead_type": "robot", "lead_id": "x"},
        {"title": "ok", "settings": "not an object"},
        {"title": "ok", "description": "d" * 100_001},
    ],
)
async def test_invalid_projects_are_422(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, body: dict[str, Any]
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    response = await client.post(projects_url(ws), json=body, headers=owner.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert (await client.get(projects_url(ws), headers=owner.headers)).json() == []


async def test_leads_must_belong_to_the_workspace(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    owner, member, stranger = await make_user(), await make_user(), await make_user()
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, member)
    other_ws = (await make_workspace(stranger))["id"]
    agent = await client.post(f"{API}/{ws}/agents/", json={"name": "bot"}, headers=owner.headers)
    foreign_agent = await client.post(
        f"{API}/{other_ws}/agents/", json={"name": "bot"}, headers=stranger.headers
    )
    agent_id, foreign_agent_id = agent.json()["id"], foreign_agent.json()["id"]

    as_user = await create_project(client, ws, owner, lead_type="user", lead_id=member.id)
    assert (as_user["lead_type"], as_user["lead_id"]) == ("user", member.id)
    as_agent = await create_project(client, ws, owner, lead_type="Agent", lead_id=agent_id)
    assert (as_agent["lead_type"], as_agent["lead_id"]) == ("agent", agent_id)
    inferred = await create_project(client, ws, owner, lead_id=agent_id)
    assert (inferred["lead_type"], inferred["lead_id"]) == ("agent", agent_id)
    async with session_scope(read_only=True) as session:
        row = await session.get(Project, as_agent["id"])
    assert row is not None and (row.lead_id, row.lead_agent_id) == (None, agent_id)

    for lead in (
        {"lead_type": "user", "lead_id": stranger.id},
        {"lead_type": "user", "lead_id": agent_id},
        {"lead_type": "agent", "lead_id": member.id},
        {"lead_type": "agent", "lead_id": foreign_agent_id},
        {"lead_id": foreign_agent_id},
        {"lead_id": "no-such-id"},
    ):
        response = await client.post(
            projects_url(ws), json={"title": "x", **lead}, headers=owner.headers
        )
        assert (response.status_code, response.json()["code"]) == (422, "invalid_reference"), lead
    url = projects_url(ws, f"/{as_user['id']}")
    bad = await client.patch(url, json={"lead_id": stranger.id}, headers=owner.headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_reference")

    switched = await client.patch(
        url, json={"lead_type": "agent", "lead_id": agent_id}, headers=owner.headers
    )
    assert (switched.json()["lead_type"], switched.json()["lead_id"]) == ("agent", agent_id)
    cleared = await client.patch(url, json={"lead_id": ""}, headers=owner.headers)
    assert (cleared.json()["lead_type"], cleared.json()["lead_id"]) == (None, None)


async def test_permissions(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    owner, admin, member, lead, outsider = [await make_user() for _ in range(5)]
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, admin, "admin")
    await add_member(ws, member)
    await add_member(ws, lead)

    # Members create and read; outsiders see nothing; anonymous callers are told to sign in.
    project = await create_project(client, ws, member, lead_type="user", lead_id=lead.id)
    url = projects_url(ws, f"/{project['id']}")
    for person in (owner, admin, member, lead):
        assert (await client.get(url, headers=person.headers)).status_code == 200
        assert (await client.get(f"{url}/stats", headers=person.headers)).status_code == 200
    for method, target, body in (
        ("POST", projects_url(ws), {"title": "x"}),
        ("GET", projects_url(ws), None),
        ("GET", url, None),
        ("GET", f"{url}/stats", None),
        ("PATCH", url, {"title": "x"}),
        ("DELETE", url, None),
    ):
        hidden = await client.request(method, target, json=body, headers=outsider.headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found"), (method, target)
        anonymous = await client.request(method, target, json=body)
        assert anonymous.status_code == 401, (method, target)

    # Changing is for admins and the project's lead; the creator alone is not enough.
    refused = await client.patch(url, json={"title": "mine"}, headers=member.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert (await client.delete(url, headers=member.headers)).status_code == 403
    for person, title in ((lead, "by lead"), (admin, "by admin"), (owner, "by owner")):
        response = await client.patch(url, json={"title": title}, headers=person.headers)
        assert (response.status_code, response.json()["title"]) == (200, title)
    assert (await client.delete(url, headers=lead.headers)).status_code == 204

    for person in (admin, owner):
        other = await create_project(client, ws, member)
        other_url = projects_url(ws, f"/{other['id']}")
        assert (await client.delete(other_url, headers=person.headers)).status_code == 204

    # A project of another workspace is not found through this one.
    elsewhere = await create_project(client, (await make_workspace(outsider))["id"], outsider)
    foreign = await client.get(projects_url(ws, f"/{elsewhere['id']}"), headers=owner.headers)
    assert foreign.status_code == 404


async def test_each_change_is_recorded(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    project = await create_project(client, ws, owner)
    url = projects_url(ws, f"/{project['id']}")
    await client.patch(url, json={"title": "Renamed", "status": "done"}, headers=owner.headers)
    await client.patch(url, json={"title": "Renamed"}, headers=owner.headers)  # no change
    await client.delete(url, headers=owner.headers)
    rows = await activity_of(ws, entity_type="project")
    assert [(r.action, r.entity_id, r.actor_id) for r in rows] == [
        ("created", project["id"], owner.id),
        ("updated", project["id"], owner.id),
        ("deleted", project["id"], owner.id),
    ]
    assert rows[1].details == {
        "changes": {"name": ["Launch", "Renamed"], "status": ["active", "completed"]}
    }


async def test_stats_count_the_projects_issues(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    project = await create_project(client, ws, owner)
    other = await create_project(client, ws, owner, title="Other")
    for status, priority in (
        ("done", "high"),
        ("done", "high"),
        ("done", "low"),
        ("in-progress", "urgent"),
        ("backlog", "medium"),
        ("cancelled", "none"),
    ):
        await new_issue(ws, project_id=project["id"], status=status, priority=priority)
    await new_issue(ws, project_id=other["id"], status="done")
    await new_issue(ws, project_id=None, status="done")

    response = await client.get(projects_url(ws, f"/{project['id']}/stats"), headers=owner.headers)
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["project_id"] == project["id"]
    assert (stats["total"], stats["done"], stats["cancelled"], stats["open"]) == (6, 3, 1, 2)
    assert stats["completion_ratio"] == 0.6  # 3 done of 5 that are not cancelled
    assert stats["by_status"] == {
        "backlog": 1,
        "todo": 0,
        "in-progress": 1,
        "in-review": 0,
        "blocked": 0,
        "done": 3,
        "cancelled": 1,
    }
    assert stats["by_priority"] == {"none": 1, "low": 1, "medium": 1, "high": 2, "urgent": 1}

    empty = await create_project(client, ws, owner, title="Empty")
    response = await client.get(projects_url(ws, f"/{empty['id']}/stats"), headers=owner.headers)
    body = response.json()
    assert (body["total"], body["done"], body["completion_ratio"]) == (0, 0, 0.0)
    missing = await client.get(projects_url(ws, "/nope/stats"), headers=owner.headers)
    assert missing.status_code == 404


async def test_deleting_a_project_keeps_its_issues(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    project = await create_project(client, ws, owner)
    issue_ids = [(await new_issue(ws, project_id=project["id"])).id for _ in range(2)]
    url = projects_url(ws, f"/{project['id']}")
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    async with session_scope(read_only=True) as session:
        rows = (await session.execute(select(Issue.id, Issue.project_id))).all()
    assert sorted(rows) == sorted((issue_id, None) for issue_id in issue_ids)


async def test_list_is_paged(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    ids = [(await create_project(client, ws, owner, title=f"P{i}"))["id"] for i in range(3)]
    counted = {**owner.headers, "Prefer": "count=exact"}
    first = await client.get(projects_url(ws), params={"limit": 2}, headers=counted)
    assert first.headers["X-Total-Count"] == "3"
    assert [p["id"] for p in first.json()] == ids[:2]
    next_url = first.headers["Link"].split(";")[0].strip("<>")
    second = await client.get(next_url, headers=owner.headers)
    assert [p["id"] for p in second.json()] == ids[2:]
    assert "Link" not in second.headers
