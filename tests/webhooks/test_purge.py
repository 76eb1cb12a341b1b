"""The purge deletes webhook deliveries that are over and old; the rest of the log stays."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from praisonai_platform.db import purge as purges
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import DeliveryState, WebhookDelivery
from praisonai_platform.db.types import utcnow
from praisonai_platform.webhooks.settings import WebhookSettings
from tests.factories import MakeUser, MakeWorkspace

API = "/api/v1/workspaces"


async def test_finished_deliveries_go_after_the_retention_and_nothing_else_does(
    client: httpx.AsyncClient, app: FastAPI, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    app.state.webhook_settings = WebhookSettings(allow_private_targets=True)
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    hook = await client.post(
        f"{API}/{ws}/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["issue.*"]},
        headers=owner.headers,
    )
    assert hook.status_code == 201, hook.text
    for n in range(5):
        created = await client.post(
            f"{API}/{ws}/issues", json={"title": f"Issue {n}"}, headers=owner.headers
        )
        assert created.status_code == 201, created.text
    long_ago = utcnow() - timedelta(days=40)
    states = [
        (DeliveryState.SUCCEEDED, long_ago),  # goes
        (DeliveryState.DEAD, long_ago),  # goes
        (DeliveryState.FAILED, long_ago),  # to be retried: stays
        (DeliveryState.PENDING, long_ago),  # stays
        (DeliveryState.SUCCEEDED, utcnow()),  # recent: stays
    ]
    async with session_scope() as session:
        ids = list(
            await session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.subscription_id == hook.json()["id"])
                .order_by(WebhookDelivery.id)
            )
        )
        assert len(ids) == 5
        for delivery_id, (state, when) in zip(ids, states, strict=True):
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(state=state, updated_at=when)
            )
    counts = await purges.purge(deliveries_retention=timedelta(days=30))
    assert counts["webhook deliveries"] == 2
    async with session_scope(read_only=True) as session:
        left = list(await session.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)))
    assert left == ids[2:]
