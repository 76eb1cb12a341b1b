"""Labels: unique names per workspace, idempotent attach, permissions and the audit trail."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import IssueLabelLink
from tests.factories import activity_of, create_label, new_issue

API = "/api/v1/workspaces"


async def links_of(issue_id: str) -> int:
    async with session_scope(read_only=True) as session:
        count = await session.scalar(
            select(func.count()).where(IssueLabelLink.issue_id == issue_id)
        )
    return count or 0


async def test_create_list_update_delete(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    label = await create_label(client, ws, owner, name=" bug ")
    assert (label["name"], label["color"], label["workspace_id"]) == ("bug", "#6B7280", ws)
    assert label["description"] is None and label["created_at"]
    feature = await create_label(
        client, ws, owner, name="feature", color="#00ff7F", description="New things"
    )
    listed = await client.get(
        f"{API}/{ws}/labels", headers={**owner.headers, "Prefer": "count=exact"}
    )
    assert [item["name"] for item in listed.json()] == ["bug", "feature"]
    assert listed.headers["X-Total-Count"] == "2"
    slash = await client.get(f"{API}/{ws}/labels/", headers=owner.headers)
    assert slash.json() == listed.json()

    url = f"{API}/{ws}/labels/{feature['id']}"
    updated = await client.patch(
        url, json={"name": "enhancement", "color": "#123456"}, headers=owner.headers
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["color"]) == ("enhancement", "#123456")
    assert updated.json()["description"] == "New things"
    taken = await client.patch(url, json={"name": "bug"}, headers=owner.headers)
    assert (taken.status_code, taken.json()["code"]) == (409, "label_exists")

    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert (await client.delete(url, headers=owner.headers)).status_code == 404
    assert [
        item["id"]
        for item in (await client.get(f"{API}/{ws}/labels", headers=owner.headers)).json()
    ] == [label["id"]]
    missing = await client.patch(
        f"{API}/{ws}/labels/nope", json={"name": "x"}, headers=owner.headers
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 201},
        {"name": "ok", "color": "red"},
        {"name": "ok", "color": "#12345"},
        {"name": "ok", "color": "#1234567"},
        {"name": "ok", "color": "#GGGGGG"},
        {"name": "ok", "color": None},
        {"name": "a\x00b"},
        {"color": "#123456"},
    ],
)
async def test_invalid_labels_are_422(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, body: dict[str, Any]
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    response = await client.post(f"{API}/{ws}/labels", json=body, headers=owner.headers)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")


async def test_names_are_unique_per_workspace(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws, other = (await make_workspace(owner))["id"], (await make_workspace(owner))["id"]
    await create_label(client, ws, owner)
    again = await client.post(f"{API}/{ws}/labels", json={"name": "bug"}, headers=owner.headers)
    assert (again.status_code, again.json()["code"]) == (409, "label_exists")
    assert "INSERT" not in again.text and "UNIQUE" not in again.text.upper()
    await create_label(client, other, owner)  # the same name elsewhere is fine


async def test_concurrent_creates_of_one_name(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    responses = await asyncio.gather(
        *(
            client.post(f"{API}/{ws}/labels", json={"name": "race"}, headers=owner.headers)
            for _ in range(10)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 9, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"label_exists"}
    listed = await client.get(f"{API}/{ws}/labels", headers=owner.headers)
    assert [item["name"] for item in listed.json()] == ["race"]
    assert [r.action for r in await activity_of(ws, exclude_entity_type="workspace")] == ["created"]


async def test_attach_detach_and_list(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    workspace = await make_workspace(owner, issue_prefix="ENG")
    ws = workspace["id"]
    issue = await new_issue(ws)
    bug = await create_label(client, ws, owner)
    docs = await create_label(client, ws, owner, name="docs")
    base = f"{API}/{ws}/issues/{issue.id}/labels"
    for label in (docs, bug):
        attached = await client.post(f"{base}/{label['id']}", headers=owner.headers)
        assert attached.status_code == 204 and attached.content == b""
    again = await client.post(f"{API}/{ws}/issues/ENG-1/labels/{bug['id']}", headers=owner.headers)
    assert again.status_code == 204
    assert await links_of(issue.id) == 2
    listed = await client.get(f"{API}/{ws}/issues/eng-1/labels", headers=owner.headers)
    assert [item["name"] for item in listed.json()] == ["bug", "docs"]

    assert (await client.delete(f"{base}/{bug['id']}", headers=owner.headers)).status_code == 204
    not_attached = await client.delete(f"{base}/{bug['id']}", headers=owner.headers)
    assert (not_attached.status_code, not_attached.json()["code"]) == (404, "label_not_attached")
    assert [item["id"] for item in (await client.get(base, headers=owner.headers)).json()] == [
        docs["id"]
    ]

    # Deleting a label detaches it everywhere.
    assert (
        await client.delete(f"{API}/{ws}/labels/{docs['id']}", headers=owner.headers)
    ).status_code == 204
    assert await links_of(issue.id) == 0

    rows = await activity_of(ws, exclude_entity_type="workspace")
    actions = [(r.entity_type, r.action, r.issue_id) for r in rows]
    assert actions == [
        ("label", "created", None),
        ("label", "created", None),
        ("issue", "label_added", issue.id),
        ("issue", "label_added", issue.id),
        ("issue", "label_removed", issue.id),
        ("label", "deleted", None),
    ]


async def test_unknown_or_foreign_issue_and_label_are_404(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws, other = (await make_workspace(owner))["id"], (await make_workspace(owner))["id"]
    issue, foreign_issue = await new_issue(ws), await new_issue(other)
    label, foreign_label = (
        await create_label(client, ws, owner),
        await create_label(client, other, owner),
    )
    for issue_id, label_id in (
        (issue.id, foreign_label["id"]),
        (foreign_issue.id, label["id"]),
        (issue.id, "nope"),
        ("ISSUE-99", label["id"]),
    ):
        url = f"{API}/{ws}/issues/{issue_id}/labels/{label_id}"
        for method in ("POST", "DELETE"):
            response = await client.request(method, url, headers=owner.headers)
            assert response.status_code == 404, (method, url)
    foreign_patch = await client.patch(
        f"{API}/{ws}/labels/{foreign_label['id']}", json={"name": "x"}, headers=owner.headers
    )
    assert foreign_patch.status_code == 404
    assert await links_of(issue.id) == 0 and await links_of(foreign_issue.id) == 0


async def test_concurrent_attaches_make_one_link(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    issue = await new_issue(ws)
    label = await create_label(client, ws, owner)
    url = f"{API}/{ws}/issues/{issue.id}/labels/{label['id']}"
    responses = await asyncio.gather(*(client.post(url, headers=owner.headers) for _ in range(10)))
    assert [r.status_code for r in responses] == [204] * 10, [r.text for r in responses]
    assert await links_of(issue.id) == 1
    added = await activity_of(ws, action="label_added")
    assert len(added) == 1


async def test_permissions(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    owner, admin, member, outsider = [await make_user() for _ in range(4)]
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, admin, "admin")
    await add_member(ws, member)
    issue = await new_issue(ws)

    # Members create, attach, detach and read.
    label = await create_label(client, ws, member)
    link = f"{API}/{ws}/issues/{issue.id}/labels/{label['id']}"
    assert (await client.post(link, headers=member.headers)).status_code == 204
    assert (
        await client.get(f"{API}/{ws}/issues/{issue.id}/labels", headers=member.headers)
    ).status_code == 200
    assert (await client.delete(link, headers=member.headers)).status_code == 204

    # Changing and deleting labels is for admins.
    url = f"{API}/{ws}/labels/{label['id']}"
    refused = await client.patch(url, json={"color": "#000000"}, headers=member.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert (await client.delete(url, headers=member.headers)).status_code == 403
    for person, color in ((admin, "#111111"), (owner, "#222222")):
        response = await client.patch(url, json={"color": color}, headers=person.headers)
        assert (response.status_code, response.json()["color"]) == (200, color)
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    other = await create_label(client, ws, member, name="other")
    assert (
        await client.delete(f"{API}/{ws}/labels/{other['id']}", headers=owner.headers)
    ).status_code == 204

    label = await create_label(client, ws, member, name="kept")
    link = f"{API}/{ws}/issues/{issue.id}/labels/{label['id']}"
    for method, target, body in (
        ("POST", f"{API}/{ws}/labels", {"name": "x"}),
        ("GET", f"{API}/{ws}/labels", None),
        ("PATCH", f"{API}/{ws}/labels/{label['id']}", {"name": "x"}),
        ("DELETE", f"{API}/{ws}/labels/{label['id']}", None),
        ("POST", link, None),
        ("DELETE", link, None),
        ("GET", f"{API}/{ws}/issues/{issue.id}/labels", None),
    ):
        hidden = await client.request(method, target, json=body, headers=outsider.headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found"), (method, target)
        assert (await client.request(method, target, json=body)).status_code == 401
