"""API keys: shown once, stored hashed, scoped, revocable, and able to act as an agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text, update

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import UserApiKey
from tests.factories import create_api_key, key_headers

KEYS = "/api/v1/api-keys"


async def test_a_key_is_shown_once_and_authenticates_both_ways(
    client: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    created = await create_api_key(client, person, label="ci")
    assert created["key"].startswith("ppk_") and len(created["key"]) >= 4 + 43
    assert created["key"].startswith(created["prefix"])
    assert created["scopes"] == ["read", "write"] and created["active"] is True
    listed = await client.get(KEYS, headers=person.headers)
    assert [k["id"] for k in listed.json()] == [created["id"]]
    assert "key" not in listed.json()[0]
    for header in ("bearer", "x-api-key"):
        me = await client.get("/api/v1/auth/me", headers=key_headers(created["key"], header=header))
        assert me.status_code == 200 and me.json()["id"] == person.id


async def test_the_database_holds_nothing_that_authenticates(
    client: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    secret = (await create_api_key(client, person))["key"]
    async with session_scope(read_only=True) as session:
        rows = (await session.execute(text("SELECT * FROM user_api_keys"))).mappings().all()
    assert len(rows) == 1
    stored = [str(value) for value in rows[0].values() if value is not None]
    random_part = secret.removeprefix("ppk_")
    assert not any(random_part[:16] in value for value in stored)
    for value in stored:  # no stored value works as a key
        attempt = await client.get("/api/v1/auth/me", headers=key_headers(value))
        assert attempt.status_code == 401


async def test_revoked_and_expired_keys_are_refused_at_once(
    client: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    revoked, expired = (
        await create_api_key(client, person),
        await create_api_key(client, person, expires_in_days=1),
    )
    assert (
        await client.delete(f"{KEYS}/{revoked['id']}", headers=person.headers)
    ).status_code == 204
    async with session_scope() as session:
        await session.execute(
            update(UserApiKey)
            .where(UserApiKey.id == expired["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    for key in (revoked, expired):
        response = await client.get("/api/v1/auth/me", headers=key_headers(key["key"]))
        assert (response.status_code, response.json()["code"]) == (401, "invalid_api_key")
    states = {k["id"]: k["active"] for k in (await client.get(KEYS, headers=person.headers)).json()}
    assert states == {revoked["id"]: False, expired["id"]: False}


async def test_read_only_keys_cannot_write(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    workspace = await make_workspace(person)
    key = (await create_api_key(client, person, scopes=["read"]))["key"]
    issues = f"/api/v1/workspaces/{workspace['id']}/issues/"
    assert (await client.get(issues, headers=key_headers(key))).status_code == 200
    refused = await client.post(issues, json={"title": "nope"}, headers=key_headers(key))
    assert refused.status_code == 403
    assert (
        await client.post("/api/v1/workspaces/", json={"name": "x"}, headers=key_headers(key))
    ).status_code == 403


async def test_workspace_keys_stay_in_their_workspace(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    mine, other = await make_workspace(person), await make_workspace(person)
    key = (await create_api_key(client, person, workspace_id=mine["id"]))["key"]
    assert (
        await client.get(f"/api/v1/workspaces/{mine['id']}", headers=key_headers(key))
    ).status_code == 200
    outside = await client.get(
        f"/api/v1/workspaces/{other['id']}/issues/", headers=key_headers(key)
    )
    assert (outside.status_code, outside.json()["code"]) == (403, "key_out_of_scope")
    listed = await client.get("/api/v1/workspaces/", headers=key_headers(key))
    assert [w["id"] for w in listed.json()] == [mine["id"]]


async def test_an_agent_key_acts_as_the_agent(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    workspace = await make_workspace(person)
    ws = f"/api/v1/workspaces/{workspace['id']}"
    agent = (
        await client.post(f"{ws}/agents/", json={"name": "Bot"}, headers=person.headers)
    ).json()
    key = (await create_api_key(client, person, agent_id=agent["id"]))["key"]
    issue = await client.post(
        f"{ws}/issues/", json={"title": "By the bot"}, headers=key_headers(key)
    )
    assert issue.status_code == 201, issue.text
    assert (issue.json()["creator_type"], issue.json()["creator_id"]) == ("agent", agent["id"])
    assert issue.json()["created_by_id"] is None
    comment = await client.post(
        f"{ws}/issues/{issue.json()['id']}/comments",
        json={"content": "done"},
        headers=key_headers(key),
    )
    assert (comment.json()["author_type"], comment.json()["author_id"]) == ("agent", agent["id"])
    activity = (
        await client.get(f"{ws}/issues/{issue.json()['id']}/activity", headers=person.headers)
    ).json()
    assert {(a["actor_type"], a["actor_id"]) for a in activity} == {("agent", agent["id"])}


async def test_only_the_agent_owner_may_bind_a_key_to_it(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    """The agent's runs are charged to its owner: nobody else, the workspace's owner included,
    may hold a key that speaks (and pays) for it."""
    owner, member = await make_user(), await make_user()
    workspace = await make_workspace(owner)
    await add_member(workspace["id"], member)
    agent = (
        await client.post(
            f"/api/v1/workspaces/{workspace['id']}/agents/",
            json={"name": "A"},
            headers=member.headers,
        )
    ).json()
    admin_tries = await client.post(KEYS, json={"agent_id": agent["id"]}, headers=owner.headers)
    assert (admin_tries.status_code, admin_tries.json()["code"]) == (403, "not_agent_owner")
    stranger = await make_user()
    hidden = await client.post(KEYS, json={"agent_id": agent["id"]}, headers=stranger.headers)
    assert hidden.status_code == 404
    made = await client.post(KEYS, json={"agent_id": agent["id"]}, headers=member.headers)
    assert made.status_code == 201
    assert len((await client.get(KEYS, headers=owner.headers)).json()) == 0


async def test_an_agent_key_stops_when_the_agent_changes_hands(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    """A key bound to an agent works only while its person owns the agent: one made by somebody
    else (an administrator, before only owners could) or kept after the agent moved on speaks
    for nobody."""
    owner, other = await make_user(), await make_user()
    ws = (await make_workspace(owner))["id"]
    agent = (
        await client.post(
            f"/api/v1/workspaces/{ws}/agents/", json={"name": "Bot"}, headers=owner.headers
        )
    ).json()
    key = await create_api_key(client, owner, agent_id=agent["id"])
    issues = f"/api/v1/workspaces/{ws}/issues/"
    assert (await client.get(issues, headers=key_headers(key["key"]))).status_code == 200
    async with session_scope() as session:
        await session.execute(
            text("UPDATE agents SET owner_id = :other WHERE id = :agent"),
            {"other": other.id, "agent": agent["id"]},
        )
    refused = await client.get(issues, headers=key_headers(key["key"]))
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_api_key")


async def test_at_most_twenty_active_keys(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    keys = [await create_api_key(client, person) for _ in range(20)]
    assert (await client.post(KEYS, json={}, headers=person.headers)).json()[
        "code"
    ] == "too_many_keys"
    await client.delete(f"{KEYS}/{keys[0]['id']}", headers=person.headers)
    assert (await client.post(KEYS, json={}, headers=person.headers)).status_code == 201


async def test_keys_cannot_make_keys_and_others_cannot_revoke_them(
    client: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    person, other = await make_user(), await make_user()
    key = await create_api_key(client, person)
    made = await client.post(KEYS, json={}, headers=key_headers(key["key"]))
    assert (made.status_code, made.json()["code"]) == (403, "api_key_not_allowed")
    assert (await client.delete(f"{KEYS}/{key['id']}", headers=other.headers)).status_code == 404


async def test_full_keys_list_and_revoke_keys_and_narrower_ones_only_themselves(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    workspace = await make_workspace(person)
    full = await create_api_key(client, person, label="full")
    narrow = await create_api_key(client, person, label="narrow", workspace_id=workspace["id"])
    listed = await client.get(KEYS, headers=key_headers(full["key"]))
    assert [k["label"] for k in listed.json()] == ["narrow", "full"]
    refused = await client.get(KEYS, headers=key_headers(narrow["key"]))
    assert (refused.status_code, refused.json()["code"]) == (403, "restricted_key_not_allowed")
    itself = await client.delete(f"{KEYS}/{narrow['id']}", headers=key_headers(narrow["key"]))
    assert itself.status_code == 204
    revoked = await client.delete(f"{KEYS}/{full['id']}", headers=key_headers(full["key"]))
    assert revoked.status_code == 204
    assert [k["active"] for k in (await client.get(KEYS, headers=person.headers)).json()] == [
        False,
        False,
    ]


async def test_last_used_is_written_at_most_once_a_minute(
    client: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    key = await create_api_key(client, person)
    await client.get("/api/v1/auth/me", headers=key_headers(key["key"]))
    first = (await client.get(KEYS, headers=person.headers)).json()[0]["last_used_at"]
    assert first is not None
    await client.get("/api/v1/auth/me", headers=key_headers(key["key"]))
    assert (await client.get(KEYS, headers=person.headers)).json()[0]["last_used_at"] == first
