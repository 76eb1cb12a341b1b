# ruff: noqa: F811  (fixtures imported from the API tests)
"""Membership without consent, as an attacker tries it: adding a victim by email yields only an
invitation (no membership, the same answer for known and unknown emails, no name); the victim's
worker, started with a plain token, does not run the intruder's jobs; invitations that were
declined or revoked, or that are someone else's, cannot be accepted."""

from __future__ import annotations

import httpx
from sqlalchemy import select, update

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Member, Run, User
from praisonai_platform.db.types import utcnow
from tests.api.conftest import (  # noqa: F401  (fixtures)
    add_member,
    app,
    client,
    make_user,
    make_workspace,
    server_settings,
)
from tests.factories import MakeUser, MakeWorkspace, Person

API = "/api/v1"


async def verify(person: Person) -> None:
    async with session_scope() as session:
        await session.execute(
            update(User).where(User.id == person.id).values(email_verified_at=utcnow())
        )


async def memberships(user_id: str) -> list[str]:
    async with session_scope() as session:
        return list(
            await session.scalars(select(Member.workspace_id).where(Member.user_id == user_id))
        )


async def test_adding_a_victim_by_email_only_invites_and_reveals_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    intruder, victim = await make_user("intruder"), await make_user("victim")
    lair = await make_workspace(intruder)
    url = f"{API}/workspaces/{lair['id']}/members"
    known = await client.post(url, json={"email": victim.email}, headers=intruder.headers)
    unknown = await client.post(
        url, json={"email": "nobody-here@example.com"}, headers=intruder.headers
    )
    assert (known.status_code, unknown.status_code) == (202, 202)
    assert set(known.json()) == set(unknown.json())
    strip = {"id", "email", "expires_at"}
    assert {k: v for k, v in known.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }
    assert victim.name not in known.json().values() and victim.id not in known.text
    assert "user_id" not in known.json() and "name" not in known.json()
    assert await memberships(victim.id) == []
    # Adding by user_id (as 0.1.9 did) is off unless the operator turns it on.
    direct = await client.post(url, json={"user_id": victim.id}, headers=intruder.headers)
    assert (direct.status_code, direct.json()["code"]) == (403, "direct_membership_disabled")
    assert await memberships(victim.id) == []
    # The intruder's workspace is invisible to the victim until they accept.
    seen = await client.get(f"{API}/workspaces/{lair['id']}", headers=victim.headers)
    assert seen.status_code == 404


async def test_the_victims_worker_does_not_run_the_intruders_jobs(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    add_member,  # type: ignore[no-untyped-def]
) -> None:
    intruder, victim = await make_user("intruder"), await make_user("victim")
    lair = await make_workspace(intruder)
    # Even where the victim did end up in the workspace (a server with direct membership, or an
    # invitation accepted by mistake):
    await add_member(lair["id"], victim, "member")
    agent = await client.post(
        f"{API}/workspaces/{lair['id']}/agents/", json={"name": "Miner"}, headers=intruder.headers
    )
    job = await client.post(
        f"{API}/workspaces/{lair['id']}/runs",
        json={"agent_id": agent.json()["id"]},
        headers=intruder.headers,
    )
    assert job.status_code == 201, job.text
    home = await make_workspace(victim)
    helper = await client.post(
        f"{API}/workspaces/{home['id']}/agents/", json={"name": "Helper"}, headers=victim.headers
    )
    own = await client.post(
        f"{API}/workspaces/{home['id']}/runs",
        json={"agent_id": helper.json()["id"]},
        headers=victim.headers,
    )
    # The victim's worker, started with a plain token and no settings:
    worker = await client.post(f"{API}/workers/register", json={}, headers=victim.headers)
    claim_url = f"{API}/workers/{worker.json()['id']}/claim"
    first = await client.post(claim_url, json={}, headers=victim.headers)
    assert first.status_code == 200 and first.json()["id"] == own.json()["id"]
    assert (await client.post(claim_url, json={}, headers=victim.headers)).status_code == 204
    # Naming its own workspace, it still does not reach into the intruder's.
    named = await client.post(
        claim_url, json={"workspace_ids": [home["id"]]}, headers=victim.headers
    )
    assert named.status_code == 204
    async with session_scope() as session:
        stored = await session.get(Run, job.json()["id"])
    assert stored is not None and (stored.state.value, stored.worker_id) == ("pending", None)


async def test_declined_revoked_or_foreign_invitations_cannot_be_accepted(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner, victim, thief = [await make_user(n) for n in ("owner", "victim", "thief")]
    await verify(victim)
    await verify(thief)
    workspace = await make_workspace(owner)
    invitations = f"{API}/workspaces/{workspace['id']}/invitations"

    async def send() -> str:
        sent = await client.post(invitations, json={"email": victim.email}, headers=owner.headers)
        assert sent.status_code == 202, sent.text
        return str(sent.json()["id"])

    declined = await send()
    await client.post(f"{API}/invitations/{declined}/decline", headers=victim.headers)
    revoked = await send()
    await client.post(f"{invitations}/{revoked}/revoke", headers=owner.headers)
    for invitation in (declined, revoked):
        late = await client.post(f"{API}/invitations/{invitation}/accept", headers=victim.headers)
        assert (late.status_code, late.json()["code"]) == (409, "invitation_not_pending")

    meant_for_victim = await send()
    assert (await client.get(f"{API}/invitations", headers=thief.headers)).json() == []
    for answer in ("accept", "decline"):
        stolen = await client.post(
            f"{API}/invitations/{meant_for_victim}/{answer}", headers=thief.headers
        )
        assert (stolen.status_code, stolen.json()["code"]) == (404, "not_found")
    assert await memberships(thief.id) == [] and await memberships(victim.id) == []
    accepted = await client.post(
        f"{API}/invitations/{meant_for_victim}/accept", headers=victim.headers
    )
    assert accepted.status_code == 200
    assert await memberships(victim.id) == [workspace["id"]]
