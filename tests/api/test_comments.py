"""Comments on issues: create, list oldest first, edit by the author, delete by author or admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from praisonai_platform.core.actors import Actor
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActivityLog, ActorType, Agent, Comment, User
from praisonai_platform.issues.comments import service as comment_service
from tests.factories import Person, create_issue


def comments_url(workspace_id: str, issue_ref: str, comment_id: str = "") -> str:
    url = f"/api/v1/workspaces/{workspace_id}/issues/{issue_ref}/comments"
    return f"{url}/{comment_id}" if comment_id else url


async def comment(
    client: httpx.AsyncClient, person: Person, workspace_id: str, issue_ref: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        comments_url(workspace_id, issue_ref),
        json={"content": "hello", **body},
        headers=person.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def comment_activity(comment_id: str) -> list[ActivityLog]:
    async with session_scope(read_only=True) as session:
        rows = await session.scalars(
            select(ActivityLog)
            .where(ActivityLog.entity_type == "comment", ActivityLog.entity_id == comment_id)
            .order_by(ActivityLog.created_at)
        )
        return list(rows.all())


async def test_comment_lifecycle(client: httpx.AsyncClient, make_user, make_workspace) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner, issue_prefix="ENG"))["id"]
    issue = await create_issue(client, owner, ws)

    created = await client.post(
        comments_url(ws, issue["id"]), json={"content": "  First!  "}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    first = created.json()
    assert first["content"] == "  First!  "  # content is kept as written
    assert (first["issue_id"], first["author_type"], first["author_id"]) == (
        issue["id"],
        "user",
        owner.id,
    )
    assert (first["type"], first["parent_id"]) == ("comment", None)
    assert first["created_at"] and first["updated_at"]

    reply = await comment(client, owner, ws, "ENG-1", content="a reply", parent_id=first["id"])
    assert reply["parent_id"] == first["id"]
    slash = await client.post(
        comments_url(ws, "eng-1") + "/", json={"content": "third"}, headers=owner.headers
    )
    assert slash.status_code == 201

    listed = await client.get(
        comments_url(ws, "ENG-1"), headers={**owner.headers, "Prefer": "count=exact"}
    )
    assert listed.status_code == 200
    assert [c["content"] for c in listed.json()] == ["  First!  ", "a reply", "third"]
    assert listed.headers["X-Total-Count"] == "3"
    assert (
        await client.get(comments_url(ws, issue["id"]) + "/", headers=owner.headers)
    ).json() == (listed.json())

    edited = await client.patch(
        comments_url(ws, issue["id"], first["id"]),
        json={"content": "Edited"},
        headers=owner.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["content"] == "Edited"
    assert edited.json()["created_at"] == first["created_at"]

    deleted = await client.delete(comments_url(ws, issue["id"], first["id"]), headers=owner.headers)
    assert deleted.status_code == 204
    remaining = (await client.get(comments_url(ws, issue["id"]), headers=owner.headers)).json()
    assert [c["content"] for c in remaining] == ["a reply", "third"]
    assert remaining[0]["parent_id"] is None  # the reply outlives the comment it answered
    gone = await client.patch(
        comments_url(ws, issue["id"], first["id"]), json={"content": "x"}, headers=owner.headers
    )
    assert gone.status_code == 404

    rows = await comment_activity(first["id"])
    assert [row.action for row in rows] == ["created", "updated", "deleted"]
    assert all(row.issue_id == issue["id"] and row.workspace_id == ws for row in rows)
    assert rows[1].details == {"changes": {"content": ["  First!  ", "Edited"]}}
    assert rows[0].details == {"identifier": "ENG-1"}


async def test_an_unchanged_edit_records_nothing(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    issue = await create_issue(client, owner, ws)
    first = await comment(client, owner, ws, issue["id"], content="same")
    again = await client.patch(
        comments_url(ws, issue["id"], first["id"]), json={"content": "same"}, headers=owner.headers
    )
    assert again.status_code == 200
    assert [row.action for row in await comment_activity(first["id"])] == ["created"]


async def test_comments_page_oldest_first(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    issue = await create_issue(client, owner, ws)
    ids = [(await comment(client, owner, ws, issue["id"], content=f"c{n}"))["id"] for n in range(7)]
    same = datetime(2024, 1, 1, tzinfo=UTC)
    async with session_scope() as session:  # ties must not break paging
        await session.execute(
            update(Comment).where(Comment.id.in_(ids[2:5])).values(created_at=same)
        )
        await session.execute(
            update(Comment).where(Comment.id.in_(ids[5:])).values(created_at=same + timedelta(1))
        )
    full = (await client.get(comments_url(ws, issue["id"]), headers=owner.headers)).json()
    order = [c["id"] for c in full]
    assert set(order[:3]) == set(ids[2:5]) and set(order[3:5]) == set(ids[5:])
    assert order[5:] == ids[:2]
    created = [c["created_at"] for c in full]
    assert created == sorted(created)
    walked: list[dict[str, Any]] = []
    response = await client.get(
        comments_url(ws, issue["id"]), params={"limit": 2}, headers=owner.headers
    )
    while True:
        assert response.status_code == 200
        walked += response.json()
        link = response.headers.get("Link")
        if link is None:
            break
        response = await client.get(link[1 : link.index(">")], headers=owner.headers)
    assert [c["id"] for c in walked] == [c["id"] for c in full]
    assert sorted(c["id"] for c in walked) == sorted(ids)


@pytest.mark.parametrize(
    "body",
    [
        {"content": ""},
        {"content": "   \n\t"},
        {"content": "x" * 100_001},
        {"content": None},
        {},
        {"content": "nul \x00"},
        {"content": 5},
        {"content": "ok", "parent_id": "x" * 65},
    ],
)
async def test_invalid_comments_are_422(
    client: httpx.AsyncClient, make_user, make_workspace, body
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    issue = await create_issue(client, owner, ws)
    response = await client.post(comments_url(ws, issue["id"]), json=body, headers=owner.headers)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    existing = await comment(client, owner, ws, issue["id"])
    if "content" in body and "parent_id" not in body:
        patched = await client.patch(
            comments_url(ws, issue["id"], existing["id"]), json=body, headers=owner.headers
        )
        assert (patched.status_code, patched.json()["code"]) == (422, "validation_failed")


async def test_the_longest_comment_is_accepted(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    issue = await create_issue(client, owner, ws)
    created = await comment(client, owner, ws, issue["id"], content="é" * 100_000)
    assert len(created["content"]) == 100_000


async def test_a_reply_must_answer_a_comment_of_the_same_issue(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    other_ws = (await make_workspace(owner))["id"]
    issue, sibling = await create_issue(client, owner, ws), await create_issue(client, owner, ws)
    foreign = await create_issue(client, owner, other_ws)
    on_sibling = await comment(client, owner, ws, sibling["id"])
    on_foreign = await comment(client, owner, other_ws, foreign["id"])
    for parent_id in (on_sibling["id"], on_foreign["id"], "00000000-0000-0000-0000-000000000000"):
        response = await client.post(
            comments_url(ws, issue["id"]),
            json={"content": "reply", "parent_id": parent_id},
            headers=owner.headers,
        )
        assert (response.status_code, response.json()["code"]) == (422, "invalid_reference")
    # a comment is only reachable through its own issue
    wrong_issue = await client.patch(
        comments_url(ws, issue["id"], on_sibling["id"]),
        json={"content": "x"},
        headers=owner.headers,
    )
    assert wrong_issue.status_code == 404
    cross = await client.delete(
        comments_url(ws, foreign["id"], on_foreign["id"]), headers=owner.headers
    )
    assert cross.status_code == 404  # the issue is not in this workspace
    assert (
        await client.get(comments_url(ws, "no-such-issue"), headers=owner.headers)
    ).status_code == 404


async def test_comment_permissions(
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:  # type: ignore[no-untyped-def]
    owner, admin, author, other, outsider = [await make_user() for _ in range(5)]
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, admin, "admin")
    await add_member(ws, author)
    await add_member(ws, other)
    issue = await create_issue(client, owner, ws)
    mine = await comment(client, author, ws, issue["id"], content="by the author")
    url = comments_url(ws, issue["id"], mine["id"])

    for person in (owner, admin, author, other):
        assert (
            await client.get(comments_url(ws, issue["id"]), headers=person.headers)
        ).status_code == 200
        await comment(client, person, ws, issue["id"])

    for method, target, body in (
        ("GET", comments_url(ws, issue["id"]), None),
        ("POST", comments_url(ws, issue["id"]), {"content": "x"}),
        ("PATCH", url, {"content": "x"}),
        ("DELETE", url, None),
    ):
        hidden = await client.request(method, target, json=body, headers=outsider.headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found"), method
        assert (await client.request(method, target, json=body)).status_code == 401, method

    # only the author edits, whatever the others' roles
    for person in (owner, admin, other):
        refused = await client.patch(url, json={"content": "not mine"}, headers=person.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    edited = await client.patch(url, json={"content": "mine"}, headers=author.headers)
    assert edited.status_code == 200

    # the author or an admin deletes; another member may not
    assert (await client.delete(url, headers=other.headers)).status_code == 403
    assert (await client.delete(url, headers=author.headers)).status_code == 204
    for person in (admin, owner):
        target = await comment(client, other, ws, issue["id"])
        deleted = await client.delete(
            comments_url(ws, issue["id"], target["id"]), headers=person.headers
        )
        assert deleted.status_code == 204
    listed = (await client.get(comments_url(ws, issue["id"]), headers=owner.headers)).json()
    assert mine["id"] not in {c["id"] for c in listed}
    rows = await comment_activity(mine["id"])
    assert [(row.action, row.actor_id) for row in rows] == [
        ("created", author.id),
        ("updated", author.id),
        ("deleted", author.id),
    ]


async def test_an_agent_authors_comments(
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:  # type: ignore[no-untyped-def]
    owner, keyholder = await make_user(), await make_user()
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, keyholder)
    issue = await create_issue(client, owner, ws)
    async with session_scope() as session:
        agent = Agent(workspace_id=ws, name="bot")
        session.add(agent)
        await session.flush()
        agent_id = agent.id
        user = await session.get(User, keyholder.id)
        assert user is not None
        actor = Actor(type=ActorType.AGENT, id=agent_id, user=user)
        written = await comment_service.create(session, actor, ws, issue["id"], content="done")
        comment_id = written.id
    [body] = (await client.get(comments_url(ws, issue["id"]), headers=owner.headers)).json()
    assert (body["author_type"], body["author_id"]) == ("agent", agent_id)
    # the person holding the agent's key is not its author
    url = comments_url(ws, issue["id"], comment_id)
    assert (
        await client.patch(url, json={"content": "x"}, headers=keyholder.headers)
    ).status_code == 403
    async with session_scope() as session:
        user = await session.get(User, keyholder.id)
        assert user is not None
        actor = Actor(type=ActorType.AGENT, id=agent_id, user=user)
        edited = await comment_service.update(
            session, actor, ws, issue["id"], comment_id, content="x"
        )
        assert edited.content == "x"
