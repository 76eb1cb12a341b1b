"""Managing a workspace's outgoing webhooks (admins, with a person's credential).

Subscriptions name a URL, the event types they want and hold the secret every delivery is signed
with (shown once, when made or rotated). Deliveries are queued by db/webhook_outbox with each
change and sent by webhooks/sender; here they are listed, repeated (redeliver) and tested (ping).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Conflict, NotFound
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db import change_feed
from praisonai_platform.db.models import DeliveryState, WebhookDelivery, WebhookSubscription
from praisonai_platform.db.types import new_id, utcnow
from praisonai_platform.webhooks import targets
from praisonai_platform.webhooks.settings import WebhookSettings
from praisonai_platform.workspaces.permissions import Action, workspace_access

# Subscriptions one workspace may have: each is a request per change.
MAX_SUBSCRIPTIONS = 25
PING_EVENT = "webhook.ping"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


async def create(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    settings: WebhookSettings,
    *,
    url: str,
    event_types: list[str],
    description: str | None = None,
    active: bool = True,
    resolver: targets.Resolver = targets.resolve,
) -> WebhookSubscription:
    """A new subscription; its `secret` is for the creator's eyes, this once."""
    await workspace_access(session, actor, workspace_id, Action.WEBHOOK_MANAGE)
    await targets.check_on_save(
        url, allow_private=settings.allow_private_targets, resolver=resolver
    )
    count = await session.scalar(
        select(func.count())
        .select_from(WebhookSubscription)
        .where(WebhookSubscription.workspace_id == workspace_id)
    )
    if (count or 0) >= MAX_SUBSCRIPTIONS:
        raise Conflict(
            f"a workspace has at most {MAX_SUBSCRIPTIONS} webhooks", code="webhook_limit_reached"
        )
    subscription = WebhookSubscription(
        id=new_id(),
        workspace_id=workspace_id,
        url=url,
        description=description,
        event_types=list(event_types),
        secret=new_secret(),
        active=active,
        created_by=actor.user_id,
    )
    session.add(subscription)
    _record(session, actor, subscription, "created", {"event_types": list(event_types)})
    await session.flush()
    return subscription


async def list_for(
    session: AsyncSession, actor: Actor, workspace_id: str, page: PageRequest
) -> Page[WebhookSubscription]:
    await workspace_access(session, actor, workspace_id, Action.WEBHOOK_MANAGE)
    statement = select(WebhookSubscription).where(WebhookSubscription.workspace_id == workspace_id)
    order = [
        SortKey("created_at", WebhookSubscription.created_at, kind=datetime),
        SortKey("id", WebhookSubscription.id),
    ]
    return await paginate(session, statement, order, page)


async def get(
    session: AsyncSession, actor: Actor, workspace_id: str, webhook_id: str
) -> WebhookSubscription:
    await workspace_access(session, actor, workspace_id, Action.WEBHOOK_MANAGE)
    return await _load(session, workspace_id, webhook_id)


async def update(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    webhook_id: str,
    settings: WebhookSettings,
    changes: dict[str, Any],
    *,
    rotate_secret: bool = False,
    resolver: targets.Resolver = targets.resolve,
) -> tuple[WebhookSubscription, str | None]:
    """Apply `changes` (url, event_types, description, active); the new secret if rotated.
    Turning a subscription on again clears why it was disabled and its count of failures."""
    await workspace_access(session, actor, workspace_id, Action.WEBHOOK_MANAGE)
    subscription = await _load(session, workspace_id, webhook_id)
    if "url" in changes and changes["url"] != subscription.url:
        await targets.check_on_save(
            changes["url"], allow_private=settings.allow_private_targets, resolver=resolver
        )
    if changes.get("active") and not subscription.active:
        subscription.consecutive_failures = 0
        subscription.disabled_reason = None
        subscription.disabled_at = None
        change_feed.deliveries_queued(session.sync_session)  # its waiting ones may go now
    changed = sorted(
        name for name, value in changes.items() if getattr(subscription, name) != value
    )
    for name in changed:
        setattr(subscription, name, changes[name])
    secret = None
    if rotate_secret:
        secret = subscription.secret = new_secret()
        changed.append("secret")
    if changed:
        # Field names only: a URL may hold a token of the receiver's, and members read activity.
        _record(session, actor, subscription, "updated", {"fields": changed})
        subscription.updated_at = utcnow()
        await session.flush()
    return subscription, secret


async def delete(session: AsyncSession, actor: Actor, workspace_id: str, webhook_id: str) -> None:
    """Delete the subscription and its delivery log; nothing more is sent to it."""
    await workspace_access(session, actor, workspace_id, Action.WEBHOOK_MANAGE)
    subscription = await _load(session, workspace_id, webhook_id)
    await session.delete(subscription)
    _record(session, actor, subscription, "deleted", {})
    await session.flush()


async def deliveries(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    webhook_id: str,
    page: PageRequest,
    *,
    state: DeliveryState | None = None,
) -> Page[WebhookDelivery]:
    """The subscription's deliveries, newest first."""
    await workspace_access(session, actor, workspace_id, Action.WEBHOOK_MANAGE)
    await _load(session, workspace_id, webhook_id)
    statement = select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id)
    if state is not None:
        statement = statement.where(WebhookDelivery.state == state)
    order = [SortKey("id", WebhookDelivery.id, descending=True, kind=int)]
    return await paginate(session, statement, order, page)


async def redeliver(
    session: AsyncSession, actor: Actor, workspace_id: str, webhook_id: str, delivery_id: int
) -> WebhookDelivery:
    """A new delivery of the same body, sent after the subscription's earlier ones."""
    await workspace_access(session, actor, workspace_id, Action.WEBHOOK_MANAGE)
    await _load(session, workspace_id, webhook_id)
    original = await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.subscription_id == webhook_id
        )
    )
    if original is None:
        raise NotFound("delivery not found", code="delivery_not_found")
    return await _queue(
        session,
        webhook_id,
        workspace_id,
        event_id=original.event_id,
        event_type=original.event_type,
        payload=dict(original.payload),
        redelivery_of=original.id,
    )


async def ping(
    session: AsyncSession, actor: Actor, workspace_id: str, webhook_id: str
) -> WebhookDelivery:
    """Queue a `webhook.ping` delivery to the subscription (whatever its event types)."""
    await workspace_access(session, actor, workspace_id, Action.WEBHOOK_MANAGE)
    subscription = await _load(session, workspace_id, webhook_id)
    payload = {
        "id": None,
        "type": PING_EVENT,
        "workspace_id": workspace_id,
        "entity_type": "webhook",
        "entity_id": subscription.id,
        "issue_id": None,
        "actor": {"type": actor.type.value, "id": actor.id},
        "data": {"event_types": list(subscription.event_types)},
        "created_at": utcnow().isoformat(),
    }
    return await _queue(
        session, webhook_id, workspace_id, event_id=None, event_type=PING_EVENT, payload=payload
    )


async def _queue(
    session: AsyncSession,
    webhook_id: str,
    workspace_id: str,
    *,
    event_id: int | None,
    event_type: str,
    payload: dict[str, Any],
    redelivery_of: int | None = None,
) -> WebhookDelivery:
    now = utcnow()
    delivery = WebhookDelivery(
        subscription_id=webhook_id,
        workspace_id=workspace_id,
        event_id=event_id,
        event_type=event_type,
        payload=payload,
        state=DeliveryState.PENDING,
        attempts=0,
        next_attempt_at=now,
        redelivery_of=redelivery_of,
        created_at=now,
        updated_at=now,
    )
    session.add(delivery)
    await session.flush()
    change_feed.deliveries_queued(session.sync_session)
    return delivery


async def _load(session: AsyncSession, workspace_id: str, webhook_id: str) -> WebhookSubscription:
    subscription = await session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.id == webhook_id,
            WebhookSubscription.workspace_id == workspace_id,
        )
    )
    if subscription is None:
        raise NotFound("webhook not found", code="webhook_not_found")
    return subscription


def _record(
    session: AsyncSession,
    actor: Actor | None,
    subscription: WebhookSubscription,
    action: str,
    details: dict[str, Any],
) -> None:
    activity.record(
        session,
        actor,
        workspace_id=subscription.workspace_id,
        entity_type="webhook",
        entity_id=subscription.id,
        action=action,
        details=details,
    )
