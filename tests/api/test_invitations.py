"""Invitations: admins invite an email, the person with that verified email accepts or declines,
admins list and revoke; one pending invitation per email, even under concurrent invites."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActivityLog, Invitation, Member, User
from praisonai_platform.db.types import utcnow
from tests.factories import Person

API = "/api/v1"
SENT_FIELDS = {"id", "workspace_id", "email", "role", "status", "expires_at"}


async def verify(person: Person) -> None:
    async with session_scope() as session:
        await session.execute(
            update(User).where(User.id == person.id).values(email_verified_at=utcnow())
        )


async def roles(workspace_id: str) -> dict[str, str]:
    async with session_scope() as session:
        rows = await session.execute(
            select(Member.user_id, Member.role).where(Member.workspace_id == workspace_id)
        )
        return {user_id: role.value for user_id, role in rows}


async def invitation_rows(workspace_id: str) -> list[Invitation]:
    async with session_scope() as session:
        rows = await session.scalars(
            select(Invitation).where(Invitation.workspace_id == workspace_id)
        )
        return list(rows)


@pytest.fixture
async def team(make_user, make_workspace, add_member) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    owner, admin, member, guest = [
        await make_user(role) for role in ("owner", "admin", "member", "guest")
    ]
    workspace = await make_workspace(owner, name="Acme")
    await add_member(workspace["id"], admin, "admin")
    await add_member(workspace["id"], member, "member")
    await verify(guest)
    return {"id": workspace["id"], "owner": owner, "admin": admin, "member": member, "guest": guest}


def ws(team: dict[str, Any], suffix: str = "") -> str:
    return f"{API}/workspaces/{team['id']}{suffix}"


async def invite(
    client: httpx.AsyncClient, team: dict[str, Any], email: str, role: str = "member",
    by: str = "owner", path: str = "/invitations",
) -> httpx.Response:  # fmt: skip
    return await client.post(
        ws(team, path), json={"email": email, "role": role}, headers=team[by].headers
    )


async def test_invite_list_and_accept(client: httpx.AsyncClient, team: dict[str, Any]) -> None:
    guest: Person = team["guest"]
    sent = await invite(client, team, f"  {guest.email.upper()} ", "admin", path="/members")
    assert sent.status_code == 202, sent.text
    assert set(sent.json()) == SENT_FIELDS
    assert (sent.json()["email"], sent.json()["role"], sent.json()["status"]) == (
        guest.email,
        "admin",
        "pending",
    )
    assert guest.id not in await roles(team["id"])

    mine = await client.get(
        f"{API}/invitations", headers={**guest.headers, "Prefer": "count=exact"}
    )
    assert mine.status_code == 200 and mine.headers["X-Total-Count"] == "1"
    [received] = mine.json()
    assert (received["id"], received["workspace_name"], received["invited_by_name"]) == (
        sent.json()["id"],
        "Acme",
        team["owner"].name,
    )
    joined = await client.post(f"{API}/invitations/{received['id']}/accept", headers=guest.headers)
    assert joined.status_code == 200, joined.text
    assert (joined.json()["user_id"], joined.json()["role"]) == (guest.id, "admin")
    assert (joined.json()["name"], joined.json()["email"]) == (guest.name, guest.email)
    assert (await roles(team["id"]))[guest.id] == "admin"
    assert (await client.get(f"{API}/invitations", headers=guest.headers)).json() == []
    again = await client.post(f"{API}/invitations/{received['id']}/accept", headers=guest.headers)
    assert (again.status_code, again.json()["code"]) == (409, "invitation_not_pending")
    async with session_scope() as session:
        actions = list(
            await session.scalars(
                select(ActivityLog.action)
                .where(ActivityLog.workspace_id == team["id"])
                .order_by(ActivityLog.created_at, ActivityLog.id)
            )
        )
    assert actions[-2:] == ["created", "joined"]
    [row] = await invitation_rows(team["id"])
    assert (row.status.value, row.invited_by_id) == ("accepted", team["owner"].id)
    assert row.responded_at is not None


async def test_decline_and_revoke_end_an_invitation(
    client: httpx.AsyncClient, team: dict[str, Any], make_user
) -> None:  # type: ignore[no-untyped-def]
    guest: Person = team["guest"]
    first = (await invite(client, team, guest.email)).json()
    declined = await client.post(f"{API}/invitations/{first['id']}/decline", headers=guest.headers)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    late = await client.post(f"{API}/invitations/{first['id']}/accept", headers=guest.headers)
    assert (late.status_code, late.json()["code"]) == (409, "invitation_not_pending")

    second = (await invite(client, team, guest.email, by="admin")).json()
    assert second["id"] != first["id"]  # a new invitation; the declined one stays declined
    listed = await client.get(
        ws(team, "/invitations"), params={"status": "pending"}, headers=team["admin"].headers
    )
    assert [i["id"] for i in listed.json()] == [second["id"]]
    everything = await client.get(ws(team, "/invitations"), headers=team["admin"].headers)
    assert [i["status"] for i in everything.json()] == ["pending", "declined"]
    assert (
        await client.get(ws(team, "/invitations"), headers=team["member"].headers)
    ).status_code == 403
    revoked = await client.post(
        ws(team, f"/invitations/{second['id']}/revoke"), headers=team["admin"].headers
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    twice = await client.post(
        ws(team, f"/invitations/{second['id']}/revoke"), headers=team["admin"].headers
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "invitation_not_pending")
    for answer in ("accept", "decline"):
        refused = await client.post(
            f"{API}/invitations/{second['id']}/{answer}", headers=guest.headers
        )
        assert (refused.status_code, refused.json()["code"]) == (409, "invitation_not_pending")
    assert guest.id not in await roles(team["id"])
    missing = await client.post(ws(team, "/invitations/nope/revoke"), headers=team["owner"].headers)
    assert missing.status_code == 404


async def test_only_owners_invite_admins_and_owners(
    client: httpx.AsyncClient, team: dict[str, Any]
) -> None:
    for role in ("admin", "owner"):
        denied = await invite(client, team, "someone@example.com", role, by="admin")
        assert denied.status_code == 403
        assert (await invite(client, team, "someone@example.com", role)).status_code == 202
    assert (await invite(client, team, "x@example.com", by="member")).status_code == 403
    assert (await invite(client, team, "x@example.com", by="guest")).status_code == 404
    anonymous = await client.post(ws(team, "/invitations"), json={"email": "x@example.com"})
    assert anonymous.status_code == 401
    for bad in ("not-an-email", "a@", "@b.com"):
        invalid = await invite(client, team, bad)
        assert (invalid.status_code, invalid.json()["code"]) == (422, "invalid_email"), bad
    member = await invite(client, team, team["member"].email)
    assert (member.status_code, member.json()["code"]) == (409, "already_member")


async def test_inviting_again_renews_one_invitation_even_concurrently(
    client: httpx.AsyncClient, team: dict[str, Any]
) -> None:
    answers = await asyncio.gather(
        *(invite(client, team, "New.Person@Example.com", "member") for _ in range(12))
    )
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    renewed = await invite(client, team, "new.person@example.com", "admin")
    assert (renewed.json()["id"], renewed.json()["role"]) == (answers[0].json()["id"], "admin")
    [row] = await invitation_rows(team["id"])
    assert (row.email, row.role.value, row.status.value) == (
        "new.person@example.com",
        "admin",
        "pending",
    )


async def test_expired_invitations_cannot_be_accepted_until_renewed(
    client: httpx.AsyncClient, team: dict[str, Any]
) -> None:
    guest: Person = team["guest"]
    sent = (await invite(client, team, guest.email)).json()
    async with session_scope() as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.id == sent["id"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    assert (await client.get(f"{API}/invitations", headers=guest.headers)).json() == []
    late = await client.post(f"{API}/invitations/{sent['id']}/accept", headers=guest.headers)
    assert (late.status_code, late.json()["code"]) == (409, "invitation_expired")
    renewed = (await invite(client, team, guest.email)).json()
    assert renewed["id"] == sent["id"]
    accepted = await client.post(f"{API}/invitations/{sent['id']}/accept", headers=guest.headers)
    assert accepted.status_code == 200


async def test_an_unverified_email_sees_and_answers_nothing(
    client: httpx.AsyncClient, team: dict[str, Any], make_user
) -> None:  # type: ignore[no-untyped-def]
    unverified = await make_user("unverified")
    sent = (await invite(client, team, unverified.email)).json()
    assert (await client.get(f"{API}/invitations", headers=unverified.headers)).json() == []
    refused = await client.post(
        f"{API}/invitations/{sent['id']}/accept", headers=unverified.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "email_not_verified")
    assert unverified.id not in await roles(team["id"])
    await verify(unverified)
    assert len((await client.get(f"{API}/invitations", headers=unverified.headers)).json()) == 1
    joined = await client.post(f"{API}/invitations/{sent['id']}/accept", headers=unverified.headers)
    assert joined.status_code == 200


async def test_an_accept_racing_a_revoke_has_one_winner(
    client: httpx.AsyncClient, team: dict[str, Any]
) -> None:
    guest: Person = team["guest"]
    sent = (await invite(client, team, guest.email)).json()
    accepted, revoked = await asyncio.gather(
        client.post(f"{API}/invitations/{sent['id']}/accept", headers=guest.headers),
        client.post(ws(team, f"/invitations/{sent['id']}/revoke"), headers=team["owner"].headers),
    )
    assert sorted([accepted.status_code, revoked.status_code]) == [200, 409]
    [row] = await invitation_rows(team["id"])
    joined = guest.id in await roles(team["id"])
    assert joined == (row.status.value == "accepted") == (accepted.status_code == 200)


async def test_keys_that_may_not_join(client: httpx.AsyncClient, team: dict[str, Any]) -> None:
    guest: Person = team["guest"]
    sent = (await invite(client, team, guest.email)).json()
    read_only = await client.post(
        f"{API}/api-keys", json={"scopes": ["read"]}, headers=guest.headers
    )
    headers = {"Authorization": f"Bearer {read_only.json()['key']}"}
    refused = await client.post(f"{API}/invitations/{sent['id']}/accept", headers=headers)
    assert refused.status_code == 403
    assert len((await client.get(f"{API}/invitations", headers=headers)).json()) == 1
    async with session_scope() as session:
        count = await session.scalar(
            select(func.count()).select_from(Member).where(Member.user_id == guest.id)
        )
    assert count == 0
