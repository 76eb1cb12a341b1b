"""client.webhooks: a workspace's outgoing webhooks and their delivery log (admins)."""

from __future__ import annotations

from collections.abc import Sequence

from praisonai_platform.client.calls import UNSET, Call, Unset, api_path, body, changes
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.webhooks.schemas import (
    DeliveryResponse,
    WebhookResponse,
    WebhookSecretResponse,
)


class Webhooks(Resource[R]):
    @endpoint
    def create(
        self,
        workspace_id: str,
        url: str,
        *,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
        active: bool | None = None,
        idempotency_key: str | None = None,
    ) -> Call[WebhookSecretResponse]:
        """Subscribe `url` to the workspace's events (`*` by default; exact types such as
        `issue.created` or prefixes such as `issue.*`). The answer's `secret` signs every
        delivery and is shown this once."""
        json = body(
            url=url,
            event_types=list(event_types) if event_types is not None else None,
            description=description,
            active=active,
        )
        path = api_path("workspaces", workspace_id, "webhooks")
        return requests.create(path, WebhookSecretResponse, json, idempotency_key)

    @endpoint
    def get(self, workspace_id: str, webhook_id: str) -> Call[WebhookResponse]:
        return requests.get(
            api_path("workspaces", workspace_id, "webhooks", webhook_id), WebhookResponse
        )

    @endpoint
    def update(
        self,
        workspace_id: str,
        webhook_id: str,
        *,
        url: str | Unset = UNSET,
        event_types: Sequence[str] | Unset = UNSET,
        description: str | Unset = UNSET,
        active: bool | Unset = UNSET,
        rotate_secret: bool = False,
    ) -> Call[WebhookSecretResponse]:
        """Change the fields given; `active=True` re-enables a disabled webhook;
        `rotate_secret=True` makes a new secret, returned in `secret` this once."""
        json = changes(
            url=url,
            event_types=UNSET if event_types is UNSET else list(event_types),
            description=description,
            active=active,
        )
        if rotate_secret:
            json["rotate_secret"] = True
        path = api_path("workspaces", workspace_id, "webhooks", webhook_id)
        return requests.update(path, WebhookSecretResponse, json)

    @endpoint
    def delete(self, workspace_id: str, webhook_id: str) -> Call[None]:
        """Delete the webhook and its delivery log."""
        return requests.delete(api_path("workspaces", workspace_id, "webhooks", webhook_id))

    @endpoint
    def list(
        self,
        workspace_id: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[WebhookResponse]]:
        path = api_path("workspaces", workspace_id, "webhooks")
        return requests.listing(path, WebhookResponse, limit=limit, offset=offset, cursor=cursor)

    iter = iterate(list)

    @endpoint
    def deliveries(
        self,
        workspace_id: str,
        webhook_id: str,
        *,
        state: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[DeliveryResponse]]:
        """The webhook's deliveries, newest first (state, attempts, status codes, errors)."""
        path = api_path("workspaces", workspace_id, "webhooks", webhook_id, "deliveries")
        return requests.listing(
            path, DeliveryResponse, state=state, limit=limit, offset=offset, cursor=cursor
        )

    iter_deliveries = iterate(deliveries)

    @endpoint
    def redeliver(
        self, workspace_id: str, webhook_id: str, delivery_id: int
    ) -> Call[DeliveryResponse]:
        """Queue the delivery's body again, as a new delivery."""
        path = api_path(
            "workspaces",
            workspace_id,
            "webhooks",
            webhook_id,
            "deliveries",
            str(delivery_id),
            "redeliver",
        )
        return requests.create(path, DeliveryResponse, {})

    @endpoint
    def ping(self, workspace_id: str, webhook_id: str) -> Call[DeliveryResponse]:
        """Queue a `webhook.ping` delivery to test the receiver."""
        path = api_path("workspaces", workspace_id, "webhooks", webhook_id, "ping")
        return requests.create(path, DeliveryResponse, {})
