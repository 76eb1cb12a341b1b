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
from praisonai_platform.core.errors import NotFound
from praisonai_platform.core.schemas import Schema
from praisonai_platform.runs.settings import RunSettings, load_run_settings
from praisonai_platform.runs.workers import service as workers
from praisonai_platform.workspaces.permissions import Action, workspace_access


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


Recheck = Callable[[nonces.RecordedResponse], Awaitable[None]]


def may_queue(session: AsyncSession, actor: Actor, workspace_id: str) -> Recheck:
    """A replayed queueing (or delegation) answers only a caller who may queue runs in the
    workspace now: 404 for a non-member, 403 for a read-only key or one limited to another
    workspace, as the route itself would answer."""

    async def recheck(_: nonces.RecordedResponse) -> None:
        await workspace_access(session, actor, workspace_id, Action.RUN_CREATE)

    return recheck


def may_hold(session: AsyncSession, actor: Actor, worker_id: str) -> Recheck:
    """A replayed claim answers only the worker's own person, with a credential that may work
    on the claimed run's workspace (and, for an agent's key, on that agent's runs)."""

    async def recheck(earlier: nonces.RecordedResponse) -> None:
        await workers.ensure_owned(session, actor, worker_id)
        if earlier.body is None:
            return
        await workspace_access(session, actor, str(earlier.body["workspace_id"]), Action.RUN_WORK)
        if actor.is_agent and earlier.body.get("agent_id") != actor.id:
            raise NotFound("run not found")

    return recheck
