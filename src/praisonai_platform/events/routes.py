"""Routes of /api/v1/workspaces/{workspace_id}/events/…: the live event stream and its pages."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send

from praisonai_platform.api.deps import CurrentActor, DbSession, ServerConfig, app_setting
from praisonai_platform.api.routing import APIRouter
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import (
    PlatformError,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import session_scope
from praisonai_platform.events import access, broker, queries
from praisonai_platform.events.queries import TypeFilter
from praisonai_platform.events.schemas import EventStreamReset, WorkspaceEventPage
from praisonai_platform.events.settings import EventStreamSettings, load_event_stream_settings
from praisonai_platform.workspaces.permissions import Action, workspace_access

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["live events"])

BATCH = 500
MAX_EVENT_ID = 2**63 - 1
MAX_PAGE = 500
# How often an idle stream looks up from its wait: to see the server stopping, at least.
_TICK_SECONDS = 1.0
# What a client waits before reconnecting when the stream ends (the SSE `retry` field), in ms.
RETRY_MS = 2000

TypesQuery = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="Comma-separated event types to keep: `issue.created`, or every type of a "
        "kind with `issue.*` (or `issue`). All by default.",
    ),
]
AfterQuery = Annotated[
    int | None,
    Query(ge=0, le=MAX_EVENT_ID, description="Send the events after this id (a `Last-Event-ID`)."),
]

_STREAM_DESCRIPTION = """Server-Sent Events (`text/event-stream`): every change in the workspace
as it happens, oldest first. Each event has `id:` (its feed id), `event:` (its type, such as
`issue.created`) and `data:` (the event as JSON, as in `/events/feed`).

Without `after` (or a `Last-Event-ID` header, which wins, as browsers send it when they
reconnect) the stream starts with the next change. With one it first sends every event after
that id, with no gap and no duplicate. If events after it were already deleted (older than the
retention), an `event: reset` comes first. A comment line (`: keep-alive`) is sent when nothing
else was for a while. The stream ends (after an `event: error` with `code` and `detail`) when
the caller may no longer read the workspace."""


def _settings(request: Request) -> EventStreamSettings:
    return app_setting(request, "event_stream_settings", load_event_stream_settings)


def _resume_point(last_event_id: str | None, after: int | None) -> int | None:
    if last_event_id is not None and last_event_id.strip():
        value = last_event_id.strip()
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_EVENT_ID:
            raise ValidationFailed(
                "Last-Event-ID: expected an event id (a whole number)", code="invalid_event_id"
            )
        return int(value)
    return after


def _credential(request: Request) -> str:
    """The credential the request was authenticated with, to check it again later."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    raise Unauthenticated("sign in first: send Authorization: Bearer <token>")


def frame(event: str, data: str, event_id: int | None = None) -> bytes:
    """One Server-Sent Event; `data` holds no line break (compact JSON)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n".encode()


def _reset_frame(reset: EventStreamReset) -> bytes:
    return frame("reset", reset.model_dump_json(), reset.id)


@dataclass
class _Stream:
    request: Request
    settings: EventStreamSettings
    server_settings: ServerSettings
    credential: str
    workspace_id: str
    after: int
    types: TypeFilter
    reset: EventStreamReset | None

    async def frames(self) -> AsyncIterator[bytes]:
        events_broker = broker.get_broker(self.settings.poll_seconds)
        with events_broker.subscribe(self.workspace_id) as waiter:
            # The start as the last event id: a client that reconnects before any event came
            # resumes from here.
            yield f"retry: {RETRY_MS}\nid: {self.after}\n: stream open\n\n".encode()
            if self.reset is not None:
                yield _reset_frame(self.reset)
            after = self.after
            now = time.monotonic()
            check_at = now + self.settings.access_check_seconds
            keepalive_at = now + self.settings.keepalive_seconds
            check = False
            while True:
                waiter.clear()  # before reading: a wake-up during the read is kept
                try:
                    async with session_scope(read_only=True) as session:
                        if check:
                            await access.check(
                                session, self.server_settings, self.credential, self.workspace_id
                            )
                        batch = await queries.read_after(
                            session, self.workspace_id, after, self.types, BATCH
                        )
                except PlatformError as refused:
                    yield frame("error", _error_json(refused))
                    return
                except (SQLAlchemyError, OSError):
                    # The client reconnects with Last-Event-ID and misses nothing.
                    logger.warning("an event stream could not read the feed", exc_info=True)
                    return
                if check:
                    check_at = time.monotonic() + self.settings.access_check_seconds
                after = batch.read_to
                if batch.events:
                    yield b"".join(
                        frame(event.type, event.model_dump_json(), event.id)
                        for event in batch.events
                    )
                    keepalive_at = time.monotonic() + self.settings.keepalive_seconds
                if batch.more:
                    check = False
                    continue
                # Wait for a wake-up, looking up every tick to see the server stopping.
                while True:
                    if self._stopping(events_broker):
                        return
                    now = time.monotonic()
                    if now >= check_at:
                        check = True
                        break
                    if now >= keepalive_at:
                        yield b": keep-alive\n\n"
                        keepalive_at = now + self.settings.keepalive_seconds
                    timeout = min(check_at, keepalive_at, now + _TICK_SECONDS) - now
                    if await waiter.wait(timeout):
                        # Events to send: the caller is checked again before they are.
                        check = True
                        break

    def _stopping(self, events_broker: broker.Broker) -> bool:
        return events_broker.closed or bool(getattr(self.request.app.state, "draining", False))


def _error_json(error: PlatformError) -> str:
    body = {"status": error.status_code, "code": error.code, "detail": error.detail}
    return json.dumps(body, ensure_ascii=False)


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    description=_STREAM_DESCRIPTION,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "The stream of events; see above.",
        }
    },
)
async def stream_events(
    workspace_id: str,
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    server_settings: ServerConfig,
    after: AfterQuery = None,
    types: TypesQuery = None,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=40,
            description="Resume after this event id (wins over `after`).",
        ),
    ] = None,
) -> StreamingResponse:
    """The workspace's changes, live, as Server-Sent Events."""
    await workspace_access(session, actor, workspace_id, Action.ACTIVITY_READ)
    return await open_stream(
        request,
        session,
        server_settings,
        _credential(request),
        workspace_id,
        owner=stream_owner(actor),
        start=_resume_point(last_event_id, after),
        types=queries.parse_types(types),
    )


def stream_owner(actor: Actor) -> str:
    """Whose streams a stream is counted with: one person's (whatever the credential: a token,
    a key, the web app's session) or one agent's."""
    return f"{actor.type.value}:{actor.id}"


async def open_stream(
    request: Request,
    session: AsyncSession,
    server_settings: ServerSettings,
    credential: str,
    workspace_id: str,
    *,
    owner: str,
    start: int | None,
    types: TypeFilter | None = None,
) -> StreamingResponse:
    """The workspace's event stream (this route's, and the web app's pages'), for a caller
    already allowed to read the workspace: after `start` (None: from the next change).
    `credential` (a token or an API key) is checked again while the stream is open. `owner`
    (`stream_owner`: who holds it) may hold PLATFORM_EVENTS_MAX_STREAMS_PER_CALLER streams at
    once here; one more is refused with 429 `too_many_streams`."""
    settings = _settings(request)
    slot = _reserve(settings, owner)
    try:
        reset: EventStreamReset | None = None
        if start is None:
            start = await queries.newest_id(session, workspace_id)
        else:
            reset = await queries.reset_after(session, workspace_id, start)
            if reset is not None:
                start = reset.id
        stream = _Stream(
            request=request,
            settings=settings,
            server_settings=server_settings,
            credential=credential,
            workspace_id=workspace_id,
            after=start,
            types=types or TypeFilter(),
            reset=reset,
        )
        return _EventStreamResponse(stream.frames(), slot)
    except BaseException:
        slot.release()
        raise


def _reserve(settings: EventStreamSettings, owner: str) -> broker.StreamSlot:
    # Taken before the first await: streams asked for together are counted one by one.
    events_broker = broker.get_broker(settings.poll_seconds)
    slot = events_broker.reserve(owner, settings.max_streams_per_caller)
    if slot is None:
        raise RateLimited(
            f"at most {settings.max_streams_per_caller} event streams at once per user or agent "
            "(the API's and the web pages' together): close one",
            code="too_many_streams",
        )
    request_task = asyncio.current_task()
    if request_task is not None:
        # A response never sent (something failed after the route returned it: a dependency's
        # exit, a middleware) is never called: the place goes when its request's task ends.
        request_task.add_done_callback(lambda _task: slot.release())
    return slot


class _EventStreamResponse(StreamingResponse):
    """An event stream's response: it gives its caller's place back when it ends, however it
    ends (the stream is over, the client went away, sending failed)."""

    def __init__(self, frames: AsyncIterator[bytes], slot: broker.StreamSlot) -> None:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        super().__init__(frames, media_type="text/event-stream", headers=headers)
        self._slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._slot.release()


@router.get("/events/feed", response_model=WorkspaceEventPage)
async def list_feed_events(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    after: AfterQuery = None,
    types: TypesQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Events per page.")] = 100,
) -> WorkspaceEventPage:
    """The workspace's events after an id, oldest first (for polling, or catching up before a
    stream): ask again with `after=next_after`. Without `after`, the page is empty and
    `next_after` is the newest id, where to start."""
    await workspace_access(session, actor, workspace_id, Action.ACTIVITY_READ)
    type_filter = queries.parse_types(types)
    if after is None:
        return WorkspaceEventPage(
            events=[], next_after=await queries.newest_id(session, workspace_id)
        )
    reset = await queries.reset_after(session, workspace_id, after)
    start = reset.id if reset is not None else after
    batch = await queries.read_after(session, workspace_id, start, type_filter, limit)
    return WorkspaceEventPage(events=batch.events, next_after=batch.read_to, reset=reset)
