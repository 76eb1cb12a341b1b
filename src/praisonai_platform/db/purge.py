"""Deleting rows that have served their time: expired idempotency keys, expired pending OAuth
sign-ins, one-time account tokens that expired or were used, the change feed's events older
than PLATFORM_EVENTS_RETENTION_DAYS, and webhook deliveries that are over (succeeded or dead) and
older than PLATFORM_WEBHOOK_DELIVERIES_RETENTION_DAYS.

Each kind is a table and the condition that makes a row deletable; `purge` deletes them in
batches, each in a transaction of its own (so SQLite's write lock is held briefly), and reports
how many of each kind went. `praisonai-platform db purge` runs it once; the server runs it every
PLATFORM_PURGE_INTERVAL_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, not_, or_, select
from sqlalchemy import inspect as inspect_model
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from praisonai_platform.core.operations_settings import load_operations_settings
from praisonai_platform.db.models import (
    AccountToken,
    DeliveryState,
    Nonce,
    WebhookDelivery,
    WorkspaceEvent,
)
from praisonai_platform.db.session import session_scope
from praisonai_platform.db.types import utcnow

logger = logging.getLogger("praisonai_platform")

BATCH = 1000
# Pending OAuth sign-ins and account links are nonces whose scope starts so
# (accounts/oauth/service.py writes them).
OAUTH_STATE_SCOPE_PREFIXES = ("oauth:", "oauth-link:")


@dataclass(frozen=True)
class Expiry:
    """A kind of row that may go: its table and the condition, at a given time, for deleting it."""

    kind: str
    model: type[Any]
    deletable: Callable[[datetime], ColumnElement[bool]]


def _is_sign_in() -> ColumnElement[bool]:
    return or_(*(Nonce.scope.startswith(prefix) for prefix in OAUTH_STATE_SCOPE_PREFIXES))


def _expired_keys(now: datetime) -> ColumnElement[bool]:
    return and_(Nonce.expires_at < now, not_(_is_sign_in()))


def _expired_sign_ins(now: datetime) -> ColumnElement[bool]:
    return and_(Nonce.expires_at < now, _is_sign_in())


def _spent_account_tokens(now: datetime) -> ColumnElement[bool]:
    return or_(AccountToken.expires_at < now, AccountToken.used_at.is_not(None))


# One line per kind of row that expires.
EXPIRIES: tuple[Expiry, ...] = (
    Expiry("idempotency keys", Nonce, _expired_keys),
    Expiry("pending sign-ins", Nonce, _expired_sign_ins),
    Expiry("account tokens", AccountToken, _spent_account_tokens),
)


async def purge(
    session_factory: async_sessionmaker[AsyncSession] | None = None,
    *,
    now: datetime | None = None,
    batch: int = BATCH,
    events_retention: timedelta | None = None,
    deliveries_retention: timedelta | None = None,
) -> dict[str, int]:
    """Delete every deletable row of every kind; returns how many of each (by kind). Feed
    events go after `events_retention` (default: PLATFORM_EVENTS_RETENTION_DAYS), finished
    webhook deliveries after `deliveries_retention` (PLATFORM_WEBHOOK_DELIVERIES_RETENTION_DAYS)."""
    moment = now or utcnow()
    if events_retention is None or deliveries_retention is None:
        operations = load_operations_settings()
        if events_retention is None:
            events_retention = timedelta(days=operations.events_retention_days)
        if deliveries_retention is None:
            deliveries_retention = timedelta(days=operations.webhook_deliveries_retention_days)
    counts: dict[str, int] = {}
    kinds = (*EXPIRIES, _old_events(events_retention), _old_deliveries(deliveries_retention))
    for expiry in kinds:
        counts[expiry.kind] = 0
        while True:
            async with session_scope(session_factory) as session:
                deleted = await _delete_batch(session, expiry, moment, batch)
            counts[expiry.kind] += deleted
            if deleted < batch:
                break
    return counts


def _old_events(retention: timedelta) -> Expiry:
    return Expiry(
        "feed events", WorkspaceEvent, lambda now: WorkspaceEvent.created_at < now - retention
    )


def _old_deliveries(retention: timedelta) -> Expiry:
    def deletable(now: datetime) -> ColumnElement[bool]:
        return and_(
            WebhookDelivery.state.in_([DeliveryState.SUCCEEDED, DeliveryState.DEAD]),
            WebhookDelivery.updated_at < now - retention,
        )

    return Expiry("webhook deliveries", WebhookDelivery, deletable)


async def _delete_batch(session: AsyncSession, expiry: Expiry, now: datetime, batch: int) -> int:
    (key,) = inspect_model(expiry.model).primary_key
    chosen = select(key).where(expiry.deletable(now)).limit(batch).scalar_subquery()
    result = await session.execute(
        delete(expiry.model).where(key.in_(chosen)).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_periodically(
    interval_seconds: float,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
) -> None:
    """Purge every `interval_seconds`, until cancelled; a failed round is logged and retried at
    the next one."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            counts = await purge(session_factory)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("purging expired rows failed; trying again in %ss", interval_seconds)
            continue
        if any(counts.values()):
            logger.info(
                "purged %s",
                ", ".join(f"{count} {kind}" for kind, count in counts.items() if count),
                extra={
                    "event": "purged",
                    **{kind.replace(" ", "_"): n for kind, n in counts.items()},
                },
            )
