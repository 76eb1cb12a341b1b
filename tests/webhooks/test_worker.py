"""Worker processes (`praisonai-platform worker`) send webhook deliveries too: two of them
share the work, each delivery sent once."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from praisonai_platform.client import verify_webhook
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import DeliveryState, WebhookDelivery, Worker
from praisonai_platform.webhooks.settings import WebhookSettings
from tests.factories import MakeUser, MakeWorkspace
from tests.runs.processes import start_worker, stop, wait_until, workers_running
from tests.webhooks.conftest import Receiver

API = "/api/v1/workspaces"


async def test_two_worker_processes_send_each_delivery_once(
    client: httpx.AsyncClient,
    app: FastAPI,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    receiver: Receiver,
    db_url: str,
    tmp_path: Path,
) -> None:
    app.state.webhook_settings = WebhookSettings(allow_private_targets=True)
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    hook = await client.post(
        f"{API}/{ws}/webhooks",
        json={"url": receiver.url, "event_types": ["issue.*"]},
        headers=owner.headers,
    )
    assert hook.status_code == 201, hook.text
    hook_id, secret = hook.json()["id"], hook.json()["secret"]
    log = tmp_path / "workers.log"
    processes = [
        start_worker(
            db_url,
            tmp_path / "record.txt",
            log,
            worker_id=f"sender-{n}",
            PLATFORM_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
            PLATFORM_WEBHOOK_POLL_SECONDS="0.1",
        )
        for n in range(2)
    ]
    count = 5
    with workers_running(processes):

        async def both_started() -> bool:
            # Registered, so past installing their signal handlers: a stop is a clean one.
            async with session_scope(read_only=True) as session:
                started = set(await session.scalars(select(Worker.id)))
            return {"sender-0", "sender-1"} <= started

        await wait_until(both_started, seconds=120, interval=0.1)
        for n in range(count):
            created = await client.post(
                f"{API}/{ws}/issues", json={"title": f"Issue {n}"}, headers=owner.headers
            )
            assert created.status_code == 201

        async def sent_and_recorded() -> bool:
            assert all(p.poll() is None for p in processes), log.read_text()[-3000:]
            if len(receiver.succeeded) < count:
                return False
            # The receiver answers before the sender records the answer.
            async with session_scope(read_only=True) as session:
                states = await session.scalars(
                    select(WebhookDelivery.state).where(WebhookDelivery.subscription_id == hook_id)
                )
                return list(states) == [DeliveryState.SUCCEEDED] * count

        await wait_until(sent_and_recorded, seconds=120, interval=0.1)
        assert [stop(p) for p in processes] == [0, 0], log.read_text()[-3000:]

    async with session_scope(read_only=True) as session:
        rows = list(
            await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.subscription_id == hook_id)
                .order_by(WebhookDelivery.id)
            )
        )
    assert [(d.state, d.attempts) for d in rows] == [(DeliveryState.SUCCEEDED, 1)] * count
    sent_ids = [r.headers["X-Platform-Delivery"] for r in receiver.requests]
    assert sent_ids == [str(d.id) for d in rows]  # each once, in order
    titles = [verify_webhook(r.body, r.headers, secret)["data"]["title"] for r in receiver.requests]
    assert titles == [f"Issue {n}" for n in range(count)]
