"""Queues outgoing webhook deliveries for feed events, in the transaction that writes them.

`db/change_feed.write` calls `enqueue` with the feed rows it just numbered, before the commit:
a delivery exists exactly when its event does (nothing for a rolled-back change, nothing lost on
a crash after the commit). A workspace without subscriptions costs one indexed query per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, true

from praisonai_platform.db.models.webhooks import (
    DeliveryState,
    WebhookDelivery,
    WebhookSubscription,
)
from praisonai_platform.db.types import utcnow

if TYPE_CHECKING:
    from praisonai_platform.db.change_feed import FeedRow

_SUBSCRIPTIONS: Table = WebhookSubscription.__table__  # type: ignore[assignment]
_DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[assignment]
# Built once: asked after every commit that writes feed events, mostly to hear "none".
_ACTIVE_SUBSCRIPTIONS = select(
    _SUBSCRIPTIONS.c.id, _SUBSCRIPTIONS.c.workspace_id, _SUBSCRIPTIONS.c.event_types
).where(
    _SUBSCRIPTIONS.c.workspace_id.in_(bindparam("workspaces", expanding=True)),
    _SUBSCRIPTIONS.c.active == true(),
)
_INSERT_DELIVERIES = insert(_DELIVERIES)


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """Whether a subscription's types (`*`, `issue.created`, `issue.*`) take `event_type`."""
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def event_id(row: FeedRow) -> int | None:
    """The feed id `change_feed.write` gave the row."""
    value = cast("dict[str, Any]", row).get("id")
    return int(value) if value is not None else None


def event_payload(row: FeedRow) -> dict[str, Any]:
    """The JSON body a webhook receives for a feed event."""
    created_at = row["created_at"]
    return {
        "id": event_id(row),
        "type": row["type"],
        "workspace_id": row["workspace_id"],
        "entity_type": row["entity_type"],
        "entity_id": row["entity_id"],
        "issue_id": row["issue_id"],
        "actor": {"type": str(row["actor_type"]), "id": row["actor_id"]},
        "data": row["data"],
        "created_at": created_at.isoformat()
        if isinstance(created_at, datetime)
        else str(created_at),
    }


def enqueue(connection: Connection, rows: Sequence[FeedRow]) -> int:
    """One delivery per event and active subscription of its workspace that wants its type;
    returns how many were queued."""
    if not rows:
        return 0
    workspaces = {row["workspace_id"] for row in rows}
    subscriptions = connection.execute(
        _ACTIVE_SUBSCRIPTIONS, {"workspaces": sorted(workspaces)}
    ).all()
    if not subscriptions:
        return 0
    now = utcnow()
    deliveries = []
    for row in rows:  # in feed order: a subscription's deliveries are sent in this order
        payload: dict[str, Any] | None = None
        for subscription_id, workspace_id, patterns in subscriptions:
            if workspace_id != row["workspace_id"] or not matches(patterns or (), row["type"]):
                continue
            payload = payload or event_payload(row)
            deliveries.append(
                {
                    "subscription_id": subscription_id,
                    "workspace_id": workspace_id,
                    "event_id": event_id(row),
                    "event_type": row["type"],
                    "payload": payload,
                    "state": DeliveryState.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if deliveries:
        connection.execute(_INSERT_DELIVERIES, deliveries)
    return len(deliveries)
