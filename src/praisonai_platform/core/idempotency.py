"""Idempotency keys (stored as nonces): the first request with a key does the work, a repeat gets
the first one's result.

Insert first, never check first: the key's row is inserted in a savepoint before the work, in the
work's transaction, so the unique (scope, key) index decides. A concurrent duplicate waits at that
index (PostgreSQL) or behind the write lock (SQLite) until the first transaction ends, then finds
its committed result, or takes the key over if the first one rolled back. Keys expire after
PLATFORM_RUN_NONCE_TTL_SECONDS and are purged.

A replay answers only a caller who may still do what the first request did: `recheck` runs
before an earlier outcome is returned (the first request's own checks ran inside `work`), so a
narrower credential of the same person, or someone who lost access meanwhile, gets the refusal
the route itself would give, never the stored result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.errors import Conflict, ValidationFailed
from praisonai_platform.db.models import Nonce
from praisonai_platform.db.types import new_id, utcnow

MAX_KEY_LENGTH = 255
PURGE_BATCH = 1000
_TAKE_TRIES = 3


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    """What a request answered: replayed to every repeat of its key."""

    status_code: int
    body: dict[str, Any] | None
    replayed: bool = False


def fingerprint(*parts: Any) -> str:
    """A stable digest of what a request asked for, to tell a repeat from a different request
    that reuses the key."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def once(
    session: AsyncSession,
    *,
    scope: str,
    key: str,
    request_hash: str,
    ttl: timedelta,
    work: Callable[[], Awaitable[RecordedResponse]],
    recheck: Callable[[RecordedResponse], Awaitable[None]] | None = None,
) -> RecordedResponse:
    """Do `work` unless this key was used before; then, once `recheck` (the route's access
    check, given the earlier outcome; None only for work that checks no access) passes,
    answer what the first request did."""
    nonce, earlier = await _take(session, scope, key, request_hash, ttl)
    if earlier is not None:
        if recheck is not None:
            await recheck(earlier)
        return earlier
    assert nonce is not None
    outcome = await work()
    nonce.status_code, nonce.response = outcome.status_code, outcome.body
    await session.flush()
    return outcome


async def purge_expired(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Delete up to PURGE_BATCH expired keys; returns how many."""
    expired = (
        select(Nonce.id)
        .where(Nonce.expires_at < (now or utcnow()))
        .order_by(Nonce.expires_at)
        .limit(PURGE_BATCH)
    )
    result = await session.execute(
        delete(Nonce)
        .where(Nonce.id.in_(expired.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _take(
    session: AsyncSession, scope: str, key: str, request_hash: str, ttl: timedelta
) -> tuple[Nonce | None, RecordedResponse | None]:
    """(our new nonce, None) when the key is ours, or (None, the first request's outcome)."""
    if not key or len(key) > MAX_KEY_LENGTH or len(scope) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            f"Idempotency-Key: 1 to {MAX_KEY_LENGTH} characters", code="invalid_idempotency_key"
        )
    for _ in range(_TAKE_TRIES):
        now = utcnow()
        nonce = Nonce(
            id=new_id(), scope=scope, key=key, request_hash=request_hash, expires_at=now + ttl
        )
        try:
            async with session.begin_nested():
                session.add(nonce)
                await session.flush()
        except IntegrityError:
            pass  # the key was used: read what for, below
        else:
            return nonce, None
        existing = await session.scalar(
            select(Nonce)
            .where(Nonce.scope == scope, Nonce.key == key)
            .execution_options(populate_existing=True)
        )
        if existing is None:
            continue  # purged meanwhile: take it
        if existing.expires_at <= now:
            await session.execute(
                delete(Nonce)
                .where(Nonce.id == existing.id, Nonce.expires_at <= now)
                .execution_options(synchronize_session=False)
            )
            continue
        if existing.request_hash != request_hash:
            raise ValidationFailed(
                "this Idempotency-Key was used for a different request; use a new key",
                code="idempotency_key_reused",
            )
        if existing.status_code is None:
            raise Conflict(
                "a request with this Idempotency-Key is still in progress",
                code="idempotency_key_in_progress",
            )
        return None, RecordedResponse(existing.status_code, existing.response, replayed=True)
    raise Conflict(
        "this Idempotency-Key is contended; try again", code="idempotency_key_in_progress"
    )
