"""The delivery loop against a local receiver: signed, in order, retried, once per event."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from praisonai_platform.activity import service as activity
from praisonai_platform.client import WebhookVerificationError, verify_webhook
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import (
    ActivityLog,
    DeliveryState,
    WebhookDelivery,
    WebhookSubscription,
    WorkspaceEvent,
)
from praisonai_platform.webhooks import sender
from praisonai_platform.webhooks.sender import DeliveryLoop
from praisonai_platform.webhooks.settings import WebhookSettings
from tests.factories import MakeUser, MakeWorkspace, Person
from tests.webhooks.conftest import Receiver, fast_settings, until

API = "/api/v1/workspaces"


@pytest.fixture(autouse=True)
def private_targets(app: FastAPI) -> None:
    """The API accepts the local receiver (the operator's setting, made explicit)."""
    app.state.webhook_settings = WebhookSettings(allow_private_targets=True)


async def subscribe(
    client: httpx.AsyncClient, person: Person, ws: str, url: str, types: list[str] | None = None
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/{ws}/webhooks",
        json={"url": url, "event_types": types or ["issue.*"]},
        headers=person.headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def new_issue(client: httpx.AsyncClient, person: Person, ws: str, title: str) -> str:
    response = await client.post(
        f"{API}/{ws}/issues", json={"title": title}, headers=person.headers
    )
    assert response.status_code == 201, response.text
    issue_id: str = response.json()["id"]
    return issue_id


async def deliveries_of(subscription_id: str) -> list[WebhookDelivery]:
    async with session_scope(read_only=True) as session:
        rows = await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription_id)
            .order_by(WebhookDelivery.id)
        )
        return list(rows)


async def subscription(subscription_id: str) -> WebhookSubscription:
    async with session_scope(read_only=True) as session:
        found = await session.get(WebhookSubscription, subscription_id)
        assert found is not None
        return found


async def setup(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> tuple[Person, str]:
    owner = await make_user()
    return owner, (await make_workspace(owner))["id"]


async def test_a_delivery_is_signed_and_verifiable(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    receiver: Receiver,
) -> None:
    owner, ws = await setup(client, make_user, make_workspace)
    hook = await subscribe(client, owner, ws, receiver.url)
    issue_id = await new_issue(client, owner, ws, "Ship it")
    loop = DeliveryLoop(fast_settings())

    async def received() -> bool:
        return len(receiver.succeeded) == 1

    await until(received, loop.run_once)
    (request,) = receiver.requests
    event = verify_webhook(request.body, request.headers, hook["secret"])
    assert (event["type"], event["workspace_id"], event["entity_id"]) == (
        "issue.created",
        ws,
        issue_id,
    )
    assert event["actor"] == {"type": "user", "id": owner.id}
    (delivery,) = await deliveries_of(hook["id"])
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["x-platform-event"] == "issue.created"
    assert headers["x-platform-delivery"] == str(delivery.id)
    assert headers["x-platform-signature"].startswith("sha256=")
    assert headers["user-agent"].startswith("praisonai-platform-webhooks/")
    assert headers["content-type"] == "application/json"
    assert headers["host"] == receiver.url.split("/")[2]
    async with session_scope(read_only=True) as session:
        feed_id = await session.scalar(
            select(WorkspaceEvent.id).where(
                WorkspaceEvent.workspace_id == ws, WorkspaceEvent.type == "issue.created"
            )
        )
    assert event["id"] == delivery.event_id == feed_id
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        DeliveryState.SUCCEEDED,
        1,
        200,
    )
    # Another secret, a changed body or a replayed old request do not verify.
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(request.body, request.headers, "whsec_other")
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(request.body.replace(b"Ship", b"Shop"), request.headers, hook["secret"])
    late = int(headers["x-platform-timestamp"]) + 301
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        verify_webhook(request.body, request.headers, hook["secret"], now=late)

    listed = await client.get(f"{API}/{ws}/webhooks/{hook['id']}/deliveries", headers=owner.headers)
    assert listed.status_code == 200
    (shown,) = listed.json()
    assert (shown["id"], shown["state"], shown["attempts"], shown["last_status_code"]) == (
        delivery.id,
        "succeeded",
        1,
        200,
    )
    assert shown["webhook_id"] == hook["id"] and shown["payload"]["entity_id"] == issue_id


async def test_retries_keep_the_order_of_a_subscription(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    receiver: Receiver,
) -> None:
    owner, ws = await setup(client, make_user, make_workspace)
    hook = await subscribe(client, owner, ws, receiver.url)
    receiver.script = [500, 503]  # the first delivery fails twice
    titles = [f"Issue {n}" for n in range(4)]
    for title in titles:
        await new_issue(client, owner, ws, title)
    loops = [DeliveryLoop(fast_settings(), sender_id=f"loop-{n}") for n in range(2)]

    async def all_sent() -> bool:
        return len(receiver.succeeded) == len(titles)

    async def both() -> None:
        await asyncio.gather(*(loop.run_once() for loop in loops))

    await until(all_sent, both)
    sent = [int(r.headers["X-Platform-Delivery"]) for r in receiver.requests]
    deliveries = await deliveries_of(hook["id"])
    first = deliveries[0].id
    # The first delivery was tried three times before any later one went out; then in order.
    assert sent == [first, first, first, *(d.id for d in deliveries[1:])]
    assert [r.status for r in receiver.requests[:3]] == [500, 503, 200]
    bodies = [verify_webhook(r.body, r.headers, hook["secret"]) for r in receiver.succeeded]
    assert [b["data"].get("title") or b["entity_id"] for b in bodies]  # every one verifies
    assert [b["id"] for b in bodies] == sorted(b["id"] for b in bodies)
    assert [(d.state, d.attempts) for d in deliveries] == [
        (DeliveryState.SUCCEEDED, 3),
        *[(DeliveryState.SUCCEEDED, 1)] * 3,
    ]
    assert deliveries[0].last_error is None and deliveries[0].last_status_code == 200
    assert (await subscription(hook["id"])).consecutive_failures == 0


async def test_two_delivery_loops_send_each_event_exactly_once(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    receiver: Receiver,
) -> None:
    owner, ws = await setup(client, make_user, make_workspace)
    hooks = [
        await subscribe(client, owner, ws, f"{receiver.url}/{name}") for name in ("a", "b", "c")
    ]
    count = 8
    running = [sender.start(fast_settings(batch_size=2), sender_id=f"loop-{n}") for n in range(2)]
    try:
        for n in range(count):  # while the loops run: each commit wakes them
            await new_issue(client, owner, ws, f"Issue {n}")
        for _ in range(1000):
            if len(receiver.requests) >= count * len(hooks):
                break
            await asyncio.sleep(0.02)
    finally:
        for one in running:
            assert one is not None
            await one.stop()
    sent = [(r.path, r.headers["X-Platform-Delivery"]) for r in receiver.requests]
    assert len(sent) == len(set(sent)) == count * len(hooks)
    for hook in hooks:
        deliveries = await deliveries_of(hook["id"])
        assert len(deliveries) == count
        assert {(d.state, d.attempts) for d in deliveries} == {(DeliveryState.SUCCEEDED, 1)}, [
            (d.id, d.state, d.attempts, d.last_error) for d in deliveries
        ]
        path = f"/hook/{hook['url'].rsplit('/', 1)[1]}"
        in_order = [int(d) for p, d in sent if p == path]
        assert in_order == [d.id for d in deliveries]


async def test_nothing_is_sent_for_a_rolled_back_change(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    receiver: Receiver,
) -> None:
    owner, ws = await setup(client, make_user, make_workspace)
    hook = await subscribe(client, owner, ws, receiver.url, ["*"])
    already = len(await deliveries_of(hook["id"]))
    with pytest.raises(RuntimeError):
        async with session_scope() as session:
            activity.record(
                session,
                None,
                workspace_id=ws,
                entity_type="issue",
                entity_id="gone",
                action="created",
            )
            await session.flush()
            raise RuntimeError("changed my mind")
    # A savepoint rolled back inside a committed transaction announces nothing either.
    async with session_scope() as session:
        savepoint = await session.begin_nested()
        activity.record(
            session,
            None,
            workspace_id=ws,
            entity_type="issue",
            entity_id="undone",
            action="created",
        )
        await session.flush()
        await savepoint.rollback()
    assert len(await deliveries_of(hook["id"])) == already
    await new_issue(client, owner, ws, "Real")
    loop = DeliveryLoop(fast_settings())

    async def drained() -> bool:
        return all(d.state is DeliveryState.SUCCEEDED for d in await deliveries_of(hook["id"]))

    await until(drained, loop.run_once)
    types = [r.headers["X-Platform-Event"] for r in receiver.requests]
    assert "issue.created" in types
    bodies = [verify_webhook(r.body, r.headers, hook["secret"]) for r in receiver.requests]
    assert not {"gone", "undone"} & {b["entity_id"] for b in bodies}


async def test_a_failing_subscription_is_disabled_and_the_workspace_told(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    receiver: Receiver,
) -> None:
    owner, ws = await setup(client, make_user, make_workspace)
    hook = await subscribe(client, owner, ws, receiver.url)
    receiver.otherwise = 500
    await new_issue(client, owner, ws, "One")
    await new_issue(client, owner, ws, "Two")
    loop = DeliveryLoop(fast_settings(disable_after_failures=3))

    async def disabled() -> bool:
        return not (await subscription(hook["id"])).active

    await until(disabled, loop.run_once)
    assert len(receiver.requests) == 3  # the first delivery, three times; the second waits
    off = await subscription(hook["id"])
    assert off.consecutive_failures == 3 and off.disabled_at is not None
    assert off.disabled_reason is not None and "3 deliveries failed in a row" in off.disabled_reason
    async with session_scope(read_only=True) as session:
        told = (
            await session.scalars(
                select(ActivityLog).where(
                    ActivityLog.workspace_id == ws,
                    ActivityLog.entity_type == "webhook",
                    ActivityLog.action == "disabled",
                )
            )
        ).one()
        announced = await session.scalar(
            select(WorkspaceEvent.id).where(
                WorkspaceEvent.workspace_id == ws, WorkspaceEvent.type == "webhook.disabled"
            )
        )
    assert told.entity_id == hook["id"] and told.actor_type == "system"
    assert told.details["owner_id"] == owner.id and "500" in told.details["reason"]
    assert announced is not None  # the feed (stream, other webhooks) hears of it too
    assert await loop.run_once() == 0  # nothing more is sent to it
    first, second = await deliveries_of(hook["id"])
    assert (first.state, first.attempts, first.last_status_code) == (DeliveryState.FAILED, 3, 500)
    assert (second.state, second.attempts) == (DeliveryState.PENDING, 0)

    # Turned on again, it starts afresh and its queued deliveries go out, in order.
    receiver.otherwise = 200
    again = await client.patch(
        f"{API}/{ws}/webhooks/{hook['id']}", json={"active": True}, headers=owner.headers
    )
    assert again.status_code == 200
    assert (again.json()["consecutive_failures"], again.json()["disabled_reason"]) == (0, None)

    async def delivered() -> bool:
        return all(d.state is DeliveryState.SUCCEEDED for d in await deliveries_of(hook["id"]))

    await until(delivered, loop.run_once)
    assert [r.headers["X-Platform-Delivery"] for r in receiver.succeeded] == [
        str(first.id),
        str(second.id),
    ]


async def test_a_delivery_is_dead_when_its_time_is_up(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    receiver: Receiver,
) -> None:
    owner, ws = await setup(client, make_user, make_workspace)
    hook = await subscribe(client, owner, ws, receiver.url)
    receiver.otherwise = 404
    await new_issue(client, owner, ws, "One")
    loop = DeliveryLoop(fast_settings(retry_for_seconds=0))
    assert await loop.run_once() == 1
    (delivery,) = await deliveries_of(hook["id"])
    assert (delivery.state, delivery.last_status_code) == (DeliveryState.DEAD, 404)
    off = await subscription(hook["id"])
    assert not off.active and off.disabled_reason and "failed for" in off.disabled_reason
    assert await loop.run_once() == 0


async def test_redirects_are_not_followed(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    receiver: Receiver,
) -> None:
    owner, ws = await setup(client, make_user, make_workspace)
    hook = await subscribe(client, owner, ws, receiver.url)
    receiver.otherwise = 302
    receiver.headers = {"Location": f"{receiver.url}/elsewhere"}
    await new_issue(client, owner, ws, "One")
    assert await DeliveryLoop(fast_settings()).run_once() == 1
    assert [r.path for r in receiver.requests] == ["/hook"]
    (delivery,) = await deliveries_of(hook["id"])
    assert (delivery.state, delivery.last_status_code) == (DeliveryState.FAILED, 302)
    assert delivery.last_error == "redirects are not followed"


async def test_targets_are_checked_again_when_sending(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    receiver: Receiver,
) -> None:
    owner, ws = await setup(client, make_user, make_workspace)
    port = receiver.url.split(":")[2].split("/")[0]
    # Saved while private targets were allowed (or when its name resolved elsewhere).
    local = await subscribe(client, owner, ws, f"http://localhost:{port}/hook")
    renamed = await subscribe(client, owner, ws, f"http://hooks.example.test:{port}/hook")
    await new_issue(client, owner, ws, "One")

    async def resolver(host: str, _port: int) -> list[str]:
        assert host in ("hooks.example.test", "localhost")
        return ["127.0.0.1"]  # hooks.example.test now resolves to this machine (rebinding)

    strict = DeliveryLoop(fast_settings(allow_private_targets=False), resolver=resolver)
    assert await strict.run_once() == 2
    assert receiver.requests == []
    for hook in (local, renamed):
        (delivery,) = await deliveries_of(hook["id"])
        assert delivery.state is DeliveryState.FAILED and delivery.last_status_code is None
        assert delivery.last_error is not None and delivery.last_error.startswith("refused:")
        assert "loopback" in delivery.last_error or "this machine" in delivery.last_error

    # Allowed, the sender connects to the address it checked, naming the host in Host.
    lenient = DeliveryLoop(fast_settings(), resolver=resolver)

    async def sent() -> bool:
        return len(receiver.succeeded) == 2

    await until(sent, lenient.run_once)
    hosts = sorted(r.headers["Host"] for r in receiver.requests)
    assert hosts == sorted([f"hooks.example.test:{port}", f"localhost:{port}"])


async def test_ping_and_redeliver(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    receiver: Receiver,
) -> None:
    owner, ws = await setup(client, make_user, make_workspace)
    hook = await subscribe(client, owner, ws, receiver.url)
    base = f"{API}/{ws}/webhooks/{hook['id']}"
    await new_issue(client, owner, ws, "One")
    loop = DeliveryLoop(fast_settings())
    assert await loop.run_once() == 1
    (original,) = await deliveries_of(hook["id"])
    again = await client.post(f"{base}/deliveries/{original.id}/redeliver", headers=owner.headers)
    assert again.status_code == 201, again.text
    assert again.json()["redelivery_of"] == original.id and again.json()["state"] == "pending"
    ping = await client.post(f"{base}/ping", headers=owner.headers)
    assert ping.status_code == 201 and ping.json()["event_type"] == "webhook.ping"

    async def sent() -> bool:
        return len(receiver.succeeded) == 3

    await until(sent, loop.run_once)
    first, repeat, pinged = (
        verify_webhook(r.body, r.headers, hook["secret"]) for r in receiver.requests
    )
    assert repeat == first
    assert [r.headers["X-Platform-Delivery"] for r in receiver.requests[1:]] == [
        str(again.json()["id"]),
        str(ping.json()["id"]),
    ]
    assert pinged["type"] == "webhook.ping" and pinged["entity_id"] == hook["id"]
    assert receiver.requests[2].headers["X-Platform-Event"] == "webhook.ping"


async def test_event_types_choose_the_deliveries(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner, ws = await setup(client, make_user, make_workspace)
    stranger, other_ws = await setup(client, make_user, make_workspace)
    url = "http://127.0.0.1:9/hook"
    issues = await subscribe(client, owner, ws, url, ["issue.*"])
    exact = await subscribe(client, owner, ws, url, ["comment.created"])
    everything = await subscribe(client, owner, ws, url, ["*"])
    off = await subscribe(client, owner, ws, url, ["*"])
    await client.patch(
        f"{API}/{ws}/webhooks/{off['id']}", json={"active": False}, headers=owner.headers
    )
    issue_id = await new_issue(client, owner, ws, "One")
    comment = await client.post(
        f"{API}/{ws}/issues/{issue_id}/comments", json={"content": "hi"}, headers=owner.headers
    )
    assert comment.status_code == 201
    await new_issue(client, stranger, other_ws, "Elsewhere")  # another workspace: none of these

    async def types(hook: dict[str, Any]) -> list[str]:
        return [d.event_type for d in await deliveries_of(hook["id"])]

    assert await types(issues) == ["issue.created"]
    assert await types(exact) == ["comment.created"]
    seen = await types(everything)
    assert seen[-2:] == ["issue.created", "comment.created"]
    assert set(seen[:-2]) <= {"webhook.created", "webhook.updated"}
    assert await types(off) == ["webhook.created"]  # queued before it was turned off
