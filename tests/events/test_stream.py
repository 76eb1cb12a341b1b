"""The live event stream: what it sends, resuming without gap or duplicate, and who may hold it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from praisonai_platform.db.purge import purge
from praisonai_platform.db.types import utcnow
from praisonai_platform.events import broker
from praisonai_platform.events.settings import EventStreamSettings
from tests.events.test_stream_support import AsgiStream, Sse
from tests.factories import AddMember, MakeUser, MakeWorkspace, Person, create_api_key, key_headers

API = "/api/v1/workspaces"


def stream_path(ws: str, query: str = "") -> str:
    return f"{API}/{ws}/events/stream" + (f"?{query}" if query else "")


async def new_issue(client: httpx.AsyncClient, person: Person, ws: str, title: str) -> str:
    answer = await client.post(f"{API}/{ws}/issues", json={"title": title}, headers=person.headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def opened(stream: AsgiStream) -> None:
    """Wait for the stream's first comment: from then on, every change is sent."""
    first = await stream.next(comments=True)
    assert first is not None and first.event == "comment", stream.body


def summary(events: list[Sse]) -> list[tuple[str, str]]:
    return [(event.event, event.json()["data"].get("title", "")) for event in events]


@pytest.fixture(autouse=True)
async def broker_closed() -> AsyncIterator[None]:
    """The process's broker (its poll, and its LISTEN connection on PostgreSQL) goes with the
    test's event loop, as it goes with the application at shutdown."""
    yield
    await broker.shutdown()


@pytest.fixture
def fast_streams(app: FastAPI) -> EventStreamSettings:
    settings = EventStreamSettings(keepalive_seconds=0.05, access_check_seconds=0.05)
    app.state.event_stream_settings = settings
    return settings


async def test_a_stream_sends_each_change_made_after_it_opened(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    await new_issue(client, owner, ws, "before")
    async with AsgiStream(app, stream_path(ws), owner.headers) as stream:
        assert stream.status == 200
        assert stream.response_headers["content-type"].startswith("text/event-stream")
        await opened(stream)
        issue_id = await new_issue(client, owner, ws, "after")
        comment = await client.post(
            f"{API}/{ws}/issues/{issue_id}/comments", json={"content": "hi"}, headers=owner.headers
        )
        assert comment.status_code == 201
        created, commented = await stream.take(2)
    assert (created.event, commented.event) == ("issue.created", "comment.created")
    body = created.json()
    assert body["id"] == int(created.id or 0)
    assert (body["workspace_id"], body["type"], body["entity_type"]) == (
        ws,
        "issue.created",
        "issue",
    )
    assert (body["entity_id"], body["issue_id"]) == (issue_id, issue_id)
    assert body["actor"] == {"type": "user", "id": owner.id}
    assert body["created_at"]
    assert int(commented.id or 0) > int(created.id or 0)
    assert commented.json()["issue_id"] == issue_id


async def test_resuming_sends_what_was_missed_without_gap_or_duplicate(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    async with AsgiStream(app, stream_path(ws), owner.headers) as stream:
        await opened(stream)
        await new_issue(client, owner, ws, "one")
        await new_issue(client, owner, ws, "two")
        seen = await stream.take(2)
    # Disconnected: these happen while no one listens.
    for title in ("three", "four", "five"):
        await new_issue(client, owner, ws, title)
    last = seen[-1].id or ""
    headers = {**owner.headers, "Last-Event-ID": last}
    # Last-Event-ID wins over ?after (a browser keeps the URL and sends the header).
    async with AsgiStream(app, stream_path(ws, "after=0"), headers) as stream:
        await opened(stream)
        caught_up = await stream.take(3)
        await new_issue(client, owner, ws, "six")
        (live,) = await stream.take(1)
    async with AsgiStream(app, stream_path(ws, f"after={last}"), owner.headers) as again:
        await opened(again)
        by_query = await again.take(4)
    titles = [title for _, title in summary(seen + caught_up + [live])]
    assert titles == ["one", "two", "three", "four", "five", "six"]
    ids = [int(event.id or 0) for event in seen + caught_up + [live]]
    assert ids == sorted(set(ids))
    assert [event.id for event in by_query] == [event.id for event in [*caught_up, live]]


async def test_types_filter_exact_names_and_prefixes(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    issue_id = await new_issue(client, owner, ws, "first")
    for content in ("a", "b"):
        answer = await client.post(
            f"{API}/{ws}/issues/{issue_id}/comments",
            json={"content": content},
            headers=owner.headers,
        )
        assert answer.status_code == 201
    label = await client.post(f"{API}/{ws}/labels", json={"name": "bug"}, headers=owner.headers)
    assert label.status_code == 201
    await new_issue(client, owner, ws, "last")
    query = "after=0&types=comment.*,label.created"
    async with AsgiStream(app, stream_path(ws, query), owner.headers) as stream:
        events = await stream.take(3)
        await new_issue(client, owner, ws, "filtered out")
        await client.post(f"{API}/{ws}/labels", json={"name": "ui"}, headers=owner.headers)
        (live,) = await stream.take(1)
    assert [e.event for e in events] == ["comment.created", "comment.created", "label.created"]
    assert live.event == "label.created" and live.json()["data"]["name"] == "ui"
    page = await client.get(
        f"{API}/{ws}/events/feed",
        params={"after": 0, "types": "issue"},
        headers=owner.headers,
    )
    assert [e["type"] for e in page.json()["events"]] == ["issue.created"] * 3


@pytest.mark.parametrize("types", ["issue..created", "Issue created", "*.x", "a" * 90])
async def test_a_malformed_type_is_refused(
    types: str, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    for path in ("stream", "feed"):
        answer = await client.get(
            f"{API}/{ws}/events/{path}", params={"types": types}, headers=owner.headers
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_event_type"


async def test_a_bad_resume_point_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    for bad in (b"abc", b"-1", b"1.5", b"\xb2", str(2**63).encode(), b"9" * 30):
        answer = await client.get(
            f"{API}/{ws}/events/stream", headers={**owner.headers, "Last-Event-ID": bad}
        )
        assert answer.status_code == 422, bad
        assert answer.json()["code"] == "invalid_event_id"
    for after in ("-1", "x", str(2**63)):
        answer = await client.get(
            f"{API}/{ws}/events/stream", params={"after": after}, headers=owner.headers
        )
        assert answer.status_code == 422, after


async def test_keep_alive_comments_while_idle(
    app: FastAPI,
    fast_streams: EventStreamSettings,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    async with AsgiStream(app, stream_path(ws), owner.headers) as stream:
        await opened(stream)
        keepalive = await stream.next(comments=True)
    assert keepalive is not None and (keepalive.event, keepalive.data) == ("comment", "keep-alive")


async def outsiders(
    client: httpx.AsyncClient, make_user: MakeUser, ws: str, owner: Person
) -> dict[str, dict[str, str]]:
    stranger = await make_user()
    other_ws = (await create_ws(client, owner))["id"]
    scoped = await create_api_key(client, owner, scopes=["read"], workspace_id=other_ws)
    return {
        "anonymous": {},
        "stranger": stranger.headers,
        "other workspace's key": key_headers(scoped["key"]),
    }


async def create_ws(client: httpx.AsyncClient, owner: Person) -> dict[str, Any]:
    answer = await client.post(f"{API}/", json={"name": "Other"}, headers=owner.headers)
    assert answer.status_code == 201
    return dict(answer.json())


async def test_who_may_not_stream(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    expected = {"anonymous": 401, "stranger": 404, "other workspace's key": 403}
    for who, headers in (await outsiders(client, make_user, ws, owner)).items():
        for path in (stream_path(ws), f"{API}/{ws}/events/feed?after=0"):
            answer = await client.get(path, headers=headers)
            assert answer.status_code == expected[who], (who, path, answer.text)
            activity = await client.get(f"{API}/{ws}/activity", headers=headers)
            assert activity.status_code == answer.status_code, who  # as the activity route
    missing = await client.get(stream_path("no-such-workspace"), headers=owner.headers)
    assert missing.status_code == 404


async def test_read_only_and_agent_keys_may_stream(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    agent = await client.post(f"{API}/{ws}/agents", json={"name": "bot"}, headers=owner.headers)
    assert agent.status_code == 201, agent.text
    read_key = await create_api_key(client, owner, scopes=["read"])
    agent_key = await create_api_key(client, owner, agent_id=agent.json()["id"], workspace_id=ws)
    for key in (read_key["key"], agent_key["key"]):
        for header in ("bearer", "x-api-key"):
            async with AsgiStream(app, stream_path(ws), key_headers(key, header=header)) as stream:
                assert stream.status == 200
                await opened(stream)
                await new_issue(client, owner, ws, "seen")
                (event,) = await stream.take(1)
            assert event.event == "issue.created"


async def test_a_removed_members_stream_ends(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    add_member: AddMember,
) -> None:
    owner, member = await make_user(), await make_user()
    ws = (await make_workspace(owner))["id"]
    await add_member(ws, member)
    async with AsgiStream(app, stream_path(ws), member.headers) as stream:
        await opened(stream)
        await new_issue(client, owner, ws, "still a member")
        (seen,) = await stream.take(1)
        removed = await client.delete(f"{API}/{ws}/members/{member.id}", headers=owner.headers)
        assert removed.status_code == 204
        await new_issue(client, owner, ws, "secret")
        ended = await stream.next()
        assert ended is not None and ended.event == "error"
        assert ended.json()["code"] == "not_found"
        assert await stream.next() is None
    assert seen.event == "issue.created"
    assert b"secret" not in stream.body


async def test_a_revoked_keys_and_a_signed_out_sessions_streams_end(
    app: FastAPI,
    fast_streams: EventStreamSettings,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    key = await create_api_key(client, owner, scopes=["read"])
    async with AsgiStream(app, stream_path(ws), key_headers(key["key"])) as stream:
        await opened(stream)
        revoked = await client.delete(f"/api/v1/api-keys/{key['id']}", headers=owner.headers)
        assert revoked.status_code == 204
        ended = await stream.next()
    assert ended is not None and ended.event == "error"
    assert ended.json()["code"] == "invalid_api_key"
    async with AsgiStream(app, stream_path(ws), owner.headers) as stream:
        await opened(stream)
        out = await client.post("/api/v1/auth/logout", headers=owner.headers)
        assert out.status_code == 204
        ended = await stream.next()
    assert ended is not None and ended.event == "error"
    assert ended.json()["code"] == "token_revoked"


async def test_the_feed_page_reads_after_an_id(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    url = f"{API}/{ws}/events/feed"
    start = (await client.get(url, headers=owner.headers)).json()
    assert start["events"] == [] and start["next_after"] > 0 and start["reset"] is None
    for title in ("a", "b", "c"):
        await new_issue(client, owner, ws, title)
    after, titles = start["next_after"], []
    while True:
        page = (
            await client.get(url, params={"after": after, "limit": 2}, headers=owner.headers)
        ).json()
        if not page["events"]:
            break
        titles += [event["data"]["title"] for event in page["events"]]
        after = page["next_after"]
    assert titles == ["a", "b", "c"]


async def test_resuming_from_events_the_purge_deleted_starts_with_a_reset(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    await new_issue(client, owner, ws, "seen")
    url = f"{API}/{ws}/events/feed"
    seen = (await client.get(url, params={"after": 0}, headers=owner.headers)).json()
    last = seen["next_after"]
    assert seen["reset"] is None
    await new_issue(client, owner, ws, "missed")
    await new_issue(client, owner, ws, "missed too")
    counts = await purge(now=utcnow() + timedelta(days=8))  # a week and a day from now
    assert counts["feed events"] >= 4
    await new_issue(client, owner, ws, "kept")
    page = (await client.get(url, params={"after": last}, headers=owner.headers)).json()
    assert page["reset"]["after"] == last and page["reset"]["id"] > last
    assert [e["data"]["title"] for e in page["events"]] == ["kept"]
    headers = {**owner.headers, "Last-Event-ID": str(last)}
    async with AsgiStream(app, stream_path(ws), headers) as stream:
        reset, kept = await stream.take(2)
    assert reset.event == "reset" and reset.json() == {**page["reset"], "type": "reset"}
    assert reset.id == str(page["reset"]["id"])
    assert (kept.event, kept.json()["data"]["title"]) == ("issue.created", "kept")
    # Resuming from the reset's id (or anything later) needs no reset.
    again = await client.get(url, params={"after": reset.id}, headers=owner.headers)
    assert again.json()["reset"] is None


async def test_the_purge_keeps_events_within_the_retention(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    await new_issue(client, owner, ws, "recent")
    counts = await purge(now=utcnow() + timedelta(days=6))
    assert counts["feed events"] == 0
    page = await client.get(f"{API}/{ws}/events/feed", params={"after": 0}, headers=owner.headers)
    assert [e["type"] for e in page.json()["events"]] == ["workspace.created", "issue.created"]
    assert page.json()["reset"] is None


async def test_streams_leave_nothing_behind_and_end_when_the_server_stops(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    async with AsgiStream(app, stream_path(ws), owner.headers) as stream:
        await opened(stream)
        assert broker.get_broker(5).waiting() == 1
    assert broker.get_broker(5).waiting() == 0  # the client went away
    async with AsgiStream(app, stream_path(ws), owner.headers) as stream:
        await opened(stream)
        app.state.draining = True  # SIGTERM: the server is stopping
        assert await stream.next() is None
    app.state.draining = False
    async with AsgiStream(app, stream_path(ws), owner.headers) as stream:
        await opened(stream)
        await broker.shutdown()  # the application's shutdown
        assert await stream.next() is None


async def test_one_caller_may_hold_only_so_many_streams(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    app.state.event_stream_settings = EventStreamSettings(max_streams_per_caller=2)
    owner, other = await make_user(), await make_user()
    ws = (await make_workspace(owner))["id"]
    theirs = (await make_workspace(other))["id"]
    async with (
        AsgiStream(app, stream_path(ws), owner.headers) as first,
        AsgiStream(app, stream_path(ws), owner.headers) as second,
    ):
        await opened(first)
        await opened(second)
        refused = await client.get(stream_path(ws), headers=owner.headers)
        assert refused.status_code == 429
        assert refused.json()["code"] == "too_many_streams"
        async with AsgiStream(app, stream_path(theirs), other.headers) as someone_else:
            assert someone_else.status == 200
    async with AsgiStream(app, stream_path(ws), owner.headers) as again:
        assert again.status == 200  # closed streams count no more
