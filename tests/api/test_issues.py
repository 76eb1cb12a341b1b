"""Issues over the REST API: numbering, keys, ETags, references, sub-issues, permissions."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from praisonai_platform.core.actors import Actor
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import (
    ActorType,
    Agent,
    Comment,
    Issue,
    IssueDependency,
    IssueLabel,
    IssueLabelLink,
    Project,
    User,
)
from praisonai_platform.issues import service as issue_service
from tests.factories import Person, activity_of


def issues_url(workspace_id: str, ref: str = "") -> str:
    return f"/api/v1/workspaces/{workspace_id}/issues/{ref}"


async def create_issue(
    client: httpx.AsyncClient, person: Person, workspace_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"title": "An issue", **fields}
    response = await client.post(issues_url(workspace_id), json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def add_agent(workspace_id: str, name: str = "bot") -> str:
    async with session_scope() as session:
        agent = Agent(workspace_id=workspace_id, name=name)
        session.add(agent)
        await session.flush()
        return agent.id


async def add_project(workspace_id: str, name: str = "Project") -> str:
    async with session_scope() as session:
        project = Project(workspace_id=workspace_id, name=name)
        session.add(project)
        await session.flush()
        return project.id


async def test_creation_defaults_and_numbering(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    workspace = await make_workspace(owner, issue_prefix="eng")
    response = await client.post(
        issues_url(workspace["id"]), json={"title": "  Set up CI  "}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "Set up CI"
    assert (body["status"], body["priority"]) == ("backlog", "medium")
    assert (body["number"], body["issue_number"], body["identifier"]) == (1, 1, "ENG-1")
    assert (body["creator_type"], body["creator_id"], body["created_by_id"]) == (
        "user",
        owner.id,
        owner.id,
    )
    assert body["assignee_type"] is body["assignee_id"] is None
    assert body["parent_issue_id"] is body["project_id"] is body["acceptance_criteria"] is None
    assert body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert body["workspace_id"] == workspace["id"]

    # without the trailing slash too
    second = await client.post(
        f"/api/v1/workspaces/{workspace['id']}/issues",
        json={"title": "Second", "acceptance_criteria": ["it builds", "tests pass"]},
        headers=owner.headers,
    )
    assert second.status_code == 201
    assert (second.json()["number"], second.json()["identifier"]) == (2, "ENG-2")
    assert second.json()["acceptance_criteria"] == ["it builds", "tests pass"]

    [created] = await activity_of(issue_id=body["id"])
    assert (created.entity_type, created.entity_id, created.action) == (
        "issue",
        body["id"],
        "created",
    )
    assert created.details == {"identifier": "ENG-1", "title": "Set up CI"}
    assert (created.actor_type, created.actor_id) == (ActorType.USER, owner.id)

    fetched = await client.get(issues_url(workspace["id"], body["id"]), headers=owner.headers)
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched.headers["ETag"] == '"1"'


async def test_numbers_are_per_workspace(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    first, second = await make_workspace(owner), await make_workspace(owner)
    assert (await create_issue(client, owner, first["id"]))["identifier"] == "ISSUE-1"
    assert (await create_issue(client, owner, second["id"]))["number"] == 1
    assert (await create_issue(client, owner, first["id"]))["number"] == 2


async def test_0_1_9_spellings_and_any_case_are_accepted(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    workspace = await make_workspace(owner)
    issue = await create_issue(
        client, owner, workspace["id"], status="in_progress", priority="URGENT"
    )
    assert (issue["status"], issue["priority"]) == ("in-progress", "urgent")
    patched = await client.patch(
        issues_url(workspace["id"], issue["id"]),
        json={"status": "In_Review", "priority": "None"},
        headers=owner.headers,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["status"], patched.json()["priority"]) == ("in-review", "none")


async def test_an_issue_is_addressed_by_key_also_after_a_prefix_change(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    workspace = await make_workspace(owner, issue_prefix="ENG")
    ws = workspace["id"]
    issue = await create_issue(client, owner, ws)
    for ref in ("ENG-1", "eng-1", issue["id"]):
        response = await client.get(issues_url(ws, ref), headers=owner.headers)
        assert response.status_code == 200, ref
        assert response.json()["id"] == issue["id"]

    renamed = await client.patch(
        f"/api/v1/workspaces/{ws}", json={"issue_prefix": "ops"}, headers=owner.headers
    )
    assert renamed.status_code == 200 and renamed.json()["issue_prefix"] == "OPS"
    for ref in ("ENG-1", "OPS-1"):
        response = await client.get(issues_url(ws, ref), headers=owner.headers)
        assert response.status_code == 200, ref
        assert response.json()["identifier"] == "ENG-1"  # the key at birth stays
    newer = await create_issue(client, owner, ws)
    assert (newer["number"], newer["identifier"]) == (2, "OPS-2")
    assert (await client.get(issues_url(ws, "ENG-2"), headers=owner.headers)).status_code == 404
    assert (await client.get(issues_url(ws, "OPS-2"), headers=owner.headers)).status_code == 200
    for missing in ("XYZ-1", "OPS-99", "not-an-id", "OPS-0"):
        response = await client.get(issues_url(ws, missing), headers=owner.headers)
        assert response.status_code == 404, missing
        assert response.json()["code"] == "not_found"

    patched = await client.patch(
        issues_url(ws, "ENG-1"), json={"title": "By old key"}, headers=owner.headers
    )
    assert patched.status_code == 200 and patched.json()["title"] == "By old key"
    children = await client.get(issues_url(ws, "OPS-1/children"), headers=owner.headers)
    assert children.status_code == 200 and children.json() == []
    deleted = await client.delete(issues_url(ws, "OPS-1"), headers=owner.headers)
    assert deleted.status_code == 204
    assert (await client.get(issues_url(ws, issue["id"]), headers=owner.headers)).status_code == 404


async def test_keys_of_another_workspace_do_not_resolve(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    mine = await make_workspace(owner, issue_prefix="ENG")
    other = await make_workspace(owner, issue_prefix="ENG")
    theirs = await create_issue(client, owner, other["id"])
    assert (
        await client.get(issues_url(mine["id"], "ENG-1"), headers=owner.headers)
    ).status_code == 404
    by_id = await client.get(issues_url(mine["id"], theirs["id"]), headers=owner.headers)
    assert by_id.status_code == 404


async def test_etag_and_if_match(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    workspace = await make_workspace(owner)
    issue = await create_issue(client, owner, workspace["id"])
    url = issues_url(workspace["id"], issue["id"])
    etag = (await client.get(url, headers=owner.headers)).headers["ETag"]
    assert etag == '"1"'

    matched = await client.patch(
        url, json={"title": "First"}, headers={**owner.headers, "If-Match": etag}
    )
    assert matched.status_code == 200, matched.text
    assert matched.headers["ETag"] == '"2"' and matched.json()["version"] == 2

    stale = await client.patch(
        url, json={"title": "Lost"}, headers={**owner.headers, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    for malformed in ("2", "abc", "", '"x"'):
        response = await client.patch(
            url, json={"title": "Lost"}, headers={**owner.headers, "If-Match": malformed}
        )
        assert response.status_code == 412, malformed
    listed = await client.patch(
        url, json={"title": "Second"}, headers={**owner.headers, "If-Match": '"7", "2"'}
    )
    assert listed.status_code == 200 and listed.headers["ETag"] == '"3"'
    star = await client.patch(
        url, json={"title": "Third"}, headers={**owner.headers, "If-Match": "*"}
    )
    assert star.status_code == 200 and star.headers["ETag"] == '"4"'

    current = (await client.get(url, headers=owner.headers)).json()
    assert (current["title"], current["version"]) == ("Third", 4)
    assert len(await activity_of(issue_id=issue["id"], action="updated")) == 3

    unchanged = await client.patch(url, json={"title": "Third"}, headers=owner.headers)
    assert unchanged.status_code == 200 and unchanged.headers["ETag"] == '"4"'
    # no row when nothing changed
    assert len(await activity_of(issue_id=issue["id"], action="updated")) == 3


async def test_updates_record_their_changes(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    workspace = await make_workspace(owner)
    ws = workspace["id"]
    project_id = await add_project(ws)
    parent = await create_issue(client, owner, ws)
    issue = await create_issue(client, owner, ws, description="old")
    url = issues_url(ws, issue["id"])
    response = await client.patch(
        url,
        json={
            "title": "New title",
            "description": None,
            "status": "done",
            "priority": "high",
            "project_id": project_id,
            "parent_issue_id": parent["identifier"],
            "acceptance_criteria": ["works"],
            "assignee_id": owner.id,
        },
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["description"] is None
    assert (body["project_id"], body["parent_issue_id"]) == (project_id, parent["id"])
    assert (body["assignee_type"], body["assignee_id"]) == ("user", owner.id)
    assert body["updated_at"] >= issue["updated_at"]
    [updated] = await activity_of(issue_id=issue["id"], action="updated")
    assert updated.details == {
        "changes": {
            "title": ["An issue", "New title"],
            "description": ["old", None],
            "status": ["backlog", "done"],
            "priority": ["medium", "high"],
            "project_id": [None, project_id],
            "parent_issue_id": [None, parent["id"]],
            "acceptance_criteria": [None, ["works"]],
            "assignee_type": [None, "user"],
            "assignee_id": [None, owner.id],
        }
    }

    # null leaves title, status and priority alone; it clears the others
    cleared = await client.patch(
        url,
        json={"title": None, "status": None, "project_id": None, "parent_issue_id": None},
        headers=owner.headers,
    )
    assert cleared.status_code == 200
    assert (cleared.json()["title"], cleared.json()["status"]) == ("New title", "done")
    assert cleared.json()["project_id"] is cleared.json()["parent_issue_id"] is None


async def test_assignees_are_members_or_agents_of_the_workspace(
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:  # type: ignore[no-untyped-def]
    owner, member, outsider = await make_user(), await make_user(), await make_user()
    workspace = await make_workspace(owner)
    ws = workspace["id"]
    await add_member(ws, member)
    agent_id = await add_agent(ws)
    other_agent_id = await add_agent((await make_workspace(outsider))["id"])

    issue = await create_issue(client, owner, ws, assignee_id=member.id)
    assert (issue["assignee_type"], issue["assignee_id"]) == ("user", member.id)
    url = issues_url(ws, issue["id"])

    to_agent = await client.patch(
        url, json={"assignee_type": "agent", "assignee_id": agent_id}, headers=owner.headers
    )
    assert to_agent.status_code == 200, to_agent.text
    assert (to_agent.json()["assignee_type"], to_agent.json()["assignee_id"]) == ("agent", agent_id)
    async with session_scope(read_only=True) as session:
        row = await session.get(Issue, issue["id"])
        assert row is not None
        assert (row.assignee_id, row.assignee_agent_id) == (None, agent_id)

    back_to_user = await client.patch(url, json={"assignee_id": member.id}, headers=owner.headers)
    assert back_to_user.json()["assignee_type"] == "user"
    last = (await activity_of(issue_id=issue["id"], action="updated"))[-1]
    assert last.details["changes"] == {
        "assignee_type": ["agent", "user"],
        "assignee_id": [agent_id, member.id],
    }

    unassigned = await client.patch(url, json={"assignee_id": None}, headers=owner.headers)
    assert unassigned.json()["assignee_type"] is unassigned.json()["assignee_id"] is None

    refused = [
        {"assignee_id": outsider.id},
        {"assignee_type": "agent", "assignee_id": other_agent_id},
        {"assignee_type": "agent", "assignee_id": member.id},
        {"assignee_type": "user", "assignee_id": agent_id},
        {"assignee_id": "no-such-user"},
    ]
    for body in refused:
        created = await client.post(
            issues_url(ws), json={"title": "x", **body}, headers=owner.headers
        )
        assert created.status_code == 422, body
        assert created.json()["code"] == "invalid_reference"
        patched = await client.patch(url, json=body, headers=owner.headers)
        assert (patched.status_code, patched.json()["code"]) == (422, "invalid_reference"), body
    bad_type = await client.post(
        issues_url(ws),
        json={"title": "x", "assignee_type": "system", "assignee_id": member.id},
        headers=owner.headers,
    )
    assert (bad_type.status_code, bad_type.json()["code"]) == (422, "validation_failed")


INVALID_FIELDS: list[dict[str, Any]] = [
    {"title": ""},
    {"title": "   "},
    {"title": "x" * 501},
    {"title": "bad \x00 byte"},
    {"description": "x" * 100_001},
    {"status": "open"},
    {"status": 3},
    {"priority": "critical"},
    {"assignee_type": "robot"},
    {"project_id": "x" * 65},
    {"acceptance_criteria": "not a list"},
    {"acceptance_criteria": [""]},
    {"parent_issue_id": ""},
]


@pytest.mark.parametrize("fields", INVALID_FIELDS)
async def test_invalid_bodies_are_422(
    client: httpx.AsyncClient, make_user, make_workspace, fields
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    created = await client.post(
        issues_url(ws), json={"title": "ok", **fields}, headers=owner.headers
    )
    assert created.status_code == 422, created.text
    assert created.json()["code"] == "validation_failed"
    issue = await create_issue(client, owner, ws)
    patched = await client.patch(issues_url(ws, issue["id"]), json=fields, headers=owner.headers)
    assert patched.status_code == 422, patched.text
    assert patched.json()["code"] == "validation_failed"


async def test_a_title_is_required(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    for body in ({}, {"title": None}, {"description": "no title"}):
        response = await client.post(issues_url(ws), json=body, headers=owner.headers)
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    not_json = await client.post(
        issues_url(ws), content=b"{", headers={**owner.headers, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 422


@pytest.mark.parametrize("field", ["project_id", "parent_issue_id", "assignee_id"])
async def test_unknown_ids_in_bodies_are_invalid_references(
    client: httpx.AsyncClient, make_user, make_workspace, field: str
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    workspace = await make_workspace(owner)
    for value in ("00000000-0000-0000-0000-000000000000", "ISSUE-77", "' OR 1=1 --", "é" * 64):
        response = await client.post(
            issues_url(workspace["id"]), json={"title": "x", field: value}, headers=owner.headers
        )
        assert response.status_code == 422, (value, response.text)
        assert response.json()["code"] == "invalid_reference"


async def test_references_into_other_workspaces_are_refused(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    mine, other = await make_workspace(owner), await make_workspace(owner)
    foreign_project = await add_project(other["id"])
    foreign_issue = await create_issue(client, owner, other["id"])
    foreign_agent = await add_agent(other["id"])
    issue = await create_issue(client, owner, mine["id"])
    for body in (
        {"project_id": foreign_project},
        {"parent_issue_id": foreign_issue["id"]},
        {"assignee_type": "agent", "assignee_id": foreign_agent},
    ):
        created = await client.post(
            issues_url(mine["id"]), json={"title": "x", **body}, headers=owner.headers
        )
        assert (created.status_code, created.json()["code"]) == (422, "invalid_reference"), body
        patched = await client.patch(
            issues_url(mine["id"], issue["id"]), json=body, headers=owner.headers
        )
        assert (patched.status_code, patched.json()["code"]) == (422, "invalid_reference"), body
    async with session_scope(read_only=True) as session:
        count = await session.scalar(
            select(func.count()).select_from(Issue).where(Issue.workspace_id == mine["id"])
        )
    assert count == 1


async def test_sub_issues_and_parent_cycles(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner, issue_prefix="ENG"))["id"]
    a = await create_issue(client, owner, ws, title="A")
    b = await create_issue(client, owner, ws, title="B", parent_issue_id=a["id"])
    c = await create_issue(client, owner, ws, title="C", parent_issue_id="ENG-2")
    assert (b["parent_issue_id"], c["parent_issue_id"]) == (a["id"], b["id"])
    # The audit entry (and so the change feed's event) names the parent: its page follows.
    [created] = await activity_of(issue_id=c["id"], action="created")
    assert created.details == {"identifier": "ENG-3", "title": "C", "parent_issue_id": b["id"]}

    for issue, parent in ((a, c["id"]), (a, b["id"]), (a, a["id"]), (b, "ENG-3"), (c, c["id"])):
        response = await client.patch(
            issues_url(ws, issue["id"]), json={"parent_issue_id": parent}, headers=owner.headers
        )
        assert response.status_code == 422, (issue["title"], parent)
        assert response.json()["code"] == "parent_cycle"

    d = await create_issue(client, owner, ws, title="D", parent_issue_id=a["id"])
    children = await client.get(
        issues_url(ws, "ENG-1/children"), headers={**owner.headers, "Prefer": "count=exact"}
    )
    assert children.status_code == 200
    assert [issue["title"] for issue in children.json()] == ["B", "D"]
    assert children.headers["X-Total-Count"] == "2"
    paged = await client.get(
        issues_url(ws, f"{a['id']}/children"), params={"limit": 1}, headers=owner.headers
    )
    assert [issue["title"] for issue in paged.json()] == ["B"]
    assert 'rel="next"' in paged.headers["Link"]

    # moving C under D is fine; then D cannot go under C
    moved = await client.patch(
        issues_url(ws, c["id"]), json={"parent_issue_id": d["id"]}, headers=owner.headers
    )
    assert moved.status_code == 200
    refused = await client.patch(
        issues_url(ws, d["id"]), json={"parent_issue_id": c["id"]}, headers=owner.headers
    )
    assert refused.json()["code"] == "parent_cycle"

    # deleting a parent makes its children top-level
    assert (await client.delete(issues_url(ws, a["id"]), headers=owner.headers)).status_code == 204
    for child in (b, d):
        fetched = await client.get(issues_url(ws, child["id"]), headers=owner.headers)
        assert fetched.json()["parent_issue_id"] is None


async def test_permissions_per_role(
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:  # type: ignore[no-untyped-def]
    owner, admin, member, other_member, outsider = [await make_user() for _ in range(5)]
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, admin, "admin")
    await add_member(ws, member)
    await add_member(ws, other_member)

    by_member = await create_issue(client, member, ws)
    url = issues_url(ws, by_member["id"])
    for person in (owner, admin, member, other_member):
        assert (await client.get(url, headers=person.headers)).status_code == 200
        listed = await client.get(issues_url(ws), headers=person.headers)
        assert listed.status_code == 200
        patched = await client.patch(url, json={"title": person.name}, headers=person.headers)
        assert patched.status_code == 200, patched.text
        await create_issue(client, person, ws)

    for method, target, body in (
        ("GET", url, None),
        ("GET", issues_url(ws), None),
        ("POST", issues_url(ws), {"title": "x"}),
        ("PATCH", url, {"title": "x"}),
        ("DELETE", url, None),
        ("GET", issues_url(ws, by_member["id"] + "/children"), None),
    ):
        hidden = await client.request(method, target, json=body, headers=outsider.headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found"), (method, target)
        anonymous = await client.request(method, target, json=body)
        assert anonymous.status_code == 401, (method, target)

    # delete: another member may not, the creator may; admins and owners may delete any issue
    forbidden = await client.delete(url, headers=other_member.headers)
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")
    assert (await client.delete(url, headers=member.headers)).status_code == 204
    for person in (admin, owner):
        target = await create_issue(client, member, ws)
        response = await client.delete(issues_url(ws, target["id"]), headers=person.headers)
        assert response.status_code == 204
    [deleted] = await activity_of(issue_id=by_member["id"], action="deleted")
    assert deleted.details == {"identifier": by_member["identifier"], "title": other_member.name}
    assert deleted.actor_id == member.id
    assert (await client.get(url, headers=owner.headers)).status_code == 404
    assert (await client.delete(url, headers=owner.headers)).status_code == 404


async def test_an_agent_actor_creates_and_owns_issues(
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:  # type: ignore[no-untyped-def]
    owner, keyholder, other = await make_user(), await make_user(), await make_user()
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, keyholder)
    await add_member(ws, other)
    agent_id = await add_agent(ws)
    async with session_scope() as session:
        user = await session.get(User, keyholder.id)
        assert user is not None
        actor = Actor(type=ActorType.AGENT, id=agent_id, user=user)
        issue = await issue_service.create(session, actor, ws, title="Filed by a bot")
        issue_id = issue.id
    body = (await client.get(issues_url(ws, issue_id), headers=owner.headers)).json()
    assert (body["creator_type"], body["creator_id"], body["created_by_id"]) == (
        "agent",
        agent_id,
        None,
    )
    [created] = await activity_of(issue_id=issue_id, action="created")
    assert (created.actor_type, created.actor_id) == (ActorType.AGENT, agent_id)
    # the key holder acting as a person does not own what the agent created
    denied = await client.delete(issues_url(ws, issue_id), headers=keyholder.headers)
    assert denied.status_code == 403
    async with session_scope() as session:
        user = await session.get(User, keyholder.id)
        assert user is not None
        await issue_service.delete(
            session, Actor(type=ActorType.AGENT, id=agent_id, user=user), ws, issue_id
        )
    assert (await client.get(issues_url(ws, issue_id), headers=owner.headers)).status_code == 404


async def test_deleting_an_issue_takes_everything_attached(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    issue = await create_issue(client, owner, ws)
    other = await create_issue(client, owner, ws)
    child = await create_issue(client, owner, ws, parent_issue_id=issue["id"])
    for text in ("first", "second"):
        posted = await client.post(
            issues_url(ws, f"{issue['id']}/comments"), json={"content": text}, headers=owner.headers
        )
        assert posted.status_code == 201, posted.text
    async with session_scope() as session:
        label = IssueLabel(workspace_id=ws, name="bug")
        session.add(label)
        await session.flush()
        label_id = label.id
        session.add(IssueLabelLink(issue_id=issue["id"], label_id=label_id))
        session.add(IssueLabelLink(issue_id=other["id"], label_id=label_id))
        session.add(IssueDependency(issue_id=issue["id"], depends_on_id=other["id"]))
        session.add(IssueDependency(issue_id=other["id"], depends_on_id=issue["id"]))

    response = await client.delete(issues_url(ws, issue["id"]), headers=owner.headers)
    assert response.status_code == 204, response.text
    assert response.content == b""

    async with session_scope(read_only=True) as session:

        async def count(model: Any, *conditions: Any) -> int:
            return (
                await session.scalar(select(func.count()).select_from(model).where(*conditions))
                or 0
            )

        assert await count(Issue, Issue.id == issue["id"]) == 0
        assert await count(Comment, Comment.issue_id == issue["id"]) == 0
        assert await count(IssueLabelLink, IssueLabelLink.issue_id == issue["id"]) == 0
        assert (
            await count(
                IssueDependency,
                (IssueDependency.issue_id == issue["id"])
                | (IssueDependency.depends_on_id == issue["id"]),
            )
            == 0
        )
        assert await count(IssueLabelLink, IssueLabelLink.issue_id == other["id"]) == 1
        assert await count(IssueLabel, IssueLabel.id == label_id) == 1
        orphan = await session.get(Issue, child["id"])
        assert orphan is not None and orphan.parent_id is None
    # the audit trail outlives the issue
    rows = await activity_of(issue_id=issue["id"], entity_type="issue")
    assert [row.action for row in rows] == [
        "created",
        "deleted",
    ]


async def test_concurrent_creates_number_without_gaps(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner, issue_prefix="RACE"))["id"]

    async def post(n: int) -> httpx.Response:
        return await client.post(issues_url(ws), json={"title": f"#{n}"}, headers=owner.headers)

    responses = await asyncio.gather(*(post(n) for n in range(50)))
    assert [r.status_code for r in responses] == [201] * 50, [r.text for r in responses]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == list(range(1, 51))
    assert {r.json()["identifier"] for r in responses} == {f"RACE-{n}" for n in range(1, 51)}
    async with session_scope(read_only=True) as session:
        stored = await session.scalar(
            select(func.count()).select_from(Issue).where(Issue.workspace_id == ws)
        )
    assert stored == 50


async def test_concurrent_patches_without_if_match_all_succeed(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    issue = await create_issue(client, owner, ws)
    url = issues_url(ws, issue["id"])
    writers = 20

    async def patch(n: int) -> httpx.Response:
        return await client.patch(url, json={"title": f"title {n}"}, headers=owner.headers)

    responses = await asyncio.gather(*(patch(n) for n in range(writers)))
    assert [r.status_code for r in responses] == [200] * writers, [r.text for r in responses]
    versions = sorted(r.json()["version"] for r in responses)
    assert versions == list(range(2, writers + 2))
    final = await client.get(url, headers=owner.headers)
    assert final.json()["version"] == writers + 1
    assert len(await activity_of(issue_id=issue["id"], action="updated")) == writers
