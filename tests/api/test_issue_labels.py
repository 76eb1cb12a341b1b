"""Labels by id or name on attach/detach, and the labels every issue response carries."""

from __future__ import annotations

from typing import Any

import httpx

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import IssueLabelLink
from tests.factories import Person, counting_statements, create_issue, create_label, new_issues

API = "/api/v1/workspaces"


def names(issue: dict[str, Any]) -> list[str]:
    return [label["name"] for label in issue["labels"]]


async def attached(client: httpx.AsyncClient, ws: str, issue: str, person: Person) -> list[str]:
    response = await client.get(f"{API}/{ws}/issues/{issue}", headers=person.headers)
    assert response.status_code == 200, response.text
    return names(response.json())


async def test_attach_and_detach_by_name_or_id(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner, issue_prefix="ENG"))["id"]
    await create_issue(client, owner, ws)
    await create_issue(client, owner, ws)
    bug = await create_label(client, ws, owner, name="bug")
    area = await create_label(client, ws, owner, name="area/api")
    spaced = await create_label(client, ws, owner, name="needs review")
    base = f"{API}/{ws}/issues/ENG-2/labels"

    for ref in ("bug", "area%2Fapi", "area/api", "needs%20review", bug["id"], "bug/"):
        response = await client.post(f"{base}/{ref}", headers=owner.headers)
        assert response.status_code == 204, (ref, response.text)
    assert await attached(client, ws, "ENG-2", owner) == ["area/api", "bug", "needs review"]

    assert (await client.delete(f"{base}/bug", headers=owner.headers)).status_code == 204
    assert (await client.delete(f"{base}/{area['id']}", headers=owner.headers)).status_code == 204
    assert (await client.delete(f"{base}/area/api", headers=owner.headers)).json()["code"] == (
        "label_not_attached"
    )
    assert await attached(client, ws, "ENG-2", owner) == ["needs review"]
    assert (
        await client.delete(f"{base}/{spaced['id']}/", headers=owner.headers)
    ).status_code == 204
    assert await attached(client, ws, "ENG-2", owner) == []
    assert await attached(client, ws, "ENG-1", owner) == []


async def test_an_id_wins_over_a_name(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner, issue_prefix="ENG"))["id"]
    await create_issue(client, owner, ws)
    bug = await create_label(client, ws, owner, name="bug")
    # A label whose name is another label's id: the id is tried first.
    await create_label(client, ws, owner, name=bug["id"])
    response = await client.post(
        f"{API}/{ws}/issues/ENG-1/labels/{bug['id']}", headers=owner.headers
    )
    assert response.status_code == 204
    assert await attached(client, ws, "ENG-1", owner) == ["bug"]


async def test_unknown_label_is_404_with_a_stable_code(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws, other = (
        (await make_workspace(owner, issue_prefix="ENG"))["id"],
        (await make_workspace(owner))["id"],
    )
    await create_issue(client, owner, ws)
    await create_label(client, ws, owner, name="bug")
    await create_label(client, other, owner, name="elsewhere")
    for ref in ("nope", "Bug", "elsewhere"):
        for method in ("POST", "DELETE"):
            response = await client.request(
                method, f"{API}/{ws}/issues/ENG-1/labels/{ref}", headers=owner.headers
            )
            assert (response.status_code, response.json()["code"]) == (404, "label_not_found")


async def test_every_issue_response_carries_its_labels(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner, issue_prefix="ENG"))["id"]
    parent = await create_issue(client, owner, ws, title="parent")
    assert parent["labels"] == []
    child = await create_issue(client, owner, ws, title="child", parent_issue_id="ENG-1")
    bug = await create_label(client, ws, owner, name="bug", color="#FF0000")
    docs = await create_label(client, ws, owner, name="docs")
    for issue, label in (("ENG-1", "docs"), ("ENG-1", "bug"), ("ENG-2", "docs")):
        url = f"{API}/{ws}/issues/{issue}/labels/{label}"
        assert (await client.post(url, headers=owner.headers)).status_code == 204

    got = (await client.get(f"{API}/{ws}/issues/ENG-1", headers=owner.headers)).json()
    assert got["labels"] == [
        {"id": bug["id"], "name": "bug", "color": "#FF0000"},
        {"id": docs["id"], "name": "docs", "color": "#6B7280"},
    ]
    listed = (await client.get(f"{API}/{ws}/issues/", headers=owner.headers)).json()
    assert [names(issue) for issue in listed] == [["bug", "docs"], ["docs"]]
    updated = await client.patch(
        f"{API}/{ws}/issues/ENG-2", json={"title": "renamed"}, headers=owner.headers
    )
    assert (updated.status_code, names(updated.json())) == (200, ["docs"])
    children = (await client.get(f"{API}/{ws}/issues/ENG-1/children", headers=owner.headers)).json()
    assert [(issue["id"], names(issue)) for issue in children] == [(child["id"], ["docs"])]

    await client.patch(
        f"{API}/{ws}/labels/{bug['id']}", json={"name": "defect"}, headers=owner.headers
    )
    assert await attached(client, ws, "ENG-1", owner) == ["defect", "docs"]


async def test_listing_loads_labels_without_a_query_per_issue(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    labels = [await create_label(client, ws, owner, name=f"l{i}") for i in range(3)]
    issues = await new_issues(ws, 20)
    async with session_scope() as session:
        session.add_all(
            IssueLabelLink(issue_id=issue.id, label_id=label["id"])
            for issue in issues
            for label in labels[: 1 + issue.issue_number % 3]
        )

    async def list_issues(limit: int) -> int:
        with counting_statements() as statements:
            response = await client.get(
                f"{API}/{ws}/issues/", params={"limit": limit}, headers=owner.headers
            )
        assert response.status_code == 200, response.text
        assert len(response.json()) == limit
        assert all(issue["labels"] for issue in response.json())
        return len(statements)

    # As many statements for 20 issues as for 2: labels come in one query per page.
    assert await list_issues(20) == await list_issues(2)
