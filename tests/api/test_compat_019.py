"""Clients of praisonai-platform 0.1.9 keep working: with PLATFORM_API_COMPAT=0.1.9 (this whole
module runs with it on) our OpenAPI document is a superset of 0.1.9's, and answers speak 0.1.9's
dialect on each point where it differs from ours, in 0.1.9's own request and response shapes."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from praisonai_platform.api.app import create_app
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Agent, Issue
from tests.factories import API, TEST_SECRET, MakeUser, Person

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "data" / "praisonai-platform-0.1.9-openapi.json").read_text()
)
COMPAT = {"jwt_secret": TEST_SECRET, "env": "test", "api_compat": "0.1.9"}


@functools.cache
def our_document() -> dict[str, Any]:
    """Built when first needed, not when the module is collected (by every test worker)."""
    return create_app(ServerSettings(**COMPAT)).openapi()


# 0.1.9 leaked these dependency internals into its interface; no client sets them.
IGNORED_PARAMETERS = {"min_role", "authorization"}

OPERATIONS = [
    (path, method) for path, operations in REFERENCE["paths"].items() for method in operations
]


def resolve(document: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    if not schema:
        return {}
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return dict(document["components"]["schemas"][name])
    if schema.get("type") == "array":
        return resolve(document, schema.get("items"))
    return schema


def body_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    return resolve(document, content.get("application/json", {}).get("schema"))


def success_schema(
    document: dict[str, Any], operation: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    status, response = next(
        (code, r) for code, r in operation["responses"].items() if code.startswith("2")
    )
    content = response.get("content", {}).get("application/json", {})
    return status, resolve(document, content.get("schema"))


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_019_operation_exists_with_its_fields(path: str, method: str) -> None:
    our_doc = our_document()
    assert path in our_doc["paths"] and method in our_doc["paths"][path], f"{method} {path} missing"
    theirs, ours = REFERENCE["paths"][path][method], our_doc["paths"][path][method]

    their_parameters = {
        (p["name"], p["in"])
        for p in theirs.get("parameters", [])
        if p["name"] not in IGNORED_PARAMETERS
    }
    our_parameters = {(p["name"], p["in"]) for p in ours.get("parameters", [])}
    assert their_parameters <= our_parameters

    their_body, our_body = body_schema(REFERENCE, theirs), body_schema(our_doc, ours)
    assert set(their_body.get("properties", {})) <= set(our_body.get("properties", {}))
    assert set(our_body.get("required", [])) <= set(their_body.get("required", [])), (
        "we must not require a field 0.1.9 clients may leave out"
    )

    their_status, their_response = success_schema(REFERENCE, theirs)
    our_status, our_response = success_schema(our_doc, ours)
    assert our_status == their_status
    assert set(their_response.get("properties", {})) <= set(our_response.get("properties", {}))
    assert set(their_response.get("required", [])) <= set(our_response.get("required", []))


@pytest.fixture
def server_settings() -> ServerSettings:
    """Every API test of this module talks to a server in 0.1.9's dialect."""
    return ServerSettings(**COMPAT)


async def post(client: httpx.AsyncClient, who: Person, path: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}{path}", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def patch(client: httpx.AsyncClient, who: Person, path: str, **body: Any) -> dict[str, Any]:
    response = await client.patch(f"{API}{path}", json=body, headers=who.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def get(client: httpx.AsyncClient, who: Person, path: str, **params: Any) -> Any:
    response = await client.get(f"{API}{path}", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def workspace_019(client: httpx.AsyncClient, owner: Person) -> str:
    """A workspace created as 0.1.9's client does: a name and nothing else."""
    workspace = await post(client, owner, "/workspaces/", name="Team")
    return str(workspace["id"])


async def test_issue_statuses_are_spelled_with_underscores_everywhere(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = await make_user("owner")
    ws = await workspace_019(client, owner)
    project = await post(client, owner, f"/workspaces/{ws}/projects/", title="Launch")
    base = f"/workspaces/{ws}/issues"

    created = await post(client, owner, f"{base}/", title="A", project_id=project["id"])
    assert created["status"] == "backlog"
    moved = await patch(client, owner, f"{base}/{created['id']}", status="in_progress")
    assert moved["status"] == "in_progress"
    # Our spelling is accepted too, and answered in 0.1.9's.
    review = await post(client, owner, f"{base}/", title="B", status="in-review")
    assert review["status"] == "in_review"
    assert (await get(client, owner, f"{base}/{review['id']}"))["status"] == "in_review"

    listed = await get(client, owner, f"{base}/")
    assert sorted(i["status"] for i in listed) == ["in_progress", "in_review"]
    for spelling in ("in_progress", "in-progress"):
        only = await get(client, owner, f"{base}/", status=spelling)
        assert [i["id"] for i in only] == [created["id"]]

    stats = await get(client, owner, f"/workspaces/{ws}/projects/{project['id']}/stats")
    assert stats["by_status"]["in_progress"] == 1
    assert {"in_review", "backlog", "done"} <= set(stats["by_status"])
    assert not any("-" in key for key in stats["by_status"])

    history = await get(client, owner, f"{base}/{created['id']}/activity")
    update = next(a for a in history if a["action"] == "issue.updated")
    assert update["details"]["changes"]["status"] == ["backlog", "in_progress"]
    assert update["details"]["fields"] == {"status": "in_progress"}

    # The database keeps one spelling, ours.
    async with session_scope() as session:
        stored = await session.scalar(select(Issue.status).where(Issue.id == created["id"]))
    assert stored == "in-progress"


async def test_agents_start_offline_and_their_five_statuses_round_trip(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = await make_user("owner")
    ws = await workspace_019(client, owner)
    base = f"/workspaces/{ws}/agents"
    agent = await post(
        client, owner, f"{base}/", name="Bot", runtime_mode="local", max_concurrent_tasks=1
    )
    assert agent["status"] == "offline"
    for status in ("idle", "working", "blocked", "error", "offline"):
        changed = await patch(client, owner, f"{base}/{agent['id']}", status=status)
        assert changed["status"] == status
        assert (await get(client, owner, f"{base}/{agent['id']}"))["status"] == status

    # Our `active` is the state 0.1.9 calls `working`: shown, and found, as such.
    other = await post(client, owner, f"{base}/", name="Busy", status="active")
    assert other["status"] == "working"
    await patch(client, owner, f"{base}/{agent['id']}", status="working")
    busy = await get(client, owner, f"{base}/", status="working")
    assert [(a["id"], a["status"]) for a in busy] == [
        (agent["id"], "working"),
        (other["id"], "working"),
    ]
    async with session_scope() as session:
        rows = (await session.execute(select(Agent.id, Agent.status))).all()
    stored = {row.id: row.status for row in rows}
    assert stored == {agent["id"]: "working", other["id"]: "active"}


async def test_activity_names_actions_by_entity_and_people_members(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = await make_user("owner")
    ws = await workspace_019(client, owner)
    issue = await post(client, owner, f"/workspaces/{ws}/issues/", title="Logged")
    await patch(client, owner, f"/workspaces/{ws}/issues/{issue['id']}", title="Renamed")

    entries = await get(client, owner, f"/workspaces/{ws}/activity", limit=50, offset=0)
    issue_actions = [a["action"] for a in entries if a["entity_type"] == "issue"]
    assert sorted(issue_actions) == ["issue.created", "issue.updated"]
    created = next(a for a in entries if a["action"] == "issue.created")
    assert (created["actor_type"], created["actor_id"]) == ("member", owner.id)
    assert created["details"]["identifier"] == issue["identifier"]
    assert all(a["actor_type"] != "user" for a in entries)
    assert all("." in a["action"] for a in entries)

    of_issue = await get(client, owner, f"/workspaces/{ws}/issues/{issue['id']}/activity")
    assert sorted(a["action"] for a in of_issue) == ["issue.created", "issue.updated"]
    # 0.1.9's spelling works as a filter too.
    by_members = await get(client, owner, f"/workspaces/{ws}/activity", actor_type="member")
    assert len(by_members) == len(entries)


async def test_default_issue_prefix_is_iss(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = await make_user("owner")
    workspace = await post(client, owner, "/workspaces/", name="Numbers", slug=None)
    assert workspace["issue_prefix"] == "ISS"
    base = f"/workspaces/{workspace['id']}/issues/"
    first = await post(client, owner, base, title="one")
    second = await post(client, owner, base, title="two")
    assert (first["identifier"], second["identifier"]) == ("ISS-1", "ISS-2")
    assert (first["number"], second["issue_number"]) == (1, 2)

    chosen = await post(client, owner, "/workspaces/", name="Eng", issue_prefix="ENG")
    issue = await post(client, owner, f"/workspaces/{chosen['id']}/issues/", title="x")
    assert issue["identifier"] == "ENG-1"


async def test_non_members_and_unknown_workspaces_get_403(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, stranger = await make_user("owner"), await make_user("stranger")
    ws = await workspace_019(client, owner)
    issue = await post(client, owner, f"/workspaces/{ws}/issues/", title="private")
    for who, path in (
        (stranger, f"/workspaces/{ws}"),
        (stranger, f"/workspaces/{ws}/issues/"),
        (stranger, f"/workspaces/{ws}/issues/{issue['id']}"),
        (stranger, f"/workspaces/{ws}/members"),
        (owner, "/workspaces/no-such-workspace"),
        (owner, "/workspaces/no-such-workspace/issues/"),
    ):
        response = await client.get(f"{API}{path}", headers=who.headers)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["code"] == "forbidden"
        assert issue["title"] not in response.text
    changed = await client.patch(
        f"{API}/workspaces/{ws}/issues/{issue['id']}", json={"title": "x"}, headers=stranger.headers
    )
    assert changed.status_code == 403
    # Inside a workspace one belongs to, a missing thing is still 404, as in 0.1.9.
    missing = await client.get(f"{API}/workspaces/{ws}/issues/no-such-issue", headers=owner.headers)
    assert missing.status_code == 404


async def test_members_are_added_directly_by_user_id(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, colleague = await make_user("owner"), await make_user("colleague")
    ws = await workspace_019(client, owner)
    member = await post(
        client, owner, f"/workspaces/{ws}/members", user_id=colleague.id, role="member"
    )
    assert (member["user_id"], member["role"]) == (colleague.id, "member")
    seen = await get(client, colleague, f"/workspaces/{ws}/issues/")
    assert seen == []
    roles = {m["user_id"]: m["role"] for m in await get(client, owner, f"/workspaces/{ws}/members")}
    assert roles == {owner.id: "owner", colleague.id: "member"}
