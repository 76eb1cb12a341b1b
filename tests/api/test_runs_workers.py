"""Remote workers over the API: registering, claiming, heartbeats, reports, the end of a run, and
who may act as which worker on which run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import (
    ActivityLog,
    ActorType,
    Comment,
    CommentType,
    EventType,
    Run,
    Worker,
)
from praisonai_platform.db.types import utcnow
from tests.factories import Person
from tests.runs.helpers import (
    API,
    World,
    build_world,
    create_run,
    register_worker,
    run_activity,
    run_events,
)


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member)


async def claim(
    client: httpx.AsyncClient, person: Person, worker: str, **body: Any
) -> httpx.Response:
    """Tests name the workspace: a worker that names none takes only its own person's runs."""
    return await client.post(f"{API}/workers/{worker}/claim", json=body, headers=person.headers)


async def report(
    client: httpx.AsyncClient, person: Person, run_id: str, what: str, worker: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/runs/{run_id}/{what}", json={"worker_id": worker, **body}, headers=person.headers
    )


async def test_register_list_and_status(client: httpx.AsyncClient, world: World, make_user) -> None:  # type: ignore[no-untyped-def]
    registered = await client.post(
        f"{API}/workers/register",
        json={"id": "box-1", "name": "Build box", "host": "box", "pid": 42, "details": {"gpu": 1}},
        headers=world.member.headers,
    )
    assert registered.status_code == 201, registered.text
    worker = registered.json()
    assert (worker["id"], worker["name"], worker["host"], worker["pid"]) == (
        "box-1",
        "Build box",
        "box",
        42,
    )
    assert (worker["status"], worker["details"]["gpu"]) == ("online", 1)
    assert worker["registered_by_user_id"] == world.member.id
    assert worker["stopped_at"] is None and "registered_by" not in worker["details"]

    mine = await client.get(
        f"{API}/workers", headers={**world.member.headers, "Prefer": "count=exact"}
    )
    assert [w["id"] for w in mine.json()] == ["box-1"] and mine.headers["X-Total-Count"] == "1"
    assert (await client.get(f"{API}/workers/", headers=world.outsider.headers)).json() == []
    hidden = await client.get(f"{API}/workers/box-1", headers=world.outsider.headers)
    assert hidden.status_code == 404
    administrator = await make_user("root", is_admin=True)
    seen = await client.get(f"{API}/workers/box-1", headers=administrator.headers)
    assert seen.status_code == 200 and seen.json()["status"] == "online"

    taken = await client.post(
        f"{API}/workers/register", json={"id": "box-1"}, headers=world.outsider.headers
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "worker_id_taken")
    again = await client.post(
        f"{API}/workers/register",
        json={"id": "box-1", "name": "Rebooted"},
        headers=world.member.headers,
    )
    assert again.status_code == 201 and again.json()["name"] == "Rebooted"
    generated = await register_worker(client, world.member)
    assert generated.startswith("worker-")
    for bad in ("has space", "-leading", "x" * 101, "a/b"):
        response = await client.post(
            f"{API}/workers/register", json={"id": bad}, headers=world.member.headers
        )
        assert response.status_code == 422, bad
    assert (await client.post(f"{API}/workers/register", json={})).status_code == 401

    async with session_scope() as session:
        await session.execute(
            update(Worker)
            .where(Worker.id == "box-1")
            .values(last_heartbeat_at=utcnow() - timedelta(minutes=5))
        )
    stale = await client.get(
        f"{API}/workers", params={"status": "stale"}, headers=world.member.headers
    )
    assert [w["id"] for w in stale.json()] == ["box-1"]
    gone = await client.post(f"{API}/workers/box-1/offline", headers=world.member.headers)
    assert gone.status_code == 200 and gone.json()["status"] == "offline"
    assert gone.json()["stopped_at"] is not None
    listed = await client.get(f"{API}/workers", headers=administrator.headers)
    assert {w["id"]: w["status"] for w in listed.json()} == {
        "box-1": "offline",
        generated: "online",
    }
    back = await client.post(
        f"{API}/workers/box-1/heartbeat", json={}, headers=world.member.headers
    )
    assert back.json()["worker"]["status"] == "online"
    assert back.json()["worker"]["stopped_at"] is None


async def test_a_run_from_claim_to_completion(client: httpx.AsyncClient, world: World) -> None:
    first = await create_run(client, world, issue_id=world.issue_id)
    second = await create_run(client, world)
    worker = await register_worker(client, world.member, "laptop")

    claimed = await claim(client, world.member, worker, workspace_id=world.workspace_id)
    assert claimed.status_code == 200, claimed.text
    run = claimed.json()
    assert (run["id"], run["state"], run["worker_id"]) == (first["id"], "processing", worker)
    assert run["lease_expires_at"] > run["started_at"]
    # The agent may run one at a time: the second run waits.
    assert (
        await claim(client, world.member, worker, workspace_id=world.workspace_id)
    ).status_code == 204
    busy = await report(client, world.member, second["id"], "claim", worker)
    assert (busy.status_code, busy.json()["code"]) == (409, "agent_busy")

    progressed = await report(
        client,
        world.member,
        run["id"],
        "progress",
        worker,
        percentage=40,
        message="reading the code",
        steps_completed=2,
        steps_total=5,
        current_step="read",
    )
    assert progressed.status_code == 200, progressed.text
    body = progressed.json()
    assert (body["progress_percentage"], body["progress_message"]) == (40.0, "reading the code")
    assert (body["steps_completed"], body["steps_total"], body["current_step"]) == (2, 5, "read")
    assert body["lease_expires_at"] >= run["lease_expires_at"]
    partial = await report(client, world.member, run["id"], "progress", worker, current_step="test")
    assert (partial.json()["current_step"], partial.json()["progress_percentage"]) == ("test", 40.0)
    beat = await report(client, world.member, run["id"], "heartbeat", worker)
    assert beat.status_code == 200 and beat.json()["stop_requested"] is False
    event = await report(
        client, world.member, run["id"], "events", worker, event_type="error", message="flaky test",
        context={"test": "test_x"},
    )  # fmt: skip
    assert event.status_code == 204, event.text

    done = await report(
        client,
        world.member,
        run["id"],
        "complete",
        worker,
        result={"files": 3},
        message="Fixed it.",
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["state"], body["result"], body["progress_percentage"]) == (
        "completed",
        {"files": 3},
        100.0,
    )
    assert body["finished_at"] and body["lease_expires_at"] is None
    twice = await report(client, world.member, run["id"], "complete", worker)
    assert (twice.status_code, twice.json()["code"]) == (409, "run_not_held")

    assert await run_events(run["id"]) == [
        EventType.RUN_PENDING,
        EventType.RUN_PROCESSING,
        EventType.RUN_PROGRESS,
        EventType.RUN_PROGRESS,
        EventType.ERROR,
        EventType.RUN_COMPLETED,
    ]
    rows = await run_activity(run["id"])
    assert [row.action for row in rows] == ["created", "claimed", "completed"]
    assert [(row.actor_type, row.actor_id) for row in rows[1:]] == [
        (ActorType.AGENT, world.agent_id)
    ] * 2
    assert rows[2].details["changes"] == {"state": ["processing", "completed"]}
    assert rows[2].details["reported_by"] == world.member.id and rows[2].issue_id == world.issue_id
    async with session_scope(read_only=True) as session:
        (comment,) = (
            await session.scalars(select(Comment).where(Comment.issue_id == world.issue_id))
        ).all()
        comment_activity = await session.scalar(
            select(ActivityLog).where(ActivityLog.entity_id == comment.id)
        )
    assert (comment.content, comment.type, comment.author_agent_id, comment.author_id) == (
        "Fixed it.",
        CommentType.AGENT_RESULT,
        world.agent_id,
        None,
    )
    assert comment_activity is not None
    assert (comment_activity.actor_type, comment_activity.issue_id) == (
        ActorType.AGENT,
        world.issue_id,
    )
    comments = await client.get(
        world.url(f"/issues/{world.issue_id}/comments"), headers=world.owner.headers
    )
    assert comments.json()[0]["author_type"] == "agent"

    # The slot is free again: the waiting run can be claimed.
    assert (await claim(client, world.member, worker, workspace_id=world.workspace_id)).json()[
        "id"
    ] == second["id"]


async def test_result_message_becomes_the_comment(client: httpx.AsyncClient, world: World) -> None:
    run = await create_run(client, world, issue_id=world.issue_key)
    worker = await register_worker(client, world.owner)
    await claim(client, world.owner, worker, workspace_id=world.workspace_id)
    done = await report(
        client, world.owner, run["id"], "complete", worker, result={"message": "All green."}
    )
    assert done.status_code == 200
    listed = await client.get(
        world.url(f"/issues/{world.issue_key}/comments"), headers=world.member.headers
    )
    assert [(c["content"], c["type"], c["author_id"]) for c in listed.json()] == [
        ("All green.", "agent_result", world.agent_id)
    ]


async def test_failing_retries_until_the_limit(client: httpx.AsyncClient, world: World) -> None:
    run = await create_run(client, world, max_attempts=2)
    worker = await register_worker(client, world.member)
    await claim(client, world.member, worker, workspace_id=world.workspace_id)
    retried = await report(
        client, world.member, run["id"], "fail", worker, reason="timeout", message="took too long"
    )
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert (body["state"], body["attempt_count"], body["worker_id"]) == ("pending", 1, None)
    assert (body["failure_reason"], body["failure_message"]) == ("timeout", "took too long")
    again = await claim(client, world.member, worker, workspace_id=world.workspace_id)
    assert (again.json()["id"], again.json()["attempt_count"]) == (run["id"], 2)
    failed = await report(client, world.member, run["id"], "fail", worker, reason="crash")
    body = failed.json()
    assert (body["state"], body["attempt_count"], body["failure_reason"]) == ("failed", 2, "crash")
    assert body["finished_at"]
    assert [a.action for a in await run_activity(run["id"])] == [
        "created",
        "claimed",
        "retried",
        "claimed",
        "failed",
    ]
    assert (await run_events(run["id"]))[-1] is EventType.RUN_FAILED

    no_retry = await create_run(client, world, max_attempts=5)
    await claim(client, world.member, worker, workspace_id=world.workspace_id)
    final = await report(client, world.member, no_retry["id"], "fail", worker, retry=False)
    assert (final.json()["state"], final.json()["failure_reason"]) == ("failed", "error")


async def test_only_the_claiming_worker_reports(client: httpx.AsyncClient, world: World) -> None:
    run = await create_run(client, world)
    holder = await register_worker(client, world.member, "holder")
    other = await register_worker(client, world.member, "other")
    admins_own = await register_worker(client, world.admin, "admins")
    await claim(client, world.member, holder, workspace_id=world.workspace_id)
    for what, body in (
        ("heartbeat", {}),
        ("progress", {"percentage": 1}),
        ("events", {"message": "x"}),
        ("complete", {}),
        ("fail", {}),
        ("stopped", {}),
    ):
        response = await report(client, world.member, run["id"], what, other, **body)
        assert (response.status_code, response.json()["code"]) == (409, "run_not_held"), what
        # Acting as someone else's worker, or as a worker in a workspace you are not in:
        stolen = await report(client, world.admin, run["id"], what, holder, **body)
        assert stolen.status_code == 404, what
        outsider = await report(client, world.outsider, run["id"], what, holder, **body)
        assert outsider.status_code == 404, what
        anonymous = await client.post(
            f"{API}/runs/{run['id']}/{what}", json={"worker_id": holder, **body}
        )
        assert anonymous.status_code == 401, what
    for path in ("heartbeat", "claim", "offline"):
        response = await client.post(
            f"{API}/workers/{holder}/{path}", json={}, headers=world.admin.headers
        )
        assert response.status_code == 404, path
    assert (
        await claim(client, world.admin, admins_own, workspace_id=world.workspace_id)
    ).status_code == 204
    unknown = await report(client, world.member, "no-such-run", "complete", holder)
    assert unknown.status_code == 404
    async with session_scope(read_only=True) as session:
        stored = await session.get(Run, run["id"])
    assert stored is not None and (stored.state.value, stored.worker_id) == ("processing", holder)


async def test_workers_take_runs_of_their_people_only(
    client: httpx.AsyncClient, world: World
) -> None:
    await create_run(client, world)
    outsiders = await register_worker(client, world.outsider)
    assert (
        await claim(client, world.outsider, outsiders, workspace_id=world.workspace_id)
    ).status_code == 204
    members = await register_worker(client, world.member)
    elsewhere = await claim(client, world.member, members, workspace_id="another-workspace")
    assert elsewhere.status_code == 204
    other_agent = await claim(client, world.member, members, agent_id="another-agent")
    assert other_agent.status_code == 204
    assert (await claim(client, world.member, members, agent_id=world.agent_id)).status_code == 200


async def test_an_agent_key_claims_its_own_runs_only(
    client: httpx.AsyncClient, world: World
) -> None:
    second_agent = await client.post(
        world.url("/agents/"), json={"name": "Tester"}, headers=world.owner.headers
    )
    theirs = await create_run(client, world)
    ours = await create_run(client, world, agent_id=second_agent.json()["id"])
    key = await client.post(
        f"{API}/api-keys", json={"agent_id": second_agent.json()["id"]}, headers=world.owner.headers
    )
    headers = {"Authorization": f"Bearer {key.json()['key']}"}
    worker = await client.post(f"{API}/workers/register", json={}, headers=headers)
    claimed = await client.post(
        f"{API}/workers/{worker.json()['id']}/claim", json={}, headers=headers
    )
    assert claimed.json()["id"] == ours["id"]
    assert (
        await client.post(f"{API}/workers/{worker.json()['id']}/claim", json={}, headers=headers)
    ).status_code == 204
    async with session_scope(read_only=True) as session:
        assert (await session.get(Run, theirs["id"])).state.value == "pending"  # type: ignore[union-attr]


async def test_claiming_a_particular_run(client: httpx.AsyncClient, world: World) -> None:
    older = await create_run(client, world)
    newer = await create_run(client, world)
    worker = await register_worker(client, world.member)
    took = await report(client, world.member, newer["id"], "claim", worker)
    assert took.status_code == 200 and took.json()["id"] == newer["id"]
    await report(client, world.member, newer["id"], "complete", worker)
    again = await report(client, world.member, newer["id"], "claim", worker)
    assert (again.status_code, again.json()["code"]) == (409, "not_pending")
    missing = await report(client, world.member, "nope", "claim", worker)
    assert missing.status_code == 404
    outsider_worker = await register_worker(client, world.outsider)
    hidden = await report(client, world.outsider, older["id"], "claim", outsider_worker)
    assert hidden.status_code == 404


async def test_signing_off_or_restarting_releases_held_runs(
    client: httpx.AsyncClient, world: World
) -> None:
    run = await create_run(client, world)
    worker = await register_worker(client, world.member, "restarts")
    await claim(client, world.member, worker, workspace_id=world.workspace_id)
    await client.post(
        f"{API}/workers/register", json={"id": "restarts"}, headers=world.member.headers
    )
    fetched = (
        await client.get(world.url(f"/runs/{run['id']}"), headers=world.member.headers)
    ).json()
    assert (fetched["state"], fetched["worker_id"], fetched["attempt_count"]) == (
        "pending",
        None,
        0,
    )
    await claim(client, world.member, worker, workspace_id=world.workspace_id)
    gone = await client.post(f"{API}/workers/{worker}/offline", headers=world.member.headers)
    assert gone.json()["status"] == "offline"
    fetched = (
        await client.get(world.url(f"/runs/{run['id']}"), headers=world.member.headers)
    ).json()
    assert (fetched["state"], fetched["worker_id"]) == ("pending", None)
    assert [a.action for a in await run_activity(run["id"])] == [
        "created",
        "claimed",
        "released",
        "claimed",
        "released",
    ]


async def test_a_lapsed_lease_is_reclaimed_and_the_old_worker_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    retried = await create_run(client, world)
    late = await register_worker(client, world.member, "late")
    await claim(client, world.member, late, workspace_id=world.workspace_id)
    await _expire_leases()
    prompt = await register_worker(client, world.member, "prompt")
    taken = await claim(client, world.member, prompt, workspace_id=world.workspace_id)
    assert (taken.json()["id"], taken.json()["attempt_count"]) == (retried["id"], 2)
    refused = await report(client, world.member, retried["id"], "complete", late)
    assert (refused.status_code, refused.json()["code"]) == (409, "run_not_held")
    assert (
        await report(client, world.member, retried["id"], "complete", prompt)
    ).status_code == 200
    assert EventType.RUN_RECLAIMED in await run_events(retried["id"])

    last_chance = await create_run(client, world, max_attempts=1)
    await claim(client, world.member, late, workspace_id=world.workspace_id)
    await _expire_leases()
    assert (
        await claim(client, world.member, prompt, workspace_id=world.workspace_id)
    ).status_code == 204
    fetched = (
        await client.get(world.url(f"/runs/{last_chance['id']}"), headers=world.member.headers)
    ).json()
    assert (fetched["state"], fetched["failure_reason"], fetched["attempt_count"]) == (
        "failed",
        "lease_expired",
        1,
    )
    assert (await run_events(last_chance["id"]))[-1] is EventType.RUN_FAILED


@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("progress", {"percentage": 101}),
        ("progress", {"percentage": -1}),
        ("progress", {"steps_completed": -1}),
        ("progress", {"steps_total": 2**31}),
        ("progress", {"current_step": "x" * 501}),
        ("progress", {"message": "nul\x00"}),
        ("events", {"event_type": "run_completed"}),
        ("events", {"event_type": "nonsense"}),
        ("events", {"context": "not an object"}),
        ("complete", {"result": [1, 2]}),
        ("complete", {"message": ""}),
        ("fail", {"reason": ""}),
        ("fail", {"reason": "r" * 101}),
        ("complete", {"worker_id": "bad id"}),
    ],
)
async def test_bad_reports_are_422(
    client: httpx.AsyncClient, world: World, what: str, body: dict[str, Any]
) -> None:
    run = await create_run(client, world)
    worker = await register_worker(client, world.member)
    await claim(client, world.member, worker, workspace_id=world.workspace_id)
    response = await report(client, world.member, run["id"], what, worker, **body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] in ("validation_failed", "invalid_event_type")
    async with session_scope(read_only=True) as session:
        stored = await session.get(Run, run["id"])
    assert stored is not None and stored.state.value == "processing"


async def _expire_leases() -> None:
    async with session_scope() as session:
        await session.execute(
            update(Run)
            .where(Run.lease_expires_at.is_not(None))
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
