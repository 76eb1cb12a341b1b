"""Admin views of what the platform tells the outside: the change feed and webhook deliveries.

All read-only: the feed is append-only, and subscriptions belong to their workspace's admins, who
manage them through the API (where every change is audited). A subscription's signing secret is
never shown.
"""

from __future__ import annotations

from typing import Any, ClassVar

from praisonai_platform.api.admin.base import EnumFilter, ReadOnlyView, plain_columns
from praisonai_platform.db.models import (
    DeliveryState,
    WebhookDelivery,
    WebhookSubscription,
    WorkspaceEvent,
)


class WorkspaceEventAdmin(ReadOnlyView, model=WorkspaceEvent):
    icon = "fa-solid fa-tower-broadcast"
    column_list: ClassVar[Any] = [
        WorkspaceEvent.id,
        WorkspaceEvent.created_at,
        WorkspaceEvent.type,
        WorkspaceEvent.workspace_id,
        WorkspaceEvent.entity_id,
        WorkspaceEvent.actor_type,
        WorkspaceEvent.actor_id,
    ]
    column_details_list: ClassVar[Any] = plain_columns(WorkspaceEvent)
    column_searchable_list: ClassVar[Any] = [
        WorkspaceEvent.type,
        WorkspaceEvent.workspace_id,
        WorkspaceEvent.entity_id,
        WorkspaceEvent.issue_id,
    ]
    column_sortable_list: ClassVar[Any] = [WorkspaceEvent.id]
    column_default_sort: ClassVar[Any] = ("id", True)


class WebhookSubscriptionAdmin(ReadOnlyView, model=WebhookSubscription):
    icon = "fa-solid fa-satellite-dish"
    column_list: ClassVar[Any] = [
        WebhookSubscription.id,
        WebhookSubscription.workspace_id,
        WebhookSubscription.url,
        WebhookSubscription.active,
        WebhookSubscription.consecutive_failures,
        WebhookSubscription.disabled_reason,
        WebhookSubscription.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(WebhookSubscription, "secret")
    column_searchable_list: ClassVar[Any] = [
        WebhookSubscription.workspace_id,
        WebhookSubscription.url,
    ]
    column_sortable_list: ClassVar[Any] = [WebhookSubscription.created_at]


class WebhookDeliveryAdmin(ReadOnlyView, model=WebhookDelivery):
    icon = "fa-solid fa-paper-plane"
    column_list: ClassVar[Any] = [
        WebhookDelivery.id,
        WebhookDelivery.subscription_id,
        WebhookDelivery.event_type,
        WebhookDelivery.state,
        WebhookDelivery.attempts,
        WebhookDelivery.last_status_code,
        WebhookDelivery.next_attempt_at,
        WebhookDelivery.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(WebhookDelivery)
    column_searchable_list: ClassVar[Any] = [
        WebhookDelivery.subscription_id,
        WebhookDelivery.workspace_id,
        WebhookDelivery.event_type,
    ]
    column_filters: ClassVar[Any] = [EnumFilter(WebhookDelivery.state, DeliveryState)]
    column_sortable_list: ClassVar[Any] = [WebhookDelivery.id, WebhookDelivery.next_attempt_at]
    column_default_sort: ClassVar[Any] = ("id", True)


INTEGRATION_VIEWS = (WorkspaceEventAdmin, WebhookSubscriptionAdmin, WebhookDeliveryAdmin)
