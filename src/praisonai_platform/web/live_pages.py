"""Live updates of the web app's pages: `GET /w/{slug}/live`, the workspace's event stream for the
signed-in member's browser (read by static/live.js).

It is the API's event stream (`events.routes.open_stream`: the same broker, the same reading of
the change feed, the same check, while it is open, that the caller may still read the
workspace, the same limit of streams per person, counted with their API streams), authenticated
by the session cookie instead of a header, so a signed-out or removed member's stream ends. Two
differences suit a page's `EventSource`:

- every change is sent as an unnamed event (the type is in its data), because an EventSource only
  hands named events to listeners registered for each name; `reset` keeps its name, and the
  stream's `error` (the caller may no longer read the workspace) is called `refused`, not to be
  taken for the EventSource's own connection errors; the stream's opening is an event, `ready`,
  whose id (where the stream starts) the page resumes after if it has to reconnect itself;
- `since` (the moment the page was drawn, in milliseconds, written in the page by base.html)
  starts the stream a little before that moment, so that no change made between drawing the page
  and opening its stream is missed. A change seen twice costs a refresh, never a wrong page.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.clock import utcnow
from praisonai_platform.core.errors import Unauthenticated, ValidationFailed
from praisonai_platform.db.models import WorkspaceEvent
from praisonai_platform.events.routes import open_stream, stream_owner
from praisonai_platform.web.session import (
    SESSION_COOKIE,
    PageDb,
    ServerConfig,
    session_user,
    workspace_actor,
)
from praisonai_platform.web.templating import templates
from praisonai_platform.workspaces.permissions import Action, workspace_access

router = APIRouter()

MAX_EVENT_ID = 2**63 - 1
# How far before the page was drawn its stream starts: covers a transaction that wrote its change
# a moment before it committed, and clocks of server processes a little apart.
SINCE_MARGIN = timedelta(seconds=2)
# A page older than this (restored from the browser's cache, say) starts from the newest change.
SINCE_MAX_AGE = timedelta(hours=1)
_EVENT_LINE = re.compile(rb"^event: ([^\n]*)\n", re.MULTILINE)
# The comment that opens the stream, after the id it starts from.
_OPENING = re.compile(rb"^: stream open\n", re.MULTILINE)
READY = b"event: ready\ndata: {}\n"


def page_drawn_at() -> int:
    """Now, in milliseconds since the epoch: written in each page as where its stream starts."""
    return int(utcnow().timestamp() * 1000)


templates.env.globals["live_since"] = page_drawn_at


def _rename(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    if name == b"reset":
        return match.group(0)
    if name == b"error":
        return b"event: refused\n"
    return b""


async def _for_pages(frames: AsyncIterable[str | bytes | memoryview]) -> AsyncIterator[bytes]:
    """The stream's frames, with each change sent as an unnamed (`message`) event, and its
    opening as an event (`ready`), which hands the page the id the stream starts from."""
    opening = True
    async for chunk in frames:
        data = chunk.encode() if isinstance(chunk, str) else bytes(chunk)
        data = _EVENT_LINE.sub(_rename, data)
        if opening:
            data, opened = _OPENING.subn(READY, data, count=1)
            opening = not opened
        yield data


def _last_event_id(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    # ASCII digits only: str.isdigit() also holds for "²", which int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > 19 or int(value) > MAX_EVENT_ID:
        raise ValidationFailed(
            "Last-Event-ID: expected an event id (a whole number)", code="invalid_event_id"
        )
    return int(value)


async def _start_since(session: AsyncSession, workspace_id: str, since_ms: int) -> int | None:
    """The id to start after for a page drawn at `since_ms`: the workspace's newest event made
    SINCE_MARGIN before then (0 when it has none that old); None (from now on) for a page much
    older or from the future."""
    now = utcnow()
    try:
        drawn = datetime.fromtimestamp(since_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if drawn < now - SINCE_MAX_AGE or drawn > now + SINCE_MARGIN:
        return None
    newest = await session.scalar(
        select(func.max(WorkspaceEvent.id)).where(
            WorkspaceEvent.workspace_id == workspace_id,
            WorkspaceEvent.created_at <= drawn - SINCE_MARGIN,
        )
    )
    return int(newest or 0)


@router.get("/w/{slug}/live")
async def live_events(
    slug: str,
    request: Request,
    session: PageDb,
    server_settings: ServerConfig,
    after: Annotated[int | None, Query(ge=0, le=MAX_EVENT_ID)] = None,
    since: Annotated[int | None, Query(ge=0, le=MAX_EVENT_ID)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=40)] = None,
) -> StreamingResponse:
    """The workspace's changes as Server-Sent Events, for its member's pages: after the
    `Last-Event-ID` a reconnecting browser sends, or `after`, or from a little before `since`;
    without any, from the next change. Not signed in: 401; not a member: 404; more streams
    than a person may hold: 429."""
    user = await session_user(request, session)
    token = request.cookies.get(SESSION_COOKIE)
    if user is None or token is None:
        raise Unauthenticated("sign in first")
    actor, workspace = await workspace_actor(session, user, slug)
    await workspace_access(session, actor, workspace.id, Action.ACTIVITY_READ)
    start = _last_event_id(last_event_id)
    if start is None:
        start = after
    if start is None and since is not None:
        start = await _start_since(session, workspace.id, since)
    response = await open_stream(
        request,
        session,
        server_settings,
        token,
        workspace.id,
        owner=stream_owner(actor),
        start=start,
    )
    response.body_iterator = _for_pages(response.body_iterator)
    return response
