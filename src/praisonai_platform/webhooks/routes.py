"""Routes of /api/v1/workspaces/{workspace_id}/webhooks… (admins of the workspace)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response

from praisonai_platform.api.deps import CurrentActor, DbSession, app_setting
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.db.models import DeliveryState
from praisonai_platform.webhooks import service as webhooks
from praisonai_platform.webhooks.schemas import (
    DeliveryResponse,
    DeliveryStateName,
    WebhookCreate,
    WebhookResponse,
    WebhookSecretResponse,
    WebhookUpdate,
)
from praisonai_platform.webhooks.settings import WebhookSettings, load_webhook_settings

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["webhooks"])


async def get_webhook_settings(request: Request) -> WebhookSettings:
    """PLATFORM_WEBHOOK_*, read once per application."""
    return app_setting(request, "webhook_settings", load_webhook_settings)


WebhookConfig = Annotated[WebhookSettings, Depends(get_webhook_settings)]
DeliveryId = Annotated[int, Path(ge=1, le=2**62)]


@router.post("/webhooks", status_code=201, response_model=WebhookSecretResponse)
async def create_webhook(
    workspace_id: str,
    body: WebhookCreate,
    actor: CurrentActor,
    session: DbSession,
    settings: WebhookConfig,
) -> WebhookSecretResponse:
    """Subscribe a URL to the workspace's events (admins). The answer holds the signing
    `secret`, shown this once."""
    subscription = await webhooks.create(
        session,
        actor,
        workspace_id,
        settings,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        active=body.active,
    )
    return WebhookSecretResponse.model_validate(subscription)


@router.get("/webhooks", response_model=list[WebhookResponse])
async def list_webhooks(
    workspace_id: str, actor: CurrentActor, session: DbSession, listing: ListPaging
) -> list[WebhookResponse]:
    """The workspace's webhooks, oldest first (admins)."""
    page = await webhooks.list_for(session, actor, workspace_id, listing.page)
    return [WebhookResponse.model_validate(s) for s in listing.items(page)]


@router.get("/webhooks/{webhook_id}", response_model=WebhookResponse)
async def get_webhook(
    workspace_id: str, webhook_id: str, actor: CurrentActor, session: DbSession
) -> WebhookResponse:
    subscription = await webhooks.get(session, actor, workspace_id, webhook_id)
    return WebhookResponse.model_validate(subscription)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookSecretResponse)
async def update_webhook(
    workspace_id: str,
    webhook_id: str,
    body: WebhookUpdate,
    actor: CurrentActor,
    session: DbSession,
    settings: WebhookConfig,
) -> WebhookSecretResponse:
    """Change the URL, event types, description or `active` (true re-enables a disabled
    webhook); `rotate_secret: true` makes a new secret, shown in this answer only."""
    subscription, secret = await webhooks.update(
        session,
        actor,
        workspace_id,
        webhook_id,
        settings,
        body.changes(),
        rotate_secret=body.rotate_secret,
    )
    answer = WebhookResponse.model_validate(subscription).model_dump()
    return WebhookSecretResponse(**answer, secret=secret)


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(
    workspace_id: str, webhook_id: str, actor: CurrentActor, session: DbSession
) -> Response:
    """Delete the webhook and its delivery log."""
    await webhooks.delete(session, actor, workspace_id, webhook_id)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryResponse])
async def list_deliveries(
    workspace_id: str,
    webhook_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    state: Annotated[DeliveryStateName | None, Query()] = None,
) -> list[DeliveryResponse]:
    """The webhook's deliveries, newest first: state, attempts, last status code and error."""
    page = await webhooks.deliveries(
        session,
        actor,
        workspace_id,
        webhook_id,
        listing.page,
        state=DeliveryState(state) if state is not None else None,
    )
    return [DeliveryResponse.model_validate(d) for d in listing.items(page)]


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=201,
    response_model=DeliveryResponse,
)
async def redeliver(
    workspace_id: str,
    webhook_id: str,
    delivery_id: DeliveryId,
    actor: CurrentActor,
    session: DbSession,
) -> DeliveryResponse:
    """Send the delivery's body again, as a new delivery (after the webhook's earlier ones)."""
    delivery = await webhooks.redeliver(session, actor, workspace_id, webhook_id, delivery_id)
    return DeliveryResponse.model_validate(delivery)


@router.post("/webhooks/{webhook_id}/ping", status_code=201, response_model=DeliveryResponse)
async def ping_webhook(
    workspace_id: str, webhook_id: str, actor: CurrentActor, session: DbSession
) -> DeliveryResponse:
    """Queue a `webhook.ping` delivery to test the receiver."""
    delivery = await webhooks.ping(session, actor, workspace_id, webhook_id)
    return DeliveryResponse.model_validate(delivery)
