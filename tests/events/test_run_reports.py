"""Run reports in the feed (`run.progress`, `run.event`): each names the run's agent as its actor
and the run's issue, however the report was made (REST, MCP, a session of one's own)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import EventType
from praisonai_platform.runs.events import service as run_events
from tests.factories import AddMember, MakeUser, MakeWorkspace, counting_statements
from tests.mcp.conftest import Team, answer, in_memory
from tests.mcp.conftest import team as team  # the fixture
from tests.runs.helpers import API, World, build_world, create_run, register_worker

REPORTS = "run.progress,run.event"
# How the feed reads the names of runs it was not handed (change_feed._names_of_runs).
NAMES_QUERY = "SELECT runs.id, runs.agent_id, runs.issue_id \nFROM runs"


@pytest.fixture
async def world(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    add_member: AddMember,
) -> World:
    return await build_world(client, make_user, make_workspace, add_member)


async def reports(client: httpx.AsyncClient, world: World) -> list[dict[str, Any]]:
    """The workspace's run reports, as the feed (and so the stream and webhooks) has them."""
    page = await client.get(
        world.url("/events/feed"),
        params={"after": 0, "types": REPORTS},
        headers=world.owner.headers,
    )
    assert page.status_code == 200, page.text
    return list(page.json()["events"])


def named_after_the_run(events: list[dict[str, Any]], world: World, run_id: str) -> None:
    for event in events:
        assert (event["entity_type"], event["entity_id"]) == ("run", run_id), event
        assert event["actor"] == {"type": "agent", "id": world.agent_id}, event
        assert event["issue_id"] == world.issue_id, event


async def test_a_workers_reports_over_rest_name_the_runs_agent_and_issue(
    client: httpx.AsyncClient, world: World
) -> None:
    run = await create_run(client, world, issue_id=world.issue_id)
    worker = await register_worker(client, world.member, "reporting-worker")
    headers = world.member.headers
    claimed = await client.post(
        f"{API}/workers/{worker}/claim", json={"workspace_id": world.workspace_id}, headers=headers
    )
    assert claimed.status_code == 200 and claimed.json()["id"] == run["id"], claimed.text
    with counting_statements() as statements:
        progress = await client.post(
            f"{API}/runs/{run['id']}/progress",
            json={"worker_id": worker, "percentage": 40, "message": "halfway there"},
            headers=headers,
        )
    assert progress.status_code == 200, progress.text
    # The service had the run at hand: naming its report takes no query of its own.
    assert not [sql for sql in statements if sql.startswith(NAMES_QUERY)], statements
    posted = await client.post(
        f"{API}/runs/{run['id']}/events",
        json={"worker_id": worker, "event_type": "error", "message": "a flaky test"},
        headers=headers,
    )
    assert posted.status_code == 204, posted.text
    events = await reports(client, world)
    assert [(e["type"], e["data"]["message"]) for e in events] == [
        ("run.progress", "halfway there"),
        ("run.event", "a flaky test"),
    ]
    named_after_the_run(events, world, run["id"])


async def test_an_agents_reports_over_mcp_name_the_runs_agent_and_issue(
    client: httpx.AsyncClient, team: Team
) -> None:
    world = team.world
    async with in_memory(team.owner_key) as owner, in_memory(team.agent_key) as agent:
        run = answer(
            await owner.call_tool(
                "delegate_issue", {"issue": world.issue_key, "agent_id": world.agent_id}
            )
        )
        claimed = answer(await agent.call_tool("claim_run", {"run_id": run["id"]}))
        assert claimed["claimed"], claimed
        arguments = {"run_id": run["id"], "message": "reading the code"}
        answer(await agent.call_tool("report_progress", {**arguments, "percentage": 10}))
        answer(await agent.call_tool("post_run_event", arguments))
    events = await reports(client, world)
    assert [e["type"] for e in events] == ["run.progress", "run.event"]
    named_after_the_run(events, world, run["id"])


async def test_a_report_on_a_run_the_session_never_loaded_is_named_too(
    client: httpx.AsyncClient, world: World
) -> None:
    """The agent and issue come from the database when the run is not in the session."""
    run = await create_run(client, world, issue_id=world.issue_id)
    with counting_statements() as statements:
        async with session_scope() as session:
            for message in ("one", "two"):
                run_events.record(
                    session,
                    EventType.SYSTEM,
                    workspace_id=world.workspace_id,
                    run_id=run["id"],
                    message=message,
                )
    # One query at the commit names every report of the transaction.
    assert len([sql for sql in statements if sql.startswith(NAMES_QUERY)]) == 1, statements
    events = await reports(client, world)
    assert [e["data"]["message"] for e in events] == ["one", "two"]
    named_after_the_run(events, world, run["id"])
