"""Dependencies: same-workspace targets, no self, no duplicate, no cycle of blocking."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
from sqlalchemy import func, select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActivityLog, IssueDependency
from tests.factories import new_issues

API = "/api/v1/workspaces"


async def dependency_count() -> int:
    async with session_scope(read_only=True) as session:
        return await session.scalar(select(func.count()).select_from(IssueDependency)) or 0


def deps_url(workspace_id: str, issue_ref: str, suffix: str = "/") -> str:
    return f"{API}/{workspace_id}/issues/{issue_ref}/dependencies{suffix}"


async def depend(
    client: httpx.AsyncClient, ws: str, issue: str, on: str, person, kind: str = "blocks"
) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.post(
        deps_url(ws, issue), json={"depends_on_issue_id": on, "type": kind}, headers=person.headers
    )


async def test_create_list_delete(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner, issue_prefix="ENG"))["id"]
    a, b, c = await new_issues(ws, 3)
    created = await client.post(
        deps_url(ws, "ENG-1"), json={"depends_on_issue_id": "eng-2"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    dep = created.json()
    assert (dep["issue_id"], dep["depends_on_issue_id"], dep["depends_on_id"]) == (a.id, b.id, b.id)
    assert dep["type"] == dep["dependency_type"] == "blocks" and dep["created_at"]
    related = await client.post(
        deps_url(ws, c.id, ""),
        json={"depends_on_issue_id": a.id, "type": "Relates-To"},
        headers=owner.headers,
    )
    assert related.status_code == 201 and related.json()["type"] == "related"

    own = await client.get(deps_url(ws, a.id), headers={**owner.headers, "Prefer": "count=exact"})
    assert [d["id"] for d in own.json()] == [dep["id"]]
    assert own.headers["X-Total-Count"] == "1"
    both = await client.get(
        deps_url(ws, a.id, ""), params={"direction": "both"}, headers=owner.headers
    )
    assert [d["id"] for d in both.json()] == [dep["id"], related.json()["id"]]
    incoming = await client.get(
        deps_url(ws, b.id), params={"direction": "incoming"}, headers=owner.headers
    )
    assert [d["id"] for d in incoming.json()] == [dep["id"]]
    bad = await client.get(
        deps_url(ws, a.id), params={"direction": "sideways"}, headers=owner.headers
    )
    assert bad.status_code == 422

    # Removable from either issue's side, as in 0.1.9; not through an unrelated issue.
    unrelated = await client.delete(deps_url(ws, c.id, f"/{dep['id']}"), headers=owner.headers)
    assert unrelated.status_code == 404
    assert (
        await client.delete(deps_url(ws, b.id, f"/{dep['id']}"), headers=owner.headers)
    ).status_code == 204
    assert (
        await client.delete(deps_url(ws, a.id, f"/{dep['id']}"), headers=owner.headers)
    ).status_code == 404
    assert (
        await client.delete(
            deps_url(ws, "ENG-3", f"/{related.json()['id']}"), headers=owner.headers
        )
    ).status_code == 204
    assert await dependency_count() == 0


async def test_invalid_targets(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws, other = (await make_workspace(owner))["id"], (await make_workspace(owner))["id"]
    [a] = await new_issues(ws, 1)
    [foreign] = await new_issues(other, 1)
    for target, code in (
        (foreign.id, "invalid_reference"),
        ("nope", "invalid_reference"),
        ("ISSUE-77", "invalid_reference"),
        (a.id, "self_dependency"),
        ("ISSUE-1", "self_dependency"),
    ):
        response = await depend(client, ws, a.id, target, owner)
        assert (response.status_code, response.json()["code"]) == (422, code), target
    for body in (
        {},
        {"depends_on_issue_id": ""},
        {"depends_on_issue_id": a.id, "type": "friend"},
        {"depends_on_issue_id": "x" * 65},
    ):
        response = await client.post(deps_url(ws, a.id), json=body, headers=owner.headers)
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), body
    missing = await depend(client, ws, "nope", a.id, owner)
    assert missing.status_code == 404
    through_other = await depend(client, other, a.id, foreign.id, owner)
    assert through_other.status_code == 404
    assert await dependency_count() == 0


async def test_duplicates_are_409(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    a, b = await new_issues(ws, 2)
    assert (await depend(client, ws, a.id, b.id, owner)).status_code == 201
    assert (await depend(client, ws, a.id, b.id, owner, "related")).status_code == 201
    for issue, on, kind in (
        (a, b, "blocks"),
        (b, a, "blocked_by"),  # the same edge said from the other side
        (a, b, "related"),
        (b, a, "related"),
    ):
        response = await depend(client, ws, issue.id, on.id, owner, kind)
        assert (response.status_code, response.json()["code"]) == (409, "dependency_exists")
        assert "issue_dependencies" not in response.text
    assert await dependency_count() == 2


async def test_cycles_of_blocking_are_refused(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    a, b, c, d = await new_issues(ws, 4)
    assert (await depend(client, ws, a.id, b.id, owner)).status_code == 201  # A blocks B
    assert (await depend(client, ws, b.id, c.id, owner)).status_code == 201  # B blocks C
    closing = await depend(client, ws, c.id, a.id, owner)  # C blocks A
    assert (closing.status_code, closing.json()["code"]) == (422, "dependency_cycle")
    # The same cycle stated with blocked_by: A blocked_by C means C blocks A.
    stated = await depend(client, ws, a.id, c.id, owner, "blocked_by")
    assert (stated.status_code, stated.json()["code"]) == (422, "dependency_cycle")
    two = await depend(client, ws, b.id, a.id, owner)  # B blocks A, with A blocks B
    assert (two.status_code, two.json()["code"]) == (422, "dependency_cycle")

    # blocked_by edges count in the walk: D blocked_by C (C blocks D), then D blocks A closes
    # A → B → C → D → A.
    assert (await depend(client, ws, d.id, c.id, owner, "blocked_by")).status_code == 201
    through = await depend(client, ws, d.id, a.id, owner)
    assert (through.status_code, through.json()["code"]) == (422, "dependency_cycle")
    # Related links are no blocking; a diamond is no cycle.
    assert (await depend(client, ws, c.id, a.id, owner, "related")).status_code == 201
    assert (await depend(client, ws, a.id, c.id, owner)).status_code == 201  # A blocks C directly
    assert (await depend(client, ws, a.id, d.id, owner)).status_code == 201
    assert await dependency_count() == 6


async def test_a_long_chain_is_walked(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    issues = await new_issues(ws, 30)
    async with session_scope() as session:
        for first, second in itertools.pairwise(issues):
            session.add(IssueDependency(issue_id=first.id, depends_on_id=second.id))
    closing = await depend(client, ws, issues[-1].id, issues[0].id, owner)
    assert (closing.status_code, closing.json()["code"]) == (422, "dependency_cycle")
    assert (await depend(client, ws, issues[0].id, issues[-1].id, owner)).status_code == 201


async def test_concurrent_halves_of_a_cycle(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    a, b = await new_issues(ws, 2)
    responses = await asyncio.gather(
        *(depend(client, ws, x.id, y.id, owner) for x, y in [(a, b), (b, a)] * 3)
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 422, 422, 422]
    assert await dependency_count() == 1


async def test_activity(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    a, b = await new_issues(ws, 2)
    dep = (await depend(client, ws, a.id, b.id, owner, "blocked_by")).json()
    await client.delete(deps_url(ws, b.id, f"/{dep['id']}"), headers=owner.headers)
    async with session_scope(read_only=True) as session:
        rows = list(
            await session.scalars(
                select(ActivityLog)
                .where(ActivityLog.entity_type == "dependency")
                .order_by(ActivityLog.created_at, ActivityLog.id)
            )
        )
    assert [(r.action, r.entity_id, r.issue_id, r.actor_id) for r in rows] == [
        ("created", dep["id"], a.id, owner.id),
        ("deleted", dep["id"], b.id, owner.id),
    ]
    assert rows[0].details == {"depends_on_issue_id": b.id, "type": "blocked_by"}


async def test_permissions(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    owner, admin, member, outsider = [await make_user() for _ in range(4)]
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, admin, "admin")
    await add_member(ws, member)
    a, b, c, d = await new_issues(ws, 4)
    for person, (x, y) in zip((owner, admin, member), ((a, b), (b, c), (c, d)), strict=True):
        created = await depend(client, ws, x.id, y.id, person)
        assert created.status_code == 201
        assert (await client.get(deps_url(ws, x.id), headers=person.headers)).status_code == 200
    dep_id = created.json()["id"]
    assert (
        await client.delete(deps_url(ws, c.id, f"/{dep_id}"), headers=member.headers)
    ).status_code == 204
    for method, target, body in (
        ("POST", deps_url(ws, a.id), {"depends_on_issue_id": d.id}),
        ("GET", deps_url(ws, a.id), None),
        ("DELETE", deps_url(ws, a.id, "/whatever"), None),
    ):
        hidden = await client.request(method, target, json=body, headers=outsider.headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
        assert (await client.request(method, target, json=body)).status_code == 401


@pytest.mark.parametrize("kind", ["blocks", "BLOCKED-BY", "depends_on", "related"])
async def test_type_input_is_tolerant(
    client: httpx.AsyncClient, make_user, make_workspace, kind: str
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    a, b = await new_issues(ws, 2)
    response = await depend(client, ws, a.id, b.id, owner, kind)
    assert response.status_code == 201
    expected = {"blocks": "blocks", "BLOCKED-BY": "blocked_by", "depends_on": "blocked_by"}
    assert response.json()["type"] == expected.get(kind, "related")
