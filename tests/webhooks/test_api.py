"""Managing webhooks through the API: admins only, secrets shown once, bad input refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from praisonai_platform.webhooks.settings import WebhookSettings
from tests.factories import AddMember, MakeUser, MakeWorkspace, Person, create_api_key, key_headers

API = "/api/v1/workspaces"
PUBLIC_URL = "https://93.184.216.34/hooks/platform"  # a public address: no DNS needed


async def new_hook(
    client: httpx.AsyncClient, person: Person, ws: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/{ws}/webhooks",
        json={"url": PUBLIC_URL, "event_types": ["issue.*"], **fields},
        headers=person.headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_admins_manage_webhooks_and_see_the_secret_once(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    created = await new_hook(client, owner, ws, description="CI")
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert created["event_types"] == ["issue.*"] and created["active"] is True
    assert created["created_by"] == owner.id

    listed = await client.get(f"{API}/{ws}/webhooks", headers=owner.headers)
    assert listed.status_code == 200 and [h["id"] for h in listed.json()] == [created["id"]]
    got = await client.get(f"{API}/{ws}/webhooks/{created['id']}", headers=owner.headers)
    assert got.status_code == 200
    assert "secret" not in got.json() and "secret" not in listed.json()[0]
    assert secret not in listed.text + got.text

    changed = await client.patch(
        f"{API}/{ws}/webhooks/{created['id']}",
        json={"event_types": ["*", "*"], "active": False},
        headers=owner.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["*"] and changed.json()["active"] is False
    assert changed.json()["secret"] is None

    rotated = await client.patch(
        f"{API}/{ws}/webhooks/{created['id']}", json={"rotate_secret": True}, headers=owner.headers
    )
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != secret

    # The audit trail names the fields changed, never the URL or the secret.
    activity = await client.get(f"{API}/{ws}/activity", headers=owner.headers)
    assert activity.status_code == 200
    assert PUBLIC_URL not in activity.text and secret not in activity.text
    assert rotated.json()["secret"] not in activity.text

    deleted = await client.delete(f"{API}/{ws}/webhooks/{created['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"{API}/{ws}/webhooks/{created['id']}", headers=owner.headers)
    assert (gone.status_code, gone.json()["code"]) == (404, "webhook_not_found")


async def test_members_keys_and_strangers_are_refused(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    add_member: AddMember,
) -> None:
    owner, admin, member, stranger = [await make_user(n) for n in ("o", "a", "m", "s")]
    ws = (await make_workspace(owner))["id"]
    other_ws = (await make_workspace(stranger))["id"]
    await add_member(ws, admin, "admin")
    await add_member(ws, member, "member")
    hook = await new_hook(client, admin, ws)
    agent = await client.post(f"{API}/{ws}/agents/", json={"name": "Bot"}, headers=owner.headers)
    assert agent.status_code == 201
    read_key = (await create_api_key(client, owner, scopes=["read"]))["key"]
    agent_key = (await create_api_key(client, owner, agent_id=agent.json()["id"]))["key"]
    full_key = (await create_api_key(client, owner))["key"]
    base = f"{API}/{ws}/webhooks"
    calls = [
        ("GET", base, None),
        ("POST", base, {"url": PUBLIC_URL}),
        ("GET", f"{base}/{hook['id']}", None),
        ("PATCH", f"{base}/{hook['id']}", {"description": "x"}),
        ("GET", f"{base}/{hook['id']}/deliveries", None),
        ("POST", f"{base}/{hook['id']}/ping", None),
        ("DELETE", f"{base}/{hook['id']}", None),
    ]
    for caller, headers, status, code in (
        ("member", member.headers, 403, "forbidden"),
        ("read-only key", key_headers(read_key), 403, "forbidden"),
        ("agent key", key_headers(agent_key), 403, "agent_not_allowed"),
        ("stranger", stranger.headers, 404, "not_found"),
    ):
        for method, path, body in calls:
            response = await client.request(method, path, json=body, headers=headers)
            assert (response.status_code, response.json()["code"]) == (status, code), (
                caller,
                method,
                path,
                response.text,
            )
    # The owner's full key may; a webhook of another workspace is not found through this one.
    assert (await client.get(base, headers=key_headers(full_key))).status_code == 200
    elsewhere = await new_hook(client, stranger, other_ws)
    hidden = await client.get(f"{base}/{elsewhere['id']}", headers=owner.headers)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "webhook_not_found")
    across = await client.post(f"{base}/{elsewhere['id']}/ping", headers=owner.headers)
    assert across.status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"url": "ftp://example.com/x"}, 422, "validation_failed"),
        ({"url": "not a url"}, 422, "validation_failed"),
        ({"url": "https://user:pw@93.184.216.34/"}, 422, "validation_failed"),
        ({"url": "https://93.184.216.34:99999/"}, 422, "validation_failed"),
        ({"url": "https://" + "a" * 3000 + ".com/"}, 422, "validation_failed"),
        ({"url": PUBLIC_URL, "event_types": []}, 422, "validation_failed"),
        ({"url": PUBLIC_URL, "event_types": ["issue"]}, 422, "validation_failed"),
        ({"url": PUBLIC_URL, "event_types": ["issue.*.*"]}, 422, "validation_failed"),
        ({"url": PUBLIC_URL, "event_types": "*"}, 422, "validation_failed"),
        ({"url": PUBLIC_URL, "event_types": [1]}, 422, "validation_failed"),
        ({"url": "http://localhost:8080/hook"}, 422, "webhook_target_refused"),
        ({"url": "http://api.localhost/hook"}, 422, "webhook_target_refused"),
        ({"url": "http://127.0.0.1/hook"}, 422, "webhook_target_refused"),
        ({"url": "http://[::1]/hook"}, 422, "webhook_target_refused"),
        ({"url": "http://[::ffff:127.0.0.1]/hook"}, 422, "webhook_target_refused"),
        ({"url": "http://10.1.2.3/hook"}, 422, "webhook_target_refused"),
        ({"url": "http://192.168.0.10/hook"}, 422, "webhook_target_refused"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, 422, "webhook_target_refused"),
        ({"url": "http://[fd00:ec2::254]/"}, 422, "webhook_target_refused"),
        ({"url": "http://[fe80::1]/"}, 422, "webhook_target_refused"),
        ({"url": "http://0.0.0.0/"}, 422, "webhook_target_refused"),
        ({"url": "http://224.0.0.1/"}, 422, "webhook_target_refused"),
        ({"url": "http://100.64.0.1/"}, 422, "webhook_target_refused"),
    ],
)
async def test_bad_input_is_refused_with_a_stable_code(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    response = await client.post(f"{API}/{ws}/webhooks", json=body, headers=owner.headers)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text


async def test_bad_ids_and_updates_are_refused(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    hook = await new_hook(client, owner, ws)
    base = f"{API}/{ws}/webhooks/{hook['id']}"
    for path, status, code in (
        (f"{base}/deliveries/{2**63}/redeliver", 422, "validation_failed"),
        (f"{base}/deliveries/0/redeliver", 422, "validation_failed"),
        (f"{base}/deliveries/abc/redeliver", 422, "validation_failed"),
        (f"{base}/deliveries/123456/redeliver", 404, "delivery_not_found"),
        (f"{API}/{ws}/webhooks/nope/ping", 404, "webhook_not_found"),
    ):
        response = await client.post(path, headers=owner.headers)
        assert (response.status_code, response.json()["code"]) == (status, code), path
    listed = await client.get(f"{base}/deliveries?state=bogus", headers=owner.headers)
    assert (listed.status_code, listed.json()["code"]) == (422, "validation_failed")
    refused = await client.patch(base, json={"url": "http://127.0.0.1:1/"}, headers=owner.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "webhook_target_refused")
    bad = await client.patch(base, json={"event_types": ["Issue.Created!"]}, headers=owner.headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_failed")
    wrong_type = await client.patch(base, json={"active": "maybe"}, headers=owner.headers)
    assert wrong_type.status_code == 422


async def test_private_targets_only_when_the_operator_allows_them(
    client: httpx.AsyncClient, app: FastAPI, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    app.state.webhook_settings = WebhookSettings(allow_private_targets=True)
    local = await client.post(
        f"{API}/{ws}/webhooks", json={"url": "http://localhost:9/hook"}, headers=owner.headers
    )
    assert local.status_code == 201, local.text
    # Cloud metadata stays out of reach whatever the setting.
    for url in ("http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://0.0.0.0/"):
        metadata = await client.post(
            f"{API}/{ws}/webhooks", json={"url": url}, headers=owner.headers
        )
        assert (metadata.status_code, metadata.json()["code"]) == (422, "webhook_target_refused")


async def test_a_workspace_has_a_bounded_number_of_webhooks(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    from praisonai_platform.webhooks.service import MAX_SUBSCRIPTIONS

    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    for _ in range(MAX_SUBSCRIPTIONS):
        await new_hook(client, owner, ws)
    refused = await client.post(
        f"{API}/{ws}/webhooks", json={"url": PUBLIC_URL}, headers=owner.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "webhook_limit_reached")
