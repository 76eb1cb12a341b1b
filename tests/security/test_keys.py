# ruff: noqa: F811  (fixtures imported from the API tests)
"""Attacker scenarios on agents and API keys: least privilege.

An owner's agent-bound key tries to make another member an owner and to delete the workspace;
read-only and workspace-limited keys try to list and revoke the person's other keys; a key
replays an Idempotency-Key to get a run from a workspace it may not touch; an administrator's
read-only, workspace-limited key lists every user's workers. Each is refused (or sees only its
own), with a stable code, and changes nothing.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from praisonai_platform.core.actors import Actor
from praisonai_platform.db.models import ActorType, Member, MemberRole, User, Workspace
from praisonai_platform.workspaces.permissions import (
    AGENT_MAX_ROLE,
    PERMISSIONS,
    ROLE_RANK,
    Access,
    Action,
    Credential,
    credential_permits,
)
from tests.api.conftest import (  # noqa: F401  (fixtures)
    add_member,
    app,
    client,
    make_user,
    make_workspace,
    server_settings,
)
from tests.factories import create_api_key, key_headers
from tests.runs.helpers import API, World, build_world, create_run, register_worker

KEYS = f"{API}/api-keys"


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member)


async def agent_key(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    """A key bound to the workspace's agent, made by the workspace's owner."""
    created = await create_api_key(client, world.owner, agent_id=world.agent_id)
    return key_headers(created["key"])


def code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("code", "")


async def test_an_owners_agent_key_cannot_escalate_or_delete(
    client: httpx.AsyncClient, world: World
) -> None:
    bot = await agent_key(client, world)
    members = world.url("/members")
    attempts: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PATCH", f"{members}/{world.member.id}", {"role": "owner"}),
        ("PATCH", f"{members}/{world.admin.id}", {"role": "member"}),
        ("DELETE", f"{members}/{world.member.id}", None),
        # Its owner's own membership: no stepping down, no leaving on their behalf.
        ("PATCH", f"{members}/{world.owner.id}", {"role": "member"}),
        ("DELETE", f"{members}/{world.owner.id}", None),
        ("POST", world.url("/invitations"), {"email": "friend@example.com", "role": "owner"}),
        ("PATCH", world.url(), {"name": "Taken over", "settings": {"x": 1}}),
        ("DELETE", world.url(), None),
    ]
    for method, url, body in attempts:
        response = await client.request(method, url, json=body, headers=bot)
        assert code(response) == (403, "agent_not_allowed"), (method, url, response.text)

    # Nothing changed: the workspace is there, unrenamed, with everyone in their role.
    workspace = await client.get(world.url(), headers=world.owner.headers)
    assert workspace.status_code == 200 and workspace.json()["name"] != "Taken over"
    roles = {
        m["user_id"]: m["role"]
        for m in (await client.get(members, headers=world.owner.headers)).json()
    }
    assert roles == {
        world.owner.id: "owner",
        world.admin.id: "admin",
        world.member.id: "member",
    }
    # Member rights it keeps: it files and comments on issues, queues runs.
    issue = await client.post(world.url("/issues/"), json={"title": "From the bot"}, headers=bot)
    assert issue.status_code == 201
    run = await client.post(world.url("/runs"), json={"agent_id": world.agent_id}, headers=bot)
    assert run.status_code == 201


async def test_an_admins_agent_key_has_member_rights_only(
    client: httpx.AsyncClient, world: World
) -> None:
    """Labels are an admin's to rename; the admin's agent may only use them."""
    agent = await client.post(
        world.url("/agents/"), json={"name": "Admin's bot"}, headers=world.admin.headers
    )
    bot = key_headers(
        (await create_api_key(client, world.admin, agent_id=agent.json()["id"]))["key"]
    )
    label = await client.post(world.url("/labels"), json={"name": "bug"}, headers=bot)
    assert label.status_code == 201
    renamed = await client.patch(
        world.url(f"/labels/{label.json()['id']}"), json={"name": "feature"}, headers=bot
    )
    assert code(renamed) == (403, "agent_not_allowed")
    # The plain member gets the role answer, not the agent one.
    as_member = await client.patch(
        world.url(f"/labels/{label.json()['id']}"),
        json={"name": "feature"},
        headers=world.member.headers,
    )
    assert code(as_member) == (403, "forbidden")


async def test_an_agent_key_manages_no_keys_and_no_credits(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    root = await make_user("root", is_admin=True)
    workspace = await make_workspace(root)
    agent = await client.post(
        f"{API}/workspaces/{workspace['id']}/agents/", json={"name": "B"}, headers=root.headers
    )
    bot = key_headers((await create_api_key(client, root, agent_id=agent.json()["id"]))["key"])
    other = await create_api_key(client, root, label="deploy")
    assert code(await client.get(KEYS, headers=bot)) == (403, "agent_not_allowed")
    assert code(await client.delete(f"{KEYS}/{other['id']}", headers=bot)) == (
        403,
        "agent_not_allowed",
    )
    assert code(await client.post(KEYS, json={}, headers=bot)) == (403, "agent_not_allowed")
    grant = await client.post(
        f"{API}/admin/credits/grant",
        json={"user_id": root.id, "amount": 1, "reason": "self-service"},
        headers=bot,
    )
    assert code(grant) == (403, "admin_only")
    assert (
        await client.get("/api/v1/auth/me", headers=key_headers(other["key"]))
    ).status_code == 200


@pytest.mark.parametrize(
    "limits", [{"scopes": ["read"]}, {"workspace_id": "mine"}], ids=["read-only", "workspace"]
)
async def test_restricted_keys_cannot_list_or_revoke_other_keys(
    client: httpx.AsyncClient, make_user, make_workspace, limits: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    workspace = await make_workspace(person)
    if "workspace_id" in limits:
        limits = {"workspace_id": workspace["id"]}
    restricted = await create_api_key(client, person, label="ci", **limits)
    deploy = await create_api_key(client, person, label="deploy")
    headers = key_headers(restricted["key"])

    listed = await client.get(KEYS, headers=headers)
    assert code(listed) == (403, "restricted_key_not_allowed")
    assert "deploy" not in listed.text
    revoked = await client.delete(f"{KEYS}/{deploy['id']}", headers=headers)
    assert code(revoked) == (403, "restricted_key_not_allowed")
    # An id that is no key of the person's answers the same: nothing is revealed.
    unknown = await client.delete(f"{KEYS}/no-such-key", headers=headers)
    assert code(unknown) == (403, "restricted_key_not_allowed")
    assert (
        await client.get("/api/v1/auth/me", headers=key_headers(deploy["key"]))
    ).status_code == 200

    # A key may always revoke itself (a leaked key can be killed with itself).
    assert (await client.delete(f"{KEYS}/{restricted['id']}", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    # The person's session and full keys manage keys as before.
    full = key_headers(deploy["key"])
    assert [k["label"] for k in (await client.get(KEYS, headers=full)).json()] == ["deploy", "ci"]


async def test_an_idempotent_replay_does_not_cross_workspaces(
    client: httpx.AsyncClient, world: World, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    """The owner queues a run in workspace B with a key; a key limited to workspace A, a
    read-only key, and the same key after the owner left B all replay it: each gets the
    route's refusal, never the run."""
    other = await make_workspace(world.owner)
    body = {"agent_id": world.agent_id, "parameters": {"secret": "only for B's members"}}
    replay = {"Idempotency-Key": "queue-1"}
    first = await client.post(
        world.url("/runs"), json=body, headers={**world.owner.headers, **replay}
    )
    assert first.status_code == 201
    limited = key_headers(
        (await create_api_key(client, world.owner, workspace_id=other["id"]))["key"]
    )
    read_only = key_headers((await create_api_key(client, world.owner, scopes=["read"]))["key"])

    for headers, expected in (
        (limited, (403, "key_out_of_scope")),
        (read_only, (403, "forbidden")),
    ):
        response = await client.post(world.url("/runs"), json=body, headers={**headers, **replay})
        assert code(response) == expected, response.text
        assert (
            first.json()["id"] not in response.text
            and "Idempotent-Replayed" not in response.headers
        )

    # The owner's session still gets its replay.
    again = await client.post(
        world.url("/runs"), json=body, headers={**world.owner.headers, **replay}
    )
    assert (
        again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    )

    # A member who queued with a key and was then removed replays it: 404, as for any outsider.
    queued = await client.post(
        world.url(f"/issues/{world.issue_key}/runs"),
        json={"agent_id": world.agent_id},
        headers={**world.member.headers, "Idempotency-Key": "delegate-1"},
    )
    assert queued.status_code == 201
    removed = await client.delete(
        world.url(f"/members/{world.member.id}"), headers=world.owner.headers
    )
    assert removed.status_code == 204
    gone = await client.post(
        world.url(f"/issues/{world.issue_key}/runs"),
        json={"agent_id": world.agent_id},
        headers={**world.member.headers, "Idempotency-Key": "delegate-1"},
    )
    assert code(gone) == (404, "not_found") and queued.json()["id"] not in gone.text


async def test_a_replayed_claim_answers_only_who_may_work_the_run(
    client: httpx.AsyncClient, world: World
) -> None:
    await create_run(client, world)
    worker = await register_worker(client, world.owner)
    url = f"{API}/workers/{worker}/claim"
    replay = {"Idempotency-Key": "claim-1"}
    body = {"workspace_id": world.workspace_id}
    claimed = await client.post(url, json=body, headers={**world.owner.headers, **replay})
    assert claimed.status_code == 200, claimed.text

    read_only = key_headers((await create_api_key(client, world.owner, scopes=["read"]))["key"])
    refused = await client.post(url, json=body, headers={**read_only, **replay})
    assert refused.status_code == 403 and claimed.json()["id"] not in refused.text
    # Another agent's key of the same person may not be handed this agent's run.
    helper = await client.post(
        world.url("/agents/"), json={"name": "Helper"}, headers=world.owner.headers
    )
    helper_key = key_headers(
        (await create_api_key(client, world.owner, agent_id=helper.json()["id"]))["key"]
    )
    hidden = await client.post(url, json=body, headers={**helper_key, **replay})
    assert hidden.status_code == 404 and claimed.json()["id"] not in hidden.text
    mine = await client.post(url, json=body, headers={**world.owner.headers, **replay})
    assert mine.headers["Idempotent-Replayed"] == "true" and mine.json() == claimed.json()


async def test_an_admins_restricted_key_sees_only_its_own_workers(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    root = await make_user("root", is_admin=True)
    someone = await make_user("someone")
    workspace = await make_workspace(root)
    theirs = await register_worker(client, someone)
    mine = await register_worker(client, root)
    narrow = key_headers(
        (await create_api_key(client, root, scopes=["read"], workspace_id=workspace["id"]))["key"]
    )
    listed = await client.get(f"{API}/workers", headers={**narrow, "Prefer": "count=exact"})
    assert listed.status_code == 200
    assert [w["id"] for w in listed.json()] == [mine] and listed.headers["X-Total-Count"] == "1"
    assert (await client.get(f"{API}/workers/{theirs}", headers=narrow)).status_code == 404
    assert code(await client.get(f"{API}/events", headers=narrow)) == (403, "admin_only")
    # The administrator's session, and full key, see everyone's.
    full = key_headers((await create_api_key(client, root))["key"])
    for headers in (root.headers, full):
        everyone = await client.get(f"{API}/workers", headers=headers)
        assert {w["id"] for w in everyone.json()} == {mine, theirs}
        assert (await client.get(f"{API}/events", headers=headers)).status_code == 200


def _actor(kind: str, *, is_admin: bool = False) -> Actor:
    user = User(id="u", email="u@example.com", name="U", is_admin=is_admin)
    if kind == "session":
        return Actor.for_user(user)
    if kind == "agent":
        return Actor(ActorType.AGENT, "a", user, frozenset({"read", "write"}), "w", "k")
    scopes = frozenset({"read"}) if kind == "read" else frozenset({"read", "write"})
    workspace = "w" if kind == "workspace" else None
    return Actor(ActorType.USER, "u", user, scopes, workspace, "k")


def test_the_table_caps_agents_and_restricted_keys() -> None:
    """The rules themselves: nothing above member rights is open to an agent's key (except what
    is its own), and only full credentials manage keys or see across users."""
    owner = Member(role=MemberRole.OWNER)
    as_agent = Access(actor=_actor("agent"), workspace=Workspace(), member=owner)
    as_owner = Access(actor=_actor("session"), workspace=Workspace(), member=owner)
    for action, rule in PERMISSIONS.items():
        if not rule.in_workspace:
            continue
        assert as_owner.allows(action, own=True), action
        member_level = (
            rule.min_role is not None and ROLE_RANK[rule.min_role] <= ROLE_RANK[AGENT_MAX_ROLE]
        )
        assert as_agent.allows(action) is (member_level and rule.credential is Credential.AGENT)
    for action in (
        Action.WORKSPACE_UPDATE,
        Action.WORKSPACE_DELETE,
        Action.MEMBER_MANAGE,
        Action.MEMBER_GRANT_PRIVILEGED,
    ):
        assert not credential_permits(_actor("agent"), action), action
        assert credential_permits(_actor("workspace"), action), action
    for action in (Action.API_KEY_LIST, Action.API_KEY_REVOKE):
        assert credential_permits(_actor("session"), action)
        assert credential_permits(_actor("full"), action)
        for kind in ("agent", "read", "workspace"):
            assert not credential_permits(_actor(kind), action), (kind, action)
    assert not credential_permits(_actor("full"), Action.API_KEY_CREATE)
    for kind in ("agent", "read", "workspace"):
        assert not credential_permits(_actor(kind, is_admin=True), Action.ADMIN_READ_ALL)
    assert credential_permits(_actor("full", is_admin=True), Action.ADMIN_READ_ALL)
    assert not credential_permits(_actor("session"), Action.ADMIN_READ_ALL)
    assert MemberRole.MEMBER is AGENT_MAX_ROLE
