"""Members: who may add, change and remove whom; the last owner stays; every change is audited."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActivityLog, Member, MemberRole
from tests.factories import Person


def members_url(workspace_id: str) -> str:
    return f"/api/v1/workspaces/{workspace_id}/members"


def member_url(workspace_id: str, user_id: str) -> str:
    return f"{members_url(workspace_id)}/{user_id}"


async def roles(workspace_id: str) -> dict[str, str]:
    async with session_scope() as session:
        rows = await session.execute(
            select(Member.user_id, Member.role).where(Member.workspace_id == workspace_id)
        )
        return {user_id: role.value for user_id, role in rows}


async def member_activity(workspace_id: str) -> list[ActivityLog]:
    async with session_scope() as session:
        rows = await session.scalars(
            select(ActivityLog)
            .where(ActivityLog.workspace_id == workspace_id, ActivityLog.entity_type == "member")
            .order_by(ActivityLog.created_at, ActivityLog.id)
        )
        return list(rows)


@pytest.fixture(autouse=True)
def direct_membership(app: FastAPI) -> None:
    """These tests are about adding users directly, as a server that allows it does
    (PLATFORM_DIRECT_MEMBERSHIP=true); tests/api/test_invitations.py covers the default."""
    app.state.direct_membership = True


@pytest.fixture
async def team(make_user, make_workspace, add_member) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A workspace with an owner, an admin and a member, plus an outsider."""
    owner = await make_user("owner")
    admin = await make_user("admin")
    member = await make_user("member")
    outsider = await make_user("outsider")
    workspace = await make_workspace(owner)
    await add_member(workspace["id"], admin, "admin")
    await add_member(workspace["id"], member, "member")
    return {
        "id": workspace["id"],
        "owner": owner,
        "admin": admin,
        "member": member,
        "outsider": outsider,
    }


async def test_add_by_user_id_as_in_0_1_9(client: httpx.AsyncClient, team, make_user) -> None:  # type: ignore[no-untyped-def]
    newcomer = await make_user("newcomer")
    response = await client.post(
        members_url(team["id"]), json={"user_id": newcomer.id}, headers=team["owner"].headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["workspace_id"] == team["id"]
    assert (body["user_id"], body["role"]) == (newcomer.id, "member")
    assert (body["name"], body["email"]) == (newcomer.name, newcomer.email)
    assert body["id"] and body["created_at"] and body["updated_at"]
    assert (await roles(team["id"]))[newcomer.id] == "member"
    [entry] = await member_activity(team["id"])
    assert (entry.entity_id, entry.action, entry.actor_id) == (
        body["id"],
        "added",
        team["owner"].id,
    )
    assert entry.details == {"user_id": newcomer.id, "role": "member"}


async def test_adding_by_email_invites_even_where_direct_adds_are_allowed(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, team, make_user
) -> None:
    newcomer = await make_user("newcomer")
    response = await client.post(
        members_url(team["id"]) + "/",
        json={"email": f"  {newcomer.email.upper()} ", "role": "ADMIN"},
        headers=team["owner"].headers,
    )
    assert response.status_code == 202, response.text
    assert (response.json()["email"], response.json()["role"]) == (newcomer.email, "admin")
    assert response.json()["status"] == "pending"
    assert newcomer.id not in await roles(team["id"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"role": "member"},
        {"user_id": "x", "email": "a@b.com"},
        {"user_id": ""},
        {"user_id": "u" * 65},
        {"user_id": 12},
        {"email": ""},
        {"email": "e" * 321},
        {"user_id": "nul\x00"},
    ],
)
async def test_add_needs_exactly_one_valid_user_reference(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, team, body: dict[str, Any]
) -> None:
    response = await client.post(members_url(team["id"]), json=body, headers=team["owner"].headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"


@pytest.mark.parametrize("role", ["superuser", "", "guest", 3, None, "owner "])
async def test_roles_are_owner_admin_or_member(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, team, make_user, role: Any
) -> None:
    newcomer = await make_user()
    response = await client.post(
        members_url(team["id"]),
        json={"user_id": newcomer.id, "role": role},
        headers=team["owner"].headers,
    )
    if role == "owner ":  # surrounding spaces are tolerated like case
        assert response.status_code == 201 and response.json()["role"] == "owner"
        return
    assert response.status_code == 422, response.text
    change = await client.patch(
        member_url(team["id"], team["member"].id),
        json={"role": role},
        headers=team["owner"].headers,
    )
    assert change.status_code == 422
    assert (await roles(team["id"]))[team["member"].id] == "member"


async def test_unknown_users_are_422(client: httpx.AsyncClient, team) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        members_url(team["id"]), json={"user_id": "no-such-user"}, headers=team["owner"].headers
    )
    assert (response.status_code, response.json()["code"]) == (422, "unknown_user")
    assert len(await roles(team["id"])) == 3


async def test_direct_adds_are_refused_unless_the_operator_allows_them(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, app: FastAPI, team, make_user
) -> None:
    app.state.direct_membership = False
    newcomer = await make_user("newcomer")
    for by, status in ((team["owner"], 403), (team["admin"], 403), (team["outsider"], 404)):
        response = await client.post(
            members_url(team["id"]), json={"user_id": newcomer.id}, headers=by.headers
        )
        assert response.status_code == status, response.text
    refused = await client.post(
        members_url(team["id"]), json={"user_id": newcomer.id}, headers=team["owner"].headers
    )
    assert refused.json()["code"] == "direct_membership_disabled"
    assert newcomer.id not in await roles(team["id"])
    assert await member_activity(team["id"]) == []


async def test_adding_a_member_twice_is_a_conflict(client: httpx.AsyncClient, team) -> None:  # type: ignore[no-untyped-def]
    for person in (team["member"], team["owner"]):
        response = await client.post(
            members_url(team["id"]),
            json={"user_id": person.id, "role": "member"},
            headers=team["owner"].headers,
        )
        assert (response.status_code, response.json()["code"]) == (409, "already_member")
    assert await roles(team["id"]) == {
        team["owner"].id: "owner",
        team["admin"].id: "admin",
        team["member"].id: "member",
    }
    assert await member_activity(team["id"]) == []


async def test_who_may_add_whom(client: httpx.AsyncClient, team, make_user) -> None:  # type: ignore[no-untyped-def]
    async def add(by: Person | None, role: str) -> httpx.Response:
        newcomer = await make_user()
        headers = by.headers if by else {}
        return await client.post(
            members_url(team["id"]), json={"user_id": newcomer.id, "role": role}, headers=headers
        )

    assert (await add(team["admin"], "member")).status_code == 201
    for role in ("admin", "owner"):
        denied = await add(team["admin"], role)
        assert (denied.status_code, denied.json()["code"]) == (403, "forbidden")
        assert (await add(team["owner"], role)).status_code == 201
    assert (await add(team["member"], "member")).status_code == 403
    assert (await add(team["outsider"], "member")).status_code == 404
    assert (await add(None, "member")).status_code == 401
    missing = await client.post(
        members_url("no-such-workspace"),
        json={"user_id": team["outsider"].id},
        headers=team["owner"].headers,
    )
    assert missing.status_code == 404


async def test_list_is_for_members_with_names_and_paging(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, team, make_user, add_member
) -> None:
    extra = [await make_user() for _ in range(3)]
    for person in extra:
        await add_member(team["id"], person)
    everyone = [team["owner"], team["admin"], team["member"], *extra]

    for viewer in (team["owner"], team["admin"], team["member"]):
        response = await client.get(
            members_url(team["id"]), headers={**viewer.headers, "Prefer": "count=exact"}
        )
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == "6"
        listed = response.json()
        assert [m["user_id"] for m in listed] == [p.id for p in everyone]
        assert [(m["name"], m["email"]) for m in listed] == [(p.name, p.email) for p in everyone]
        assert [m["role"] for m in listed[:3]] == ["owner", "admin", "member"]
    assert (
        await client.get(members_url(team["id"]), headers=team["outsider"].headers)
    ).status_code == 404
    assert (await client.get(members_url(team["id"]))).status_code == 401

    seen: list[str] = []
    response = await client.get(
        members_url(team["id"]) + "/", params={"limit": 4}, headers=team["member"].headers
    )
    while True:
        assert response.status_code == 200
        seen += [m["id"] for m in response.json()]
        link = response.headers.get("Link")
        if link is None:
            break
        response = await client.get(
            link[link.index("<") + 1 : link.index(">")], headers=team["member"].headers
        )
    assert len(seen) == len(set(seen)) == 6


async def test_owner_changes_roles_and_it_is_audited(client: httpx.AsyncClient, team) -> None:  # type: ignore[no-untyped-def]
    url = member_url(team["id"], team["member"].id)
    promoted = await client.patch(url, json={"role": "Admin"}, headers=team["owner"].headers)
    assert promoted.status_code == 200, promoted.text
    body = promoted.json()
    assert (body["user_id"], body["role"], body["email"]) == (
        team["member"].id,
        "admin",
        team["member"].email,
    )
    assert body["updated_at"] >= body["created_at"]
    [entry] = await member_activity(team["id"])
    assert (entry.entity_id, entry.action) == (body["id"], "role_changed")
    assert entry.details == {"user_id": team["member"].id, "changes": {"role": ["member", "admin"]}}

    same = await client.patch(url + "/", json={"role": "admin"}, headers=team["owner"].headers)
    assert (same.status_code, same.json()["role"]) == (200, "admin")
    assert len(await member_activity(team["id"])) == 1  # nothing changed, nothing recorded

    by_member_id = await client.patch(
        member_url(team["id"], body["id"]), json={"role": "owner"}, headers=team["owner"].headers
    )
    assert (by_member_id.status_code, by_member_id.json()["role"]) == (200, "owner")


async def test_who_may_change_whose_role(
    client: httpx.AsyncClient, team, make_user, add_member
) -> None:  # type: ignore[no-untyped-def]
    ws = team["id"]
    other_admin = await make_user()
    await add_member(ws, other_admin, "admin")

    async def change(by: Person | None, target: Person, role: str) -> int:
        headers = by.headers if by else {}
        response = await client.patch(
            member_url(ws, target.id), json={"role": role}, headers=headers
        )
        return response.status_code

    # Admins cannot grant admin or owner, nor touch an owner.
    assert await change(team["admin"], team["member"], "admin") == 403
    assert await change(team["admin"], team["member"], "owner") == 403
    assert await change(team["admin"], team["owner"], "member") == 403
    # Members cannot change anyone, not even raise themselves.
    assert await change(team["member"], other_admin, "member") == 403
    assert await change(team["member"], team["member"], "admin") == 403
    assert await change(team["outsider"], team["member"], "member") == 404
    assert await change(None, team["member"], "member") == 401
    assert await change(team["owner"], team["outsider"], "admin") == 404
    assert await roles(ws) == {
        team["owner"].id: "owner",
        team["admin"].id: "admin",
        team["member"].id: "member",
        other_admin.id: "admin",
    }
    # An admin may demote another admin (0.1.9 allowed it) and step down themselves.
    assert await change(team["admin"], other_admin, "member") == 200
    assert await change(team["admin"], team["admin"], "member") == 200
    assert await change(team["owner"], team["member"], "owner") == 200
    assert await change(team["member"], team["owner"], "admin") == 200  # owners manage owners
    assert await roles(ws) == {
        team["owner"].id: "admin",
        team["admin"].id: "member",
        team["member"].id: "owner",
        other_admin.id: "member",
    }


async def test_the_last_owner_can_be_neither_demoted_nor_removed(
    client: httpx.AsyncClient, team
) -> None:  # type: ignore[no-untyped-def]
    owner, url = team["owner"], member_url(team["id"], team["owner"].id)
    demote = await client.patch(url, json={"role": "admin"}, headers=owner.headers)
    assert (demote.status_code, demote.json()["code"]) == (409, "last_owner")
    leave = await client.delete(url, headers=owner.headers)
    assert (leave.status_code, leave.json()["code"]) == (409, "last_owner")
    assert (await roles(team["id"]))[owner.id] == "owner"
    assert await member_activity(team["id"]) == []

    # With a second owner both become possible, until one owner is left again.
    second = team["member"]
    promote = await client.patch(
        member_url(team["id"], second.id), json={"role": "owner"}, headers=owner.headers
    )
    assert promote.status_code == 200
    assert (
        await client.patch(url, json={"role": "member"}, headers=owner.headers)
    ).status_code == 200
    removed = await client.delete(url, headers=second.headers)
    assert removed.status_code == 204
    last = await client.delete(member_url(team["id"], second.id), headers=second.headers)
    assert (last.status_code, last.json()["code"]) == (409, "last_owner")
    assert await roles(team["id"]) == {team["admin"].id: "admin", second.id: "owner"}


async def test_who_may_remove_whom(client: httpx.AsyncClient, team, make_user, add_member) -> None:  # type: ignore[no-untyped-def]
    ws = team["id"]
    second_owner, other_member = await make_user(), await make_user()
    await add_member(ws, second_owner, "owner")
    await add_member(ws, other_member, "member")

    async def remove(by: Person | None, target: Person | str) -> int:
        target_id = target if isinstance(target, str) else target.id
        response = await client.delete(member_url(ws, target_id), headers=by.headers if by else {})
        return response.status_code

    assert await remove(team["member"], other_member) == 403
    assert await remove(team["admin"], team["owner"]) == 403
    assert await remove(team["outsider"], team["member"]) == 404
    assert await remove(None, team["member"]) == 401
    assert await remove(team["owner"], team["outsider"]) == 404
    assert await remove(team["owner"], "no-such-user") == 404
    assert len(await roles(ws)) == 5

    assert await remove(team["admin"], other_member) == 204
    assert await remove(team["member"], team["member"]) == 204  # leaving needs no admin
    assert await remove(second_owner, team["owner"]) == 204
    assert await remove(second_owner, team["admin"]) == 204
    assert await roles(ws) == {second_owner.id: "owner"}
    assert (
        await client.get(f"/api/v1/workspaces/{ws}", headers=team["member"].headers)
    ).status_code == 404

    actions = [(e.action, e.details["user_id"], e.actor_id) for e in await member_activity(ws)]
    assert actions == [
        ("removed", other_member.id, team["admin"].id),
        ("left", team["member"].id, team["member"].id),
        ("removed", team["owner"].id, second_owner.id),
        ("removed", team["admin"].id, second_owner.id),
    ]
    entries = await member_activity(ws)
    assert entries[2].details == {"user_id": team["owner"].id, "role": "owner"}
    async with session_scope() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Member)
                .where(Member.id.in_([e.entity_id for e in entries]))
            )
            == 0
        )


async def test_owners_demoting_each_other_at_once_leave_an_owner(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    for _ in range(5):
        first, second = await make_user(), await make_user()
        workspace = await make_workspace(first)
        await add_member(workspace["id"], second, "owner")
        responses = await asyncio.gather(
            client.patch(
                member_url(workspace["id"], second.id),
                json={"role": "member"},
                headers=first.headers,
            ),
            client.patch(
                member_url(workspace["id"], first.id),
                json={"role": "member"},
                headers=second.headers,
            ),
        )
        statuses = sorted(r.status_code for r in responses)
        # The loser was demoted before its turn (403), or found no other owner left (409).
        assert statuses[0] == 200 and statuses[1] in (403, 409), [r.text for r in responses]
        final = await roles(workspace["id"])
        assert sorted(final.values()) == ["member", "owner"]
        assert len(await member_activity(workspace["id"])) == 1


async def test_owners_leaving_at_once_leave_an_owner(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    for _ in range(5):
        owners = [await make_user() for _ in range(3)]
        workspace = await make_workspace(owners[0])
        for person in owners[1:]:
            await add_member(workspace["id"], person, "owner")
        responses = await asyncio.gather(
            *(client.delete(member_url(workspace["id"], p.id), headers=p.headers) for p in owners)
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [204, 204, 409], [r.text for r in responses]
        assert list((await roles(workspace["id"])).values()) == [MemberRole.OWNER.value]


async def test_a_role_lost_meanwhile_is_not_used(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    """B demotes C while A demotes B: B may act only if it acted before losing its role."""
    for _ in range(5):
        a, b, c = await make_user(), await make_user(), await make_user()
        workspace = await make_workspace(a)
        ws = workspace["id"]
        await add_member(ws, b, "owner")
        await add_member(ws, c, "owner")
        by_a, by_b = await asyncio.gather(
            client.patch(member_url(ws, b.id), json={"role": "member"}, headers=a.headers),
            client.patch(member_url(ws, c.id), json={"role": "member"}, headers=b.headers),
        )
        assert by_a.status_code == 200
        entries = await member_activity(ws)
        if by_b.status_code == 200:
            assert [e.actor_id for e in entries] == [b.id, a.id]
        else:
            assert (by_b.status_code, [e.actor_id for e in entries]) == (403, [a.id])
