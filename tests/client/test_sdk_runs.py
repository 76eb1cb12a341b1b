"""Runs, workers and the event log through the SDK, sync and async: queue, list, read, stop,
wait, and a remote worker that claims and reports through the same client."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from praisonai_platform.client import (
    Conflict,
    NotFound,
    Page,
    PermissionDenied,
    PlatformClient,
    ValidationError,
    WaitTimeout,
)
from praisonai_platform.client.models import (
    Event,
    Run,
    RunState,
    UsageCharge,
    Worker,
    WorkerHeartbeat,
)
from tests.live.conftest import LiveServer


@pytest.fixture
def agent(api: Any, workspace: Any) -> Any:
    return api.agents.create(workspace.id, "Coder", max_concurrent_tasks=5)


def worker_id() -> str:
    return f"sdk-{uuid.uuid4().hex[:10]}"


def test_queue_list_filter_get_and_stop(api: Any, workspace: Any, agent: Any) -> None:
    issue = api.issues.create(workspace.id, "Fix it")
    run = api.runs.create(workspace.id, agent.id, issue_id="ENG-1", parameters={"depth": 2})
    assert isinstance(run, Run)
    assert (run.state, run.issue_id, run.agent_id, run.parameters) == (
        RunState.PENDING,
        issue.id,
        agent.id,
        {"depth": 2},
    )
    assert run.max_attempts >= 1 and run.stop_requested is False

    api.issues.update(workspace.id, issue.id, assignee_id=agent.id, assignee_type="agent")
    delegated = api.runs.delegate(workspace.id, "ENG-1", max_attempts=1)
    assert (delegated.agent_id, delegated.issue_id, delegated.max_attempts) == (
        agent.id,
        issue.id,
        1,
    )
    loose = api.runs.create(workspace.id, agent.id, idempotency_key="queue-once")
    assert api.runs.create(workspace.id, agent.id, idempotency_key="queue-once").id == loose.id
    assert loose.issue_id is None

    first = api.runs.list(workspace.id, limit=2)
    assert isinstance(first, Page) and first.total == 3 and first.has_more
    assert [r.id for r in first] == [loose.id, delegated.id]
    assert [r.id for r in api.runs.iter(workspace.id, limit=1)] == [
        loose.id,
        delegated.id,
        run.id,
    ]
    assert [r.id for r in api.runs.list(workspace.id, issue_id="ENG-1")] == [delegated.id, run.id]
    assert [r.id for r in api.runs.iter(workspace.id, issue_id=issue.id)] == [delegated.id, run.id]

    assert api.runs.get(workspace.id, run.id) == run
    assert api.runs.get_by_id(run.id) == run

    stopped = api.runs.stop(workspace.id, loose.id)
    assert stopped.state is RunState.STOPPED and stopped.finished_at is not None
    assert [r.id for r in api.runs.list(workspace.id, state="stopped")] == [loose.id]
    pending = api.runs.list(workspace.id, state=["pending", "processing"], agent_id=agent.id)
    assert [r.id for r in pending] == [delegated.id, run.id]
    other = api.agents.create(workspace.id, "Idle")
    assert list(api.runs.list(workspace.id, agent_id=other.id)) == []
    assert api.runs.wait(workspace.id, loose.id, timeout=0) == stopped

    with pytest.raises(NotFound):
        api.runs.get(workspace.id, "no-such-run")
    with pytest.raises(ValidationError):
        api.runs.list(workspace.id, state="sideways")


def test_events_of_a_run_and_of_the_workspace(api: Any, workspace: Any, agent: Any) -> None:
    before = datetime.now(UTC) - timedelta(minutes=1)
    run = api.runs.create(workspace.id, agent.id)
    api.runs.stop(workspace.id, run.id)
    kept = api.runs.create(workspace.id, agent.id)

    events = api.runs.events(workspace.id, run.id)
    assert isinstance(events, Page) and all(isinstance(e, Event) for e in events)
    assert [e.event_type.value for e in events] == ["run_stopped", "run_pending"]
    assert {e.run_id for e in events} == {run.id}
    assert [e.id for e in api.runs.iter_events(workspace.id, run.id, limit=1)] == [
        e.id for e in events
    ]
    only = api.runs.events(workspace.id, run.id, event_type="run_stopped", since=before)
    assert [e.event_type.value for e in only] == ["run_stopped"]
    assert list(api.runs.events(workspace.id, run.id, until=before)) == []

    everything = list(api.events.iter(workspace.id))
    assert {e.run_id for e in everything} == {run.id, kept.id}
    assert everything[0].run_id == kept.id  # newest first
    ours = api.events.list(workspace.id, run_id=kept.id, event_type=["run_pending", "error"])
    assert [(e.run_id, e.event_type.value) for e in ours] == [(kept.id, "run_pending")]
    with pytest.raises(PermissionDenied):
        api.events.list_all()


def test_wait_times_out_with_the_run_as_last_seen(api: Any, workspace: Any, agent: Any) -> None:
    run = api.runs.create(workspace.id, agent.id)
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as late:
        api.runs.wait(workspace.id, run.id, timeout=0.5, poll_interval=0.1)
    assert 0.4 < time.monotonic() - started < 10
    assert isinstance(late.value, TimeoutError)
    assert late.value.last.id == run.id and late.value.last.state is RunState.PENDING
    assert str(late.value) == f"run {run.id} is still pending after 0.5 seconds (0% done)"
    with pytest.raises(ValidationError):
        api.runs.wait(workspace.id, run.id, poll_interval=0)


def test_a_remote_worker_through_the_sdk(api: Any, workspace: Any, agent: Any) -> None:
    issue = api.issues.create(workspace.id, "Summarise")
    run = api.runs.create(workspace.id, agent.id, issue_id=issue.id)
    name = worker_id()
    worker = api.workers.register(worker_id=name, name="SDK box", host="here", details={"gpu": 0})
    assert isinstance(worker, Worker)
    assert (worker.id, worker.name, worker.status, worker.details) == (
        name,
        "SDK box",
        "online",
        {"gpu": 0},
    )
    empty = api.workspaces.create(name="Empty", issue_prefix="EMP")
    assert api.workers.claim(name, workspace_id=empty.id) is None

    claimed = api.workers.claim(name, agent_id=agent.id, idempotency_key=f"claim-{name}")
    assert claimed is not None and claimed.id == run.id
    assert (claimed.state, claimed.worker_id) == (RunState.PROCESSING, name)
    assert api.workers.claim(name, agent_id=agent.id, idempotency_key=f"claim-{name}") == claimed

    assert api.workers.get(name).id == name
    assert name in [w.id for w in api.workers.list(status="online")]
    assert name in [w.id for w in api.workers.iter()]
    beat = api.workers.heartbeat(name, current_run_id=run.id)
    assert isinstance(beat, WorkerHeartbeat)
    assert [(r.id, r.stop_requested) for r in beat.runs] == [(run.id, False)]
    assert beat.worker.current_run_id == run.id
    assert api.workers.heartbeat_run(run.id, name).state is RunState.PROCESSING

    halfway = api.workers.progress(
        run.id, name, percentage=50, message="half", steps_completed=1, steps_total=2
    )
    assert (halfway.progress_percentage, halfway.progress_message, halfway.steps_total) == (
        50,
        "half",
        2,
    )
    assert api.workers.add_event(run.id, name, "reading", context={"files": 3}) is None
    usage = api.workers.report_usage(run.id, name, "plan", 0)
    assert isinstance(usage, UsageCharge) and usage.charged is False

    done = api.workers.complete(run.id, name, result={"message": "All summarised."})
    assert done.state is RunState.COMPLETED and done.result == {"message": "All summarised."}
    assert api.runs.wait(workspace.id, run.id, timeout=5) == done
    logged = [e for e in api.runs.iter_events(workspace.id, run.id) if e.event_type == "system"]
    assert [(e.message, e.context, e.worker_id) for e in logged] == [
        ("reading", {"files": 3}, name)
    ]
    comments = list(api.comments.iter(workspace.id, issue.id))
    assert [c.content for c in comments][-1] == "All summarised."
    with pytest.raises(Conflict):
        api.runs.stop(workspace.id, run.id)
    with pytest.raises(Conflict):
        api.workers.complete(run.id, name)

    gone = api.workers.offline(name)
    assert gone.status == "offline" and gone.stopped_at is not None


def test_stop_and_fail_reach_the_worker(api: Any, workspace: Any, agent: Any) -> None:
    stopping = api.runs.create(workspace.id, agent.id)
    failing = api.runs.create(workspace.id, agent.id, max_attempts=1)
    name = api.workers.register().id
    assert api.workers.claim_run(stopping.id, name).state is RunState.PROCESSING
    assert api.workers.claim_run(failing.id, name).worker_id == name

    asked = api.runs.stop(workspace.id, stopping.id)
    assert (asked.state, asked.stop_requested) == (RunState.PROCESSING, True)
    assert api.workers.heartbeat_run(stopping.id, name).stop_requested is True
    held = api.workers.heartbeat(name, run_ids=[stopping.id])
    assert [(r.id, r.stop_requested) for r in held.runs] == [(stopping.id, True)]
    ended = api.workers.stopped(stopping.id, name, message="as asked", result={"done": 1})
    assert ended.state is RunState.STOPPED
    assert api.runs.wait(workspace.id, stopping.id, timeout=5).state is RunState.STOPPED

    failed = api.workers.fail(failing.id, name, reason="crash", message="boom", retry=False)
    assert (failed.state, failed.failure_reason, failed.failure_message) == (
        RunState.FAILED,
        "crash",
        "boom",
    )
    assert api.runs.wait(workspace.id, failing.id, timeout=5).state is RunState.FAILED


def test_wait_follows_a_run_another_process_finishes(
    api: Any, workspace: Any, agent: Any, server: LiveServer
) -> None:
    run = api.runs.create(workspace.id, agent.id)
    problems: list[BaseException] = []

    def work() -> None:
        try:
            with PlatformClient(server.base_url, token=api.token) as remote:
                name = remote.workers.register().id
                claimed = None
                while claimed is None:
                    claimed = remote.workers.claim(name, agent_id=agent.id)
                time.sleep(0.3)
                remote.workers.progress(claimed.id, name, percentage=90, message="almost")
                time.sleep(0.3)
                remote.workers.complete(claimed.id, name, result={"answer": 42})
        except BaseException as exc:  # reported by the test, not lost in the thread
            problems.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    try:
        finished = api.runs.wait(workspace.id, run.id, timeout=30, poll_interval=0.1)
    finally:
        thread.join(timeout=30)
    assert not problems
    assert (finished.state, finished.result, finished.progress_message) == (
        RunState.COMPLETED,
        {"answer": 42},
        "almost",
    )
