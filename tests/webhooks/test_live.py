"""Webhooks end to end: a server of two processes (`serve --workers 2`), each running a
delivery loop, driven through the command line and the SDK, sending to a local receiver."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from praisonai_platform.client import PlatformClient, verify_webhook
from praisonai_platform.db import get_engine, reset_engine, session_scope
from praisonai_platform.db.models import DeliveryState, WebhookDelivery
from tests.client.test_cli import Cli
from tests.live.conftest import LiveServer, start_server, stop_server
from tests.webhooks.conftest import Receiver


@pytest.fixture
def live(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(
        db_url,
        tmp_path / "server.log",
        workers=2,
        environment={
            "PLATFORM_REGISTRATION_SIGNS_IN": "true",
            "PLATFORM_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "PLATFORM_WEBHOOK_POLL_SECONDS": "0.2",
            "PLATFORM_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
            "PLATFORM_WEBHOOK_RETRY_MAX_INTERVAL_SECONDS": "0.1",
        },
    )
    yield server
    stop_server(server)


def wait_for(condition: object, what: str, rounds: int = 600) -> None:
    for _ in range(rounds):
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


async def test_two_server_processes_deliver_each_event_once(
    live: LiveServer, db_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    cli = Cli(live, tmp_path / "config")
    cli.register()
    ws = cli.ok("workspace", "create", "Hooks", "--prefix", "HK", "--json").json()
    created = cli.ok(
        "webhooks", "create", receiver.url, "-e", "issue.*", "-w", ws["id"], "--json"
    ).json()
    secret, hook_id = created["secret"], created["id"]
    assert secret.startswith("whsec_")
    listed = cli.ok("webhooks", "list", "-w", ws["id"])
    assert hook_id in listed.out and secret not in listed.out

    receiver.script = [500]  # the first attempt fails: retried before anything later
    token = json.loads(cli.session_file.read_text())["token"]
    count = 6
    with PlatformClient(live.base_url, token=token) as sdk:
        for n in range(count):  # each request reaches either process
            sdk.issues.create(ws["id"], f"Issue {n}")
        wait_for(lambda: len(receiver.succeeded) == count, "every issue delivered")
        # The receiver has answered the last one before its sender records the answer.
        wait_for(
            lambda: (
                [d.state for d in sdk.webhooks.deliveries(ws["id"], hook_id)]
                == ["succeeded"] * count
            ),
            "every delivery recorded as succeeded",
        )

    sent = [int(r.headers["X-Platform-Delivery"]) for r in receiver.succeeded]
    assert sent == sorted(sent) and len(set(sent)) == count
    events = [verify_webhook(r.body, r.headers, secret) for r in receiver.succeeded]
    assert [e["data"]["title"] for e in events] == [f"Issue {n}" for n in range(count)]
    get_engine(db_url)
    try:
        async with session_scope(read_only=True) as session:
            rows = list(
                await session.scalars(
                    select(WebhookDelivery)
                    .where(WebhookDelivery.subscription_id == hook_id)
                    .order_by(WebhookDelivery.id)
                )
            )
    finally:
        await reset_engine()
    # One claim per attempt: the failed first one twice, every other once.
    assert [(d.state, d.attempts) for d in rows] == [
        (DeliveryState.SUCCEEDED, 2),
        *[(DeliveryState.SUCCEEDED, 1)] * (count - 1),
    ]

    log = cli.ok("webhooks", "deliveries", hook_id, "-w", ws["id"], "--json").json()
    assert [d["id"] for d in log] == [d.id for d in reversed(rows)]
    again = cli.ok(
        "webhooks", "redeliver", hook_id, str(rows[0].id), "-w", ws["id"], "--json"
    ).json()
    assert again["redelivery_of"] == rows[0].id
    ping = cli.ok("webhooks", "ping", hook_id, "-w", ws["id"], "--json").json()
    wait_for(lambda: len(receiver.succeeded) == count + 2, "the redelivery and the ping")
    assert [r.headers["X-Platform-Event"] for r in receiver.succeeded[-2:]] == [
        "issue.created",
        "webhook.ping",
    ]
    assert receiver.succeeded[-1].headers["X-Platform-Delivery"] == str(ping["id"])

    rotated = cli.ok("webhooks", "update", hook_id, "--rotate-secret", "-w", ws["id"])
    assert "whsec_" in rotated.out and secret not in rotated.out
    off = cli.ok("webhooks", "update", hook_id, "--inactive", "-w", ws["id"], "--json").json()
    assert off["active"] is False and off["secret"] is None
    refused = cli("webhooks", "create", "http://169.254.169.254/", "-w", ws["id"])
    assert refused.code == 1 and "metadata" in refused.err
    cli.ok("webhooks", "delete", hook_id, "-w", ws["id"])
    assert hook_id not in cli.ok("webhooks", "list", "-w", ws["id"]).out
