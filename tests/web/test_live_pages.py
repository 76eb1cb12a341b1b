"""The web app's live stream (`/w/{slug}/live`): the workspace's changes for its members' pages,
authenticated by the session cookie; who may hold it, and where it starts and resumes."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from praisonai_platform.core.clock import utcnow
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import WorkspaceEvent
from praisonai_platform.events import broker
from praisonai_platform.events.settings import EventStreamSettings
from praisonai_platform.web.session import SESSION_COOKIE
from tests.events.test_stream_support import AsgiStream, Sse
from tests.factories import API, AddMember, MakeUser, MakeWorkspace, Person, create_issue
from tests.web.conftest import NewBrowser
from tests.web.test_issue_pages import signed_in

STREAM = {"Accept": "text/event-stream"}


def cookie(person: Person) -> dict[str, str]:
    """What a signed-in browser's EventSource sends."""
    return {**STREAM, "Cookie": f"{SESSION_COOKIE}={person.token}"}


def live_url(workspace: dict[str, str], query: str = "") -> str:
    return f"/w/{workspace['slug']}/live" + (f"?{query}" if query else "")


async def ready(stream: AsgiStream) -> Sse:
    """The stream's first event: `ready`, with the id it starts from."""
    first = await stream.next()
    assert first is not None and first.event == "ready", stream.body
    assert first.id is not None and first.id.isdigit()
    return first


@pytest.fixture(autouse=True)
async def broker_closed() -> AsyncIterator[None]:
    yield
    await broker.shutdown()


@pytest.fixture
def fast_checks(app: FastAPI) -> None:
    app.state.event_stream_settings = EventStreamSettings(
        keepalive_seconds=0.05, access_check_seconds=0.05
    )


async def test_a_member_streams_changes_as_unnamed_events(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner)
    async with AsgiStream(app, live_url(workspace), cookie(owner)) as stream:
        assert stream.status == 200
        assert stream.response_headers["content-type"].startswith("text/event-stream")
        start = await ready(stream)
        issue = await create_issue(client, owner, workspace["id"], title="Live one")
        (event,) = await stream.take(1)
    # Unnamed: an EventSource hands it to `onmessage` whatever its type.
    assert event.event == "message"
    body = event.json()
    assert (body["type"], body["entity_id"], body["data"]["title"]) == (
        "issue.created",
        issue["id"],
        "Live one",
    )
    assert int(event.id or 0) > int(start.id or 0)
    assert b"event: issue.created" not in stream.body


async def test_the_workspace_id_names_it_too(
    app: FastAPI, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner)
    async with AsgiStream(app, f"/w/{workspace['id']}/live", cookie(owner)) as stream:
        assert stream.status == 200
        await ready(stream)


async def test_who_may_not_stream(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    new_browser: NewBrowser,
) -> None:
    owner, outsider = await make_user(), await make_user()
    workspace = await make_workspace(owner)
    theirs = await make_workspace(outsider)
    url = live_url(workspace)
    # Signed out (no cookie, a forged one, a key or a header token instead): 401, no redirect.
    for headers in (
        STREAM,
        {**STREAM, "Cookie": f"{SESSION_COOKIE}=not-a-token"},
        {**STREAM, "Authorization": f"Bearer {owner.token}"},
    ):
        answer = await client.get(url, headers=headers)
        assert answer.status_code == 401, (headers, answer.text)
        assert answer.json()["code"] == "unauthenticated"
    # A page asking: the same, as a page.
    answer = await client.get(url, headers={"Accept": "text/html"})
    assert answer.status_code == 401 and "text/html" in answer.headers["content-type"]
    # Signed in but not a member, or no such workspace: 404, which reveals nothing.
    for path in (url, f"/w/{workspace['id']}/live", "/w/no-such-workspace/live"):
        answer = await client.get(path, headers=cookie(outsider))
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "not_found"
    # Their own workspace's stream is theirs: the cookie names the person, the URL the workspace.
    browser = await signed_in(new_browser, owner)
    answer = await browser.http.get(live_url(theirs), headers=STREAM)
    assert answer.status_code == 404
    # A state-changing method does not exist here (and would need the CSRF token).
    answer = await client.post(url, headers=cookie(owner))
    assert answer.status_code in (403, 405)


async def test_a_removed_members_stream_ends_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    add_member: AddMember,
) -> None:
    owner, member = await make_user(), await make_user()
    workspace = await make_workspace(owner)
    ws = workspace["id"]
    await add_member(ws, member)
    async with AsgiStream(app, live_url(workspace), cookie(member)) as stream:
        await ready(stream)
        removed = await client.delete(
            f"{API}/workspaces/{ws}/members/{member.id}", headers=owner.headers
        )
        assert removed.status_code == 204
        await create_issue(client, owner, ws, title="secret plans")
        ended = await stream.next()
        assert ended is not None and ended.event == "refused", stream.body
        assert (ended.json()["status"], ended.json()["code"]) == (404, "not_found")
        assert await stream.next() is None
    assert b"secret plans" not in stream.body
    assert b"event: error" not in stream.body


async def test_signing_out_ends_the_pages_streams(
    app: FastAPI,
    fast_checks: None,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner)
    async with AsgiStream(app, live_url(workspace), cookie(owner)) as stream:
        await ready(stream)
        out = await client.post("/api/v1/auth/logout", headers=owner.headers)
        assert out.status_code == 204
        ended = await stream.next()
    assert ended is not None and ended.event == "refused"
    assert ended.json()["status"] == 401


async def test_resuming_after_last_event_id_or_after(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner)
    ws = workspace["id"]
    async with AsgiStream(app, live_url(workspace), cookie(owner)) as stream:
        start = await ready(stream)
    for title in ("one", "two", "three"):
        await create_issue(client, owner, ws, title=title)
    # A reconnecting browser sends Last-Event-ID (it wins over the query).
    headers = {**cookie(owner), "Last-Event-ID": str(start.id)}
    async with AsgiStream(app, live_url(workspace, "after=0"), headers) as stream:
        await ready(stream)
        events = await stream.take(3)
    assert [event.json()["data"]["title"] for event in events] == ["one", "two", "three"]
    # The page reconnecting by itself says `after`.
    query = f"after={events[0].id}"
    async with AsgiStream(app, live_url(workspace, query), cookie(owner)) as stream:
        resumed = await ready(stream)
        later = await stream.take(2)
    assert resumed.id == events[0].id
    assert [event.json()["data"]["title"] for event in later] == ["two", "three"]
    # A malformed Last-Event-ID is a 422, as on the API.
    for malformed in ("x", "\u00b2"):  # "²" is a digit to str.isdigit(), not to int()
        bad = await client.get(
            live_url(workspace),
            headers={**cookie(owner), "Last-Event-ID": malformed.encode("latin-1")},
        )
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_event_id"


async def test_a_page_stream_starts_shortly_before_the_page_was_drawn(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner)
    ws = workspace["id"]
    old = await create_issue(client, owner, ws, title="long ago")
    # Everything so far happened a minute ago.
    async with session_scope() as session:
        await session.execute(
            update(WorkspaceEvent)
            .where(WorkspaceEvent.workspace_id == ws)
            .values(created_at=utcnow() - timedelta(minutes=1))
        )
    drawn = int(time.time() * 1000)
    await create_issue(client, owner, ws, title="while the page loaded")
    async with AsgiStream(app, live_url(workspace, f"since={drawn}"), cookie(owner)) as stream:
        await ready(stream)
        (missed,) = await stream.take(1)
        # Nothing older: the next event is the next change.
        await create_issue(client, owner, ws, title="after")
        (after,) = await stream.take(1)
    assert missed.json()["data"]["title"] == "while the page loaded"
    assert after.json()["data"]["title"] == "after"
    assert old["id"].encode() not in stream.body
    # A page drawn long ago (or in the future) starts from the next change.
    for since in (drawn - 2 * 3600 * 1000, drawn + 3600 * 1000):
        query = f"since={since}"
        async with AsgiStream(app, live_url(workspace, query), cookie(owner)) as stream:
            await ready(stream)
            await create_issue(client, owner, ws, title=f"next {since}")
            (event,) = await stream.take(1)
        assert event.json()["data"]["title"] == f"next {since}"


async def test_workspace_pages_load_the_live_script(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    new_browser: NewBrowser,
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner, issue_prefix="ENG")
    issue = await create_issue(client, owner, workspace["id"], title="Watch me")
    browser = await signed_in(new_browser, owner)
    slug = workspace["slug"]
    for path, region in (
        (f"/w/{slug}", 'data-live="board"'),
        (f"/w/{slug}/issues", 'data-live="issues"'),
        (f"/w/{slug}/issues/{issue['identifier']}", f'data-live-issue="{issue["id"]}"'),
        (f"/w/{slug}/projects", 'data-live="projects"'),
        (f"/w/{slug}/my-work", 'data-live="my-work"'),
    ):
        page = await browser.get(path)
        assert page.status_code == 200, path
        assert region in page.text, path
        script = re.search(
            r'<script src="/static/live\.js\?v=[^"]+" data-live-url="([^"]+)" '
            r'data-live-since="(\d+)" data-live-user="([^"]+)"></script>',
            page.text,
        )
        assert script is not None, path
        assert script.group(1) == f"/w/{workspace['slug']}/live"
        assert abs(int(script.group(2)) - time.time() * 1000) < 3600 * 1000
        assert script.group(3) == owner.id
    # Signed out, no live script.
    page = await client.get("/sign-in", headers={"Accept": "text/html"})
    assert "live.js" not in page.text
    static = await client.get("/static/live.js")
    assert static.status_code == 200 and "EventSource" in static.text
