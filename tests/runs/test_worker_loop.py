"""The worker loop in this process, on both databases: the handler contract (sync and async,
progress, events, results, exceptions), stop requests, lost leases, limits and shutdown."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from praisonai_platform.core.actors import Actor
from praisonai_platform.db import get_engine, session_scope
from praisonai_platform.db.models import (
    Agent,
    Comment,
    CommentType,
    Event,
    EventType,
    Issue,
    Member,
    MemberRole,
    Run,
    RunState,
    User,
    Worker,
    Workspace,
)
from praisonai_platform.db.types import new_id, utcnow
from praisonai_platform.runs import service as runs
from praisonai_platform.runs.settings import RunSettings
from praisonai_platform.worker import ClaimedRun, RunContext, SyncRunContext, WorkerLoop
from praisonai_platform.worker.logs import TEXT_FORMAT, JsonFormatter
from praisonai_platform.worker.settings import WorkerSettings

RUN_SETTINGS = RunSettings(lease_seconds=5, heartbeat_seconds=0.1)
WORKER_SETTINGS = WorkerSettings(
    poll_seconds=0.02, shutdown_grace_seconds=0.5, maintenance_seconds=0.2
)


@dataclass
class Place:
    workspace_id: str
    agent_id: str
    issue_id: str
    actor: Actor

    async def add_run(self, agent_id: str | None = None, **fields: Any) -> str:
        async with session_scope() as session:
            run = Run(
                id=new_id(),
                workspace_id=self.workspace_id,
                agent_id=agent_id or self.agent_id,
                **fields,
            )
            session.add(run)
        return run.id


@pytest.fixture
async def place(db_url: str) -> Place:
    get_engine(db_url)
    async with session_scope() as session:
        user = User(name=f"u-{new_id()[:6]}", email=f"{new_id()[:8]}@example.com")
        workspace = Workspace(name="W", slug=f"w-{new_id()[:8]}", issue_prefix="ENG")
        session.add_all([user, workspace])
        await session.flush()
        agent = Agent(workspace_id=workspace.id, name="Bot", max_concurrent_tasks=10)
        issue = Issue(workspace_id=workspace.id, title="Do it")
        session.add_all(
            [
                agent,
                issue,
                Member(workspace_id=workspace.id, user_id=user.id, role=MemberRole.OWNER),
            ]
        )
        await session.flush()
        return Place(workspace.id, agent.id, issue.id, Actor.for_user(user))


@asynccontextmanager
async def working(handler: Callable[..., Any], **options: Any) -> AsyncIterator[WorkerLoop]:
    worker = WorkerLoop(
        handler,
        run_settings=RUN_SETTINGS,
        settings=options.pop("settings", WORKER_SETTINGS),
        worker_id=options.pop("worker_id", f"test-{new_id()[:8]}"),
        **options,
    )
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.request_shutdown()
        await asyncio.wait_for(task, 10)


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def load(run_id: str) -> Run:
    async with session_scope(read_only=True) as session:
        run = await session.get(Run, run_id)
        assert run is not None
        return run


def finished(run_id: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await load(run_id)).state in runs.FINISHED

    return check


async def event_types(run_id: str) -> list[EventType]:
    async with session_scope(read_only=True) as session:
        return list(
            await session.scalars(
                select(Event.event_type).where(Event.run_id == run_id).order_by(Event.created_at)
            )
        )


async def test_a_blocking_handler_reports_and_its_message_becomes_a_comment(place: Place) -> None:
    seen: list[ClaimedRun] = []

    def handler(run: ClaimedRun, context: SyncRunContext) -> dict[str, Any]:
        seen.append(run)
        context.progress(50, "half way", steps_completed=1, steps_total=2, current_step="one")
        context.event("tool called", context={"tool": "grep"})
        return {"message": "Done, see the diff.", "lines": 3}

    run_id = await place.add_run(issue_id=place.issue_id, parameters={"goal": "fix"})
    async with working(handler):
        await until(finished(run_id))
    run = await load(run_id)
    assert (run.state, run.result, run.progress_percentage) == (
        RunState.COMPLETED,
        {"message": "Done, see the diff.", "lines": 3},
        100.0,
    )
    assert (run.progress_message, run.steps_completed, run.steps_total) == ("half way", 1, 2)
    (claimed,) = seen
    assert (claimed.id, claimed.parameters, claimed.attempt, claimed.issue_id) == (
        run_id,
        {"goal": "fix"},
        1,
        place.issue_id,
    )
    assert await event_types(run_id) == [
        EventType.RUN_PROCESSING,
        EventType.RUN_PROGRESS,
        EventType.SYSTEM,
        EventType.RUN_COMPLETED,
    ]
    async with session_scope(read_only=True) as session:
        (comment,) = (await session.scalars(select(Comment))).all()
    assert (comment.content, comment.type, comment.author_agent_id) == (
        "Done, see the diff.",
        CommentType.AGENT_RESULT,
        place.agent_id,
    )


async def test_an_async_handler_and_plain_results(place: Place) -> None:
    async def handler(run: ClaimedRun, context: RunContext) -> Any:
        await context.progress(10)
        return run.parameters["give"]

    given = {"none": None, "number": 7, "list": [1, "a"]}
    ids = {name: await place.add_run(parameters={"give": value}) for name, value in given.items()}
    async with working(handler, concurrency=3):
        for run_id in ids.values():
            await until(finished(run_id))
    results = {name: (await load(run_id)).result for name, run_id in ids.items()}
    assert results == {"none": {}, "number": {"value": 7}, "list": {"value": [1, "a"]}}


async def test_a_raising_handler_is_retried_until_its_attempts_run_out(place: Place) -> None:
    attempts: list[int] = []

    def handler(run: ClaimedRun, _context: SyncRunContext) -> None:
        attempts.append(run.attempt)
        raise RuntimeError("boom")

    run_id = await place.add_run(max_attempts=3)
    async with working(handler):
        await until(finished(run_id))
    run = await load(run_id)
    assert attempts == [1, 2, 3]
    assert (run.state, run.attempt_count, run.failure_reason) == (
        RunState.FAILED,
        3,
        "handler_error",
    )
    assert run.failure_message == "RuntimeError: boom"
    kinds = await event_types(run_id)
    assert kinds.count(EventType.RUN_PENDING) == 2 and kinds[-1] is EventType.RUN_FAILED


async def test_a_result_that_is_not_json_fails_without_retry(place: Place) -> None:
    run_id = await place.add_run()
    async with working(lambda _run, _context: {"score": math.nan}):
        await until(finished(run_id))
    run = await load(run_id)
    assert (run.state, run.failure_reason, run.attempt_count) == (
        RunState.FAILED,
        "invalid_result",
        1,
    )


async def test_a_stop_request_reaches_the_handler_at_the_next_heartbeat(place: Place) -> None:
    noticed = asyncio.Event()

    async def handler(_run: ClaimedRun, context: RunContext) -> dict[str, Any]:
        stopped = await context.wait_for_stop(30)
        noticed.set()
        return {"stopped_early": stopped, "should_stop": context.should_stop}

    run_id = await place.add_run()
    async with working(handler):
        await until(lambda: _state_is(run_id, RunState.PROCESSING))
        async with session_scope() as session:
            await runs.request_stop(session, place.actor, place.workspace_id, run_id)
        await asyncio.wait_for(noticed.wait(), 5)
        await until(finished(run_id))
    run = await load(run_id)
    assert (run.state, run.result) == (
        RunState.STOPPED,
        {"stopped_early": True, "should_stop": True},
    )
    assert (await event_types(run_id))[-1] is EventType.RUN_STOPPED


async def test_a_lost_lease_stops_the_handler_and_leaves_the_run_to_its_new_holder(
    place: Place,
) -> None:
    outcome: dict[str, bool] = {}

    def handler(_run: ClaimedRun, context: SyncRunContext) -> None:
        outcome["woke"] = context.wait_for_stop(30)
        outcome["lost"] = context.lost

    run_id = await place.add_run()
    async with working(handler) as worker:
        await until(lambda: _state_is(run_id, RunState.PROCESSING))
        async with session_scope() as session:  # as if reclaimed and claimed elsewhere
            session.add(
                Worker(id="elsewhere", name="x", started_at=utcnow(), last_heartbeat_at=utcnow())
            )
            await session.flush()
            # with a lease of its own, so upkeep never hands the run back while this one waits
            await session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(worker_id="elsewhere", lease_expires_at=utcnow() + timedelta(hours=1))
            )
        await until(lambda: _true(outcome.get("lost")))
        await asyncio.sleep(0.2)
        assert worker._active == {}
    run = await load(run_id)
    assert outcome == {"woke": True, "lost": True}
    assert (run.state, run.worker_id) == (RunState.PROCESSING, "elsewhere")


async def test_concurrency_and_the_agent_filter(place: Place) -> None:
    running = 0
    peak = 0
    done: list[str] = []

    async def handler(run: ClaimedRun, _context: RunContext) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.1)
        running -= 1
        done.append(run.agent_id)

    async with session_scope() as session:
        other = Agent(workspace_id=place.workspace_id, name="Other", max_concurrent_tasks=10)
        session.add(other)
    mine = [await place.add_run() for _ in range(9)]
    theirs = await place.add_run(agent_id=other.id)
    async with working(handler, concurrency=3, agent_id=place.agent_id):
        for run_id in mine:
            await until(finished(run_id))
    assert peak == 3 and set(done) == {place.agent_id}
    assert (await load(theirs)).state is RunState.PENDING


async def test_free_slots_are_filled_in_one_claim_and_each_run_is_done_once(place: Place) -> None:
    handled: list[str] = []

    async def handler(run: ClaimedRun, _context: RunContext) -> None:
        handled.append(run.id)

    start = utcnow()
    run_ids = [await place.add_run(created_at=start + timedelta(milliseconds=n)) for n in range(10)]
    async with working(handler, concurrency=4):
        for run_id in run_ids:
            await until(finished(run_id))
    async with session_scope(read_only=True) as session:
        runs = {run.id: run for run in await session.scalars(select(Run))}
        events = list(
            await session.scalars(
                select(Event.event_type).where(
                    Event.event_type.in_([EventType.RUN_PROCESSING, EventType.RUN_COMPLETED])
                )
            )
        )
    assert sorted(handled) == sorted(run_ids)
    assert {runs[run_id].state for run_id in run_ids} == {RunState.COMPLETED}
    assert sorted(events) == sorted([EventType.RUN_PROCESSING, EventType.RUN_COMPLETED] * 10)
    # The four oldest were claimed together: one claim, one start time.
    assert len({runs[run_id].started_at for run_id in run_ids[:4]}) == 1


async def test_shutdown_finishes_quick_handlers_and_releases_the_rest(place: Place) -> None:
    release = asyncio.Event()

    async def handler(run: ClaimedRun, _context: RunContext) -> dict[str, Any]:
        if run.parameters.get("hang"):
            await asyncio.sleep(3600)
        await release.wait()
        return {"ok": True}

    quick = await place.add_run()
    stuck = await place.add_run(parameters={"hang": True})
    worker = WorkerLoop(
        handler,
        concurrency=2,
        run_settings=RUN_SETTINGS,
        settings=WORKER_SETTINGS,
        worker_id="w-stop",
    )
    task = asyncio.create_task(worker.run())
    await until(lambda: _state_is(stuck, RunState.PROCESSING))
    await until(lambda: _state_is(quick, RunState.PROCESSING))
    worker.request_shutdown()
    await asyncio.sleep(0.05)
    release.set()  # the quick one finishes within the grace period
    started = time.monotonic()
    await asyncio.wait_for(task, 5)
    assert time.monotonic() - started < 3
    assert (await load(quick)).state is RunState.COMPLETED
    stuck_run = await load(stuck)
    assert (stuck_run.state, stuck_run.worker_id, stuck_run.attempt_count) == (
        RunState.PENDING,
        None,
        0,
    )
    assert (await event_types(stuck))[-1] is EventType.RUN_PENDING
    async with session_scope(read_only=True) as session:
        gone = await session.get(Worker, "w-stop")
    assert gone is not None and gone.stopped_at is not None
    assert gone.registered_by_user_id is None


async def test_a_second_signal_releases_at_once(place: Place) -> None:
    def handler(_run: ClaimedRun, _context: SyncRunContext) -> None:
        time.sleep(3600)  # blocks its thread for good; a daemon thread does not hold the exit

    run_id = await place.add_run()
    slow = WorkerSettings(poll_seconds=0.02, shutdown_grace_seconds=600, maintenance_seconds=1)
    worker = WorkerLoop(handler, run_settings=RUN_SETTINGS, settings=slow, worker_id="w-hurry")
    task = asyncio.create_task(worker.run())
    await until(lambda: _state_is(run_id, RunState.PROCESSING))
    worker.request_shutdown()
    await asyncio.sleep(0.1)
    assert not task.done()
    worker.request_shutdown()
    await asyncio.wait_for(task, 5)
    assert (await load(run_id)).state is RunState.PENDING


async def test_an_expired_lease_is_reclaimed_by_upkeep(place: Place) -> None:
    async with session_scope() as session:
        session.add(Worker(id="dead", name="dead", started_at=utcnow(), last_heartbeat_at=utcnow()))
    run_id = await place.add_run(
        state=RunState.PROCESSING,
        worker_id="dead",
        lease_expires_at=utcnow() - timedelta(seconds=1),
        max_attempts=1,
    )
    async with working(lambda _run, _context: None):
        await until(finished(run_id))
    run = await load(run_id)
    assert (run.state, run.failure_reason) == (RunState.FAILED, "lease_expired")


async def test_attempt_count_counts_attempts_as_they_start(place: Place) -> None:
    seen: dict[str, list[int]] = {}

    def handler(run: ClaimedRun, _context: SyncRunContext) -> None:
        seen.setdefault(run.id, []).append(run.attempt)
        if run.parameters.get("fail_first") and run.attempt == 1:
            raise RuntimeError("flaky")

    first_time = await place.add_run()
    second_time = await place.add_run(parameters={"fail_first": True})
    async with working(handler):
        await until(finished(first_time))
        await until(finished(second_time))
    once, twice = await load(first_time), await load(second_time)
    assert (once.state, once.attempt_count, seen[first_time]) == (RunState.COMPLETED, 1, [1])
    assert (twice.state, twice.attempt_count, seen[second_time]) == (
        RunState.COMPLETED,
        2,
        [1, 2],
    )
    async with session_scope(read_only=True) as session:
        claims = list(
            await session.scalars(
                select(Event.message)
                .where(Event.run_id == second_time, Event.event_type == EventType.RUN_PROCESSING)
                .order_by(Event.created_at)
            )
        )
    assert claims == ["attempt 1 of 3", "attempt 2 of 3"]


async def test_each_claim_completion_failure_retry_and_reclaim_is_logged(
    place: Place, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="praisonai_platform.worker")
    async with session_scope() as session:
        issue = await session.get(Issue, place.issue_id)
        assert issue is not None
        issue_key = issue.identifier
        session.add(Worker(id="gone", name="gone", started_at=utcnow(), last_heartbeat_at=utcnow()))

    def handler(run: ClaimedRun, _context: SyncRunContext) -> None:
        if run.parameters.get("fail"):
            raise RuntimeError("flaky")

    retried = await place.add_run(issue_id=place.issue_id, max_attempts=2, parameters={"fail": 1})
    reclaimed = await place.add_run(
        issue_id=place.issue_id,
        state=RunState.PROCESSING,
        worker_id="gone",
        attempt_count=1,
        started_at=utcnow() - timedelta(seconds=30),
        lease_expires_at=utcnow() - timedelta(seconds=1),
    )
    async with working(handler, worker_id="w-logs"):
        for run_id in (retried, reclaimed):
            await until(finished(run_id))

    records = [r for r in caplog.records if getattr(r, "run_id", None) in (retried, reclaimed)]
    steps = [(r.run_id, r.event, r.attempt) for r in records]
    assert [step for step in steps if step[0] == retried] == [
        (retried, "claimed", 1),
        (retried, "retry", 1),
        (retried, "claimed", 2),
        (retried, "failed", 2),
    ]
    assert [step for step in steps if step[0] == reclaimed] == [
        (reclaimed, "reclaimed", 1),
        (reclaimed, "claimed", 2),
        (reclaimed, "completed", 2),
    ]
    text_format = logging.Formatter(TEXT_FORMAT)
    for record in records:
        run_id = record.run_id
        text = text_format.format(record)
        assert f"run {run_id} [{issue_key}]" in text and re.search(r" \d+\.\d\ds\b", text), text
        line = json.loads(JsonFormatter().format(record))
        assert (line["run_id"], line["issue_key"], line["event"]) == (
            run_id,
            issue_key,
            record.event,
        )
        assert line["duration_seconds"] >= 0 and line["worker_id"] == "w-logs"
    (reclaim,) = [r for r in records if r.event == "reclaimed"]
    assert reclaim.duration_seconds >= 29  # held since it started
    (failure,) = [r for r in records if r.event == "failed"]
    assert "RuntimeError: flaky" in failure.getMessage() and failure.levelno == logging.WARNING


async def _state_is(run_id: str, state: RunState) -> bool:
    return (await load(run_id)).state is state


async def _true(value: object) -> bool:
    return bool(value)


async def test_the_example_handler(place: Place) -> None:
    from praisonai_platform.worker.example_handler import handle

    run_id = await place.add_run(issue_id=place.issue_id, parameters={"steps": 2, "seconds": 0})
    async with working(handle):
        await until(finished(run_id))
    run = await load(run_id)
    assert (run.state, run.result) == (
        RunState.COMPLETED,
        {"message": "Done: 2 steps on attempt 1.", "steps": 2},
    )
    assert (run.steps_completed, run.steps_total, run.current_step) == (2, 2, "step 2")
    assert (await event_types(run_id)).count(EventType.RUN_PROGRESS) == 2


async def test_a_charge_the_balance_cannot_cover_fails_the_run_without_retry(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_BILLING_ENABLED", "true")
    attempts: list[int] = []

    async def handler(run: ClaimedRun, context: RunContext) -> dict[str, str]:
        attempts.append(run.attempt)
        await context.charge(1, 5_000_000)  # the payer has no credits at all
        return {"message": "never reached"}

    run_id = await place.add_run(
        max_attempts=3, created_by_type="user", created_by_id=place.actor.id
    )
    async with working(handler):
        await until(finished(run_id))
    run = await load(run_id)
    assert attempts == [1]
    assert (run.state, run.failure_reason, run.attempt_count) == (
        RunState.FAILED,
        "insufficient_credits",
        1,
    )
