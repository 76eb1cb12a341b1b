"""What the run and worker routes share: the queue's settings, and answering a POST that starts
work once per Idempotency-Key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.api.deps import app_setting
from praisonai_platform.core import idempotency as nonces
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.schemas import Schema
from praisonai_platform.runs.settings import RunSettings, load_run_settings


async def get_run_settings(request: Request) -> RunSettings:
    """PLATFORM_RUN_*, read once per application."""
    return app_setting(request, "run_settings", load_run_settings)


RunConfig = Annotated[RunSettings, Depends(get_run_settings)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=nonces.MAX_KEY_LENGTH,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (e.g. a UUID). Repeating a request with the same key "
        "returns the first one's result (header `Idempotent-Replayed: true`) instead of "
        "starting the work again.",
    ),
]


async def respond_once(
    session: AsyncSession,
    actor: Actor,
    request: Request,
    settings: RunSettings,
    key: str | None,
    body: Schema,
    work: Callable[[], Awaitable[nonces.RecordedResponse]],
    recheck: Callable[[nonces.RecordedResponse], Awaitable[None]],
) -> Response:
    """Do `work` once per Idempotency-Key (or every time without one) and answer its outcome.

    A key belongs to the person and the operation (method and path); the body must match. A
    replay is answered only after `recheck` (the route's access check) passes for this caller's
    credential."""
    if key is None:
        outcome = await work()
    else:
        operation = f"{request.method} {request.url.path.rstrip('/')}"
        outcome = await nonces.once(
            session,
            scope=f"{actor.user_id}:{nonces.fingerprint(operation)[:40]}",
            key=key,
            request_hash=nonces.fingerprint(body.model_dump(mode="json")),
            ttl=settings.nonce_ttl,
            work=work,
            recheck=recheck,
        )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    if outcome.body is None:
        return Response(status_code=outcome.status_code, headers=headers)
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)
