"""The delivery loop: sends queued webhook deliveries, signed, retried, one sender per delivery.

Every server process and every worker runs one (`start`). A loop claims due deliveries with a
lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: a conditional `UPDATE … RETURNING` under its
single writer), so across processes each attempt is made by one sender; a sender that dies
leaves its claims to others once their lease has passed.

Order: a subscription's deliveries go out one at a time, oldest first. A delivery is not sent
while an earlier one of its subscription is pending, in flight or waiting for a retry
(head-of-line blocking): a receiver sees a subscription's events in the order they happened, and
one that is down holds back its own subscription only.

An attempt POSTs the JSON body with `X-Platform-Signature: sha256=<hex HMAC-SHA256 of
"{timestamp}.{body}" under the subscription's secret>`, `X-Platform-Timestamp`,
`X-Platform-Delivery` and `X-Platform-Event`. A 2xx answer is success; anything else (another
status, a redirect, a timeout, a refused target) is retried with exponential back-off and jitter
until PLATFORM_WEBHOOK_RETRY_FOR_SECONDS after the delivery was queued, when it is dead. A dead
delivery, or PLATFORM_WEBHOOK_DISABLE_AFTER_FAILURES failures in a row, disables the
subscription, with an activity entry `webhook.disabled` (which itself reaches the feed).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import random
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import and_, exists, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from praisonai_platform import __version__
from praisonai_platform.activity import service as activity
from praisonai_platform.core.clock import database_now
from praisonai_platform.db import change_feed
from praisonai_platform.db.models import DeliveryState, WebhookDelivery, WebhookSubscription
from praisonai_platform.db.models.webhooks import OPEN_STATES
from praisonai_platform.db.session import session_scope
from praisonai_platform.webhooks import targets
from praisonai_platform.webhooks.settings import WebhookSettings

logger = logging.getLogger("praisonai_platform.webhooks")

USER_AGENT = f"praisonai-platform-webhooks/{__version__}"
MAX_ERROR = 500
_RETRYABLE = (DeliveryState.PENDING, DeliveryState.FAILED)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this sender holds, with what it needs to send it."""

    id: int
    subscription_id: str
    event_type: str
    payload: dict[str, Any]
    attempts: int
    created_at: Any
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Platform-Signature` value of `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def backoff(settings: WebhookSettings, attempts: int) -> float:
    """Seconds to wait after `attempts` attempts: doubling, capped, plus up to 20%."""
    base = settings.retry_base_seconds * 2 ** min(max(attempts - 1, 0), 40)
    return float(min(settings.retry_max_interval_seconds, base) * (1 + random.uniform(0, 0.2)))


def default_sender_id() -> str:
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{id(object()):x}"


class DeliveryLoop:
    """Claims and sends deliveries until stopped."""

    def __init__(
        self,
        settings: WebhookSettings,
        session_factory: async_sessionmaker[AsyncSession] | None = None,
        *,
        sender_id: str | None = None,
        resolver: targets.Resolver = targets.resolve,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.sender_id = sender_id or default_sender_id()
        self._sessions = session_factory
        self._resolver = resolver
        self._transport = transport
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None

    # Running ------------------------------------------------------------------------------------

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        forget = change_feed.on_deliveries(self._heard)
        try:
            async with self._http() as client:
                self._client = client
                while not self._stopping.is_set():
                    try:
                        sent = await self.run_once()
                    except Exception:
                        logger.exception("webhook delivery loop failed; trying again")
                        sent = 0
                    if sent == 0:
                        await self._pause(self.settings.poll_seconds)
        finally:
            self._client = None
            forget()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def _heard(self) -> None:
        # Called after a commit of this process that queued deliveries, maybe from another thread.
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._wake.set)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    def _http(self) -> httpx.AsyncClient:
        # Never redirects, never a proxy from the environment (it would connect elsewhere than
        # the address checked), a bounded time per attempt.
        return httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=self.settings.timeout_seconds,
            transport=self._transport,
            headers={"User-Agent": USER_AGENT},
        )

    async def run_once(self) -> int:
        """Claim one batch of due deliveries, send them and record how it went; how many."""
        claimed = await self.claim()
        if not claimed:
            return 0
        if self._client is not None:
            outcomes = await asyncio.gather(*(self._attempt(self._client, c) for c in claimed))
        else:
            async with self._http() as client:
                outcomes = await asyncio.gather(*(self._attempt(client, c) for c in claimed))
        for delivery, outcome in zip(claimed, outcomes, strict=True):
            await self._record(delivery, outcome)
        return len(claimed)

    # Claiming -----------------------------------------------------------------------------------

    async def claim(self) -> list[Claimed]:
        """Take up to `batch_size` due deliveries, the oldest open one of each subscription."""
        async with session_scope(self._sessions, read_only=True) as session:
            if not (await session.scalars(self._candidates(session, lock=False).limit(1))).first():
                return []  # nothing due: no write transaction (SQLite's lock) taken
        async with session_scope(self._sessions) as session:
            candidates = self._candidates(session, lock=True).limit(self.settings.batch_size)
            ids = list(await session.scalars(candidates))
            if not ids:
                return []
            rows = await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids), self._due(session))
                .values(
                    state=DeliveryState.IN_FLIGHT,
                    claimed_by=self.sender_id,
                    claimed_until=database_now(
                        session, timedelta(seconds=self.settings.lease_seconds)
                    ),
                    attempts=WebhookDelivery.attempts + 1,
                    last_attempt_at=database_now(session),
                    updated_at=database_now(session),
                )
                .returning(
                    WebhookDelivery.id,
                    WebhookDelivery.subscription_id,
                    WebhookDelivery.event_type,
                    WebhookDelivery.payload,
                    WebhookDelivery.attempts,
                    WebhookDelivery.created_at,
                )
                .execution_options(synchronize_session=False)
            )
            taken = rows.all()
            if not taken:
                return []
            subscriptions = {
                row.id: row
                for row in await session.execute(
                    select(
                        WebhookSubscription.id, WebhookSubscription.url, WebhookSubscription.secret
                    ).where(WebhookSubscription.id.in_({row.subscription_id for row in taken}))
                )
            }
        claimed = [
            Claimed(
                id=row.id,
                subscription_id=row.subscription_id,
                event_type=row.event_type,
                payload=row.payload,
                attempts=row.attempts,
                created_at=row.created_at,
                url=subscriptions[row.subscription_id].url,
                secret=subscriptions[row.subscription_id].secret,
            )
            for row in taken
            if row.subscription_id in subscriptions
        ]
        return sorted(claimed, key=lambda c: c.id)

    def _due(self, session: AsyncSession) -> Any:
        now = database_now(session)
        return or_(
            and_(WebhookDelivery.state.in_(_RETRYABLE), WebhookDelivery.next_attempt_at <= now),
            and_(
                WebhookDelivery.state == DeliveryState.IN_FLIGHT,
                WebhookDelivery.claimed_until < now,
            ),
        )

    def _candidates(self, session: AsyncSession, *, lock: bool) -> Any:
        earlier = aliased(WebhookDelivery)
        blocked = exists().where(
            earlier.subscription_id == WebhookDelivery.subscription_id,
            earlier.id < WebhookDelivery.id,
            earlier.state.in_(OPEN_STATES),
        )
        statement = (
            select(WebhookDelivery.id)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(self._due(session), WebhookSubscription.active == true(), ~blocked)
            .order_by(WebhookDelivery.id)
        )
        if lock and session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(of=WebhookDelivery, skip_locked=True)
        return statement

    # Sending ------------------------------------------------------------------------------------

    async def _attempt(self, client: httpx.AsyncClient, delivery: Claimed) -> Outcome:
        try:
            target = await targets.check_for_send(
                delivery.url,
                allow_private=self.settings.allow_private_targets,
                resolver=self._resolver,
            )
        except targets.TargetRefused as refused:
            return Outcome(None, f"refused: {refused.detail}"[:MAX_ERROR])
        body = encode(delivery.payload)
        timestamp = str(int(time.time()))
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json",
            "X-Platform-Signature": sign(delivery.secret, timestamp, body),
            "X-Platform-Timestamp": timestamp,
            "X-Platform-Delivery": str(delivery.id),
            "X-Platform-Event": delivery.event_type,
        }
        extensions = {"sni_hostname": target.host} if delivery.url.startswith("https") else {}
        try:
            request = client.build_request(
                "POST", target.pinned_url, content=body, headers=headers, extensions=extensions
            )
            response = await client.send(request, stream=True)  # the answer's body is not read
            await response.aclose()
        except httpx.TimeoutException:
            return Outcome(None, "timed out")
        except httpx.HTTPError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
        if 300 <= response.status_code < 400:
            return Outcome(response.status_code, "redirects are not followed")
        if not 200 <= response.status_code < 300:
            return Outcome(response.status_code, f"answered {response.status_code}")
        return Outcome(response.status_code, None)

    # Recording ----------------------------------------------------------------------------------

    async def _record(self, delivery: Claimed, outcome: Outcome) -> None:
        async with session_scope(self._sessions) as session:
            mine = and_(
                WebhookDelivery.id == delivery.id,
                WebhookDelivery.state == DeliveryState.IN_FLIGHT,
                WebhookDelivery.claimed_by == self.sender_id,
            )
            common: dict[str, Any] = {
                "last_status_code": outcome.status_code,
                "claimed_by": None,
                "claimed_until": None,
                "updated_at": database_now(session),
            }
            if outcome.succeeded:
                done = await session.execute(
                    update(WebhookDelivery)
                    .where(mine)
                    .values(
                        state=DeliveryState.SUCCEEDED,
                        last_error=None,
                        delivered_at=database_now(session),
                        **common,
                    )
                    .execution_options(synchronize_session=False)
                )
                if _count(done):
                    await session.execute(
                        update(WebhookSubscription)
                        .where(
                            WebhookSubscription.id == delivery.subscription_id,
                            WebhookSubscription.consecutive_failures != 0,
                        )
                        .values(consecutive_failures=0)
                        .execution_options(synchronize_session=False)
                    )
                return
            delay = backoff(self.settings, delivery.attempts)
            age = await _age_seconds(session, delivery)
            dead = age + delay > self.settings.retry_for_seconds
            failed = await session.execute(
                update(WebhookDelivery)
                .where(mine)
                .values(
                    state=DeliveryState.DEAD if dead else DeliveryState.FAILED,
                    last_error=outcome.error,
                    next_attempt_at=database_now(session, timedelta(seconds=delay)),
                    **common,
                )
                .execution_options(synchronize_session=False)
            )
            if not _count(failed):
                return  # its lease had passed and another sender took it over
            failures = (
                await session.execute(
                    update(WebhookSubscription)
                    .where(WebhookSubscription.id == delivery.subscription_id)
                    .values(consecutive_failures=WebhookSubscription.consecutive_failures + 1)
                    .returning(WebhookSubscription.consecutive_failures)
                    .execution_options(synchronize_session=False)
                )
            ).scalar_one_or_none()
            if failures is None:
                return
            if dead:
                reason = (
                    f"delivery {delivery.id} failed for "
                    f"{self.settings.retry_for_seconds:g} seconds: {outcome.error}"
                )
            elif failures >= self.settings.disable_after_failures:
                reason = f"{failures} deliveries failed in a row; the last: {outcome.error}"
            else:
                return
            await disable(session, delivery.subscription_id, reason[:MAX_ERROR], delivery.id)


async def _age_seconds(session: AsyncSession, delivery: Claimed) -> float:
    """Seconds since the delivery was queued, by the database's clock."""
    created = delivery.created_at
    now = await session.scalar(select(database_now(session)))
    if now is None or created is None:
        return 0.0
    return max(float((now - created).total_seconds()), 0.0)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def disable(
    session: AsyncSession, subscription_id: str, reason: str, delivery_id: int | None = None
) -> bool:
    """Turn the subscription off and tell its workspace (activity `webhook.disabled`, naming
    the person who made it). False if it was off already."""
    row = (
        await session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == subscription_id, WebhookSubscription.active == true())
            .values(
                active=False,
                disabled_reason=reason,
                disabled_at=database_now(session),
                updated_at=database_now(session),
            )
            .returning(
                WebhookSubscription.workspace_id,
                WebhookSubscription.created_by,
                WebhookSubscription.consecutive_failures,
            )
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None:
        return False
    activity.record(
        session,
        None,
        workspace_id=row.workspace_id,
        entity_type="webhook",
        entity_id=subscription_id,
        action="disabled",
        details={
            "reason": reason,
            "owner_id": row.created_by,
            "consecutive_failures": row.consecutive_failures,
            "delivery_id": delivery_id,
        },
    )
    await session.flush()
    logger.warning("webhook %s disabled: %s", subscription_id, reason)
    return True


# Starting and stopping with a process -----------------------------------------------------------


@dataclass
class Running:
    """A delivery loop running as a task of this process."""

    loop: DeliveryLoop
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.loop.stop()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), self.loop.settings.timeout_seconds)
        except TimeoutError:
            self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def start(
    settings: WebhookSettings,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
    **options: Any,
) -> Running | None:
    """Run a delivery loop in the background of this process (None when turned off)."""
    if not settings.sender_enabled:
        return None
    loop = DeliveryLoop(settings, session_factory, **options)
    return Running(loop, asyncio.create_task(loop.run(), name="webhook-deliveries"))
