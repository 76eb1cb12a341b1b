"""The queue's services under concurrency, on both databases: each run to one claimer, agents'
limits held, lapsed leases taken back, idempotency keys decided by the database."""

from __future__ import annotations

import asyncio
import collections
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from praisonai_platform.core import idempotency as nonces
from praisonai_platform.core.actors import SYSTEM
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Agent, Event, EventType, Nonce, Run, RunState, Workspace
from praisonai_platform.db.types import new_id, utcnow
from praisonai_platform.runs import leases as run_leases
from praisonai_platform.runs import queue as run_queue
from praisonai_platform.runs.reports import service as run_reports
from praisonai_platform.runs.settings import RunSettings

SETTINGS = RunSettings(lease_seconds=30, heartbeat_seconds=1)
CLAIMERS = 20


async def setup(
    sessions: async_sessionmaker[AsyncSession],
    runs: int,
    *,
    limit: int = 1000,
    register: bool = True,
    **fields: object,
) -> tuple[str, list[str]]:
    """An agent with `limit`, `runs` pending runs for it, and registered workers w0…w19."""
    async with session_scope(sessions) as session:
        workspace = Workspace(name="Q", slug=f"q-{new_id()[:8]}")
        session.add(workspace)
        await session.flush()
        agent = Agent(workspace_id=workspace.id, name="A", max_concurrent_tasks=limit)
        session.add(agent)
        await session.flush()
        start = utcnow()
        ids = []
        for n in range(runs):
            run = Run(
                workspace_id=workspace.id,
                agent_id=agent.id,
                created_at=start + timedelta(microseconds=n),
                **fields,
            )
            session.add(run)
            ids.append(run)
        for n in range(CLAIMERS if register else 0):
            await run_leases.sign_on(session, SYSTEM, f"w{n}")
        await session.flush()
        return agent.id, [run.id for run in ids]


async def claim(sessions: async_sessionmaker[AsyncSession], worker: str) -> Run | None:
    async with session_scope(sessions) as session:
        return await run_queue.claim(session, SYSTEM, worker, SETTINGS)


async def test_concurrent_claimers_take_each_run_once_oldest_first(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    _, run_ids = await setup(session_factory, 200)
    taken: dict[str, list[str]] = collections.defaultdict(list)

    async def claimer(worker: str) -> None:
        while (run := await claim(session_factory, worker)) is not None:
            taken[run.id].append(worker)

    await asyncio.gather(*(claimer(f"w{n}") for n in range(CLAIMERS)))
    assert set(taken) == set(run_ids)
    assert all(len(workers) == 1 for workers in taken.values())
    async with session_scope(session_factory, read_only=True) as session:
        states = dict(
            (await session.execute(select(Run.state, func.count()).group_by(Run.state))).all()
        )
        processing_events = await session.scalar(
            select(func.count()).where(Event.event_type == EventType.RUN_PROCESSING)
        )
    assert states == {RunState.PROCESSING: 200} and processing_events == 200
    # One claimer alone takes them oldest first.
    _, ordered = await setup(session_factory, 5, register=False)
    assert [(await claim(session_factory, "w0")).id for _ in ordered] == ordered  # type: ignore[union-attr]


async def test_an_agents_limit_holds_under_concurrent_claims(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    agent_id, _ = await setup(session_factory, 30, limit=3)
    results = await asyncio.gather(*(claim(session_factory, f"w{n}") for n in range(CLAIMERS)))
    assert sum(run is not None for run in results) == 3
    async with session_scope(session_factory, read_only=True) as session:
        running = await session.scalar(
            select(func.count()).where(Run.agent_id == agent_id, Run.state == RunState.PROCESSING)
        )
    assert running == 3
    finished = next(run for run in results if run is not None)
    async with session_scope(session_factory) as session:
        await run_reports.complete(
            session, SYSTEM, finished.id, finished.worker_id or "", result={}
        )
    again = await asyncio.gather(*(claim(session_factory, f"w{n}") for n in range(CLAIMERS)))
    assert sum(run is not None for run in again) == 1


async def test_lapsed_leases_are_reclaimed_then_fail_past_the_limit(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    _, (run_id,) = await setup(session_factory, 1, max_attempts=2)
    for attempt in (1, 2):
        run = await claim(session_factory, "w0")
        assert run is not None and run.id == run_id
        async with session_scope(session_factory) as session:
            await session.execute(
                update(Run).values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )
        async with session_scope(session_factory) as session:
            reclaimed = await run_leases.reclaim_expired(session, SETTINGS)
        assert [r.id for r in reclaimed] == [run_id]
        assert reclaimed[0].attempt_count == attempt
    async with session_scope(session_factory, read_only=True) as session:
        final = await session.get(Run, run_id)
        kinds = list(
            await session.scalars(
                select(Event.event_type).where(Event.run_id == run_id).order_by(Event.created_at)
            )
        )
    assert final is not None
    assert (final.state, final.failure_reason, final.worker_id) == (
        RunState.FAILED,
        "lease_expired",
        None,
    )
    assert kinds == [
        EventType.RUN_PROCESSING,
        EventType.RUN_RECLAIMED,
        EventType.RUN_PROCESSING,
        EventType.RUN_FAILED,
    ]
    assert await claim(session_factory, "w1") is None


async def test_a_held_lease_is_not_reclaimed_and_heartbeats_extend_it(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await setup(session_factory, 1)
    run = await claim(session_factory, "w0")
    assert run is not None and run.lease_expires_at is not None
    async with session_scope(session_factory) as session:
        assert await run_leases.reclaim_expired(session, SETTINGS) == []
    await asyncio.sleep(0.05)
    async with session_scope(session_factory) as session:
        beat = await run_reports.heartbeat(session, SYSTEM, run.id, "w0", SETTINGS)
    assert beat.lease_expires_at is not None and beat.lease_expires_at > run.lease_expires_at


async def test_concurrent_duplicate_keys_do_the_work_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    calls = 0

    async def request() -> nonces.RecordedResponse:
        async def work() -> nonces.RecordedResponse:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.01)  # let the duplicates pile up behind the key
            return nonces.RecordedResponse(201, {"n": calls})

        async with session_scope(session_factory) as session:
            return await nonces.once(
                session,
                scope="user:POST /x",
                key="same",
                request_hash="h",
                ttl=timedelta(minutes=5),
                work=work,
            )

    outcomes = await asyncio.gather(*(request() for _ in range(30)))
    assert calls == 1
    assert {(o.status_code, o.body["n"]) for o in outcomes if o.body} == {(201, 1)}
    assert sum(o.replayed for o in outcomes) == 29
    async with session_scope(session_factory, read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(Nonce)) == 1


async def test_batched_claims_take_each_run_once_oldest_first_within_agents_limits(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Claimers taking four at a time, concurrently, with one agent limited to three runs."""
    busy_agent, busy_runs = await setup(session_factory, 12, limit=3)
    _, free_runs = await setup(session_factory, 28, register=False)
    taken: dict[str, list[str]] = collections.defaultdict(list)
    batches: list[list[Run]] = []

    async def claim_four(worker: str, optimistic: bool) -> list[Run]:
        async with session_scope(session_factory) as session:
            return await run_queue.claim_many(
                session, SYSTEM, worker, SETTINGS, limit=4, optimistic=optimistic
            )

    async def claimer(worker: str) -> None:
        while True:
            # Half of them as the worker process claims: optimistically first, then locking.
            optimistic = int(worker[1:]) % 2 == 0
            try:
                runs = await claim_four(worker, optimistic)
            except run_queue.AgentsFilledUp:
                runs = await claim_four(worker, False)
            if not runs:
                return
            batches.append(runs)
            for run in runs:
                taken[run.id].append(worker)

    await asyncio.gather(*(claimer(f"w{n}") for n in range(6)))
    assert all(len(workers) == 1 for workers in taken.values())
    assert set(free_runs) <= set(taken)
    assert len(set(busy_runs) & set(taken)) == 3  # as many as the limited agent may run
    for batch in batches:
        assert 1 <= len(batch) <= 4
        assert [run.created_at for run in batch] == sorted(run.created_at for run in batch)
    async with session_scope(session_factory, read_only=True) as session:
        running = await session.scalar(
            select(func.count()).where(Run.agent_id == busy_agent, Run.state == RunState.PROCESSING)
        )
        events = collections.Counter(
            await session.scalars(
                select(Event.run_id).where(Event.event_type == EventType.RUN_PROCESSING)
            )
        )
    assert running == 3
    assert set(events) == set(taken) and set(events.values()) == {1}
    # One claimer alone takes the oldest first, within what the agent may still run.
    agent_id, ordered = await setup(session_factory, 6, limit=4, register=False)
    async with session_scope(session_factory) as session:
        batch = await run_queue.claim_many(
            session, SYSTEM, "w0", SETTINGS, run_queue.ClaimFilter(agent_id=agent_id), limit=10
        )
    assert [run.id for run in batch] == ordered[:4]


async def test_completing_many_completes_the_runs_still_held_and_leaves_the_others(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await setup(session_factory, 3)
    async with session_scope(session_factory) as session:
        first, second, third = await run_queue.claim_many(session, SYSTEM, "w0", SETTINGS, limit=3)
    async with session_scope(session_factory) as session:  # its lease lapsed; w1 has it now
        await session.execute(update(Run).where(Run.id == third.id).values(worker_id="w1"))
    async with session_scope(session_factory) as session:
        done = await run_reports.complete_many(
            session,
            SYSTEM,
            "w0",
            [
                run_reports.completion(first.id, {"n": 1}),
                run_reports.completion(second.id, {"n": 2}),
                run_reports.completion(third.id, {"n": 3}),
            ],
        )
    assert sorted(run.id for run in done) == sorted([first.id, second.id])
    async with session_scope(session_factory, read_only=True) as session:
        rows = dict((await session.execute(select(Run.id, Run.result))).all())
        states = dict((await session.execute(select(Run.id, Run.state))).all())
        completed = set(
            await session.scalars(
                select(Event.run_id).where(Event.event_type == EventType.RUN_COMPLETED)
            )
        )
    assert (rows[first.id], rows[second.id]) == ({"n": 1}, {"n": 2})
    assert states[third.id] is RunState.PROCESSING and rows[third.id] is None
    assert completed == {first.id, second.id}


async def test_a_later_round_passes_over_an_agent_another_claimer_holds(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A claim that already holds agents never waits for another agent's lock (that wait could
    close a cycle with a claimer holding the others): on PostgreSQL such an agent's runs are
    passed over this time. On SQLite nothing is locked per agent (BEGIN IMMEDIATE)."""
    _, first_runs = await setup(session_factory, 3, limit=1)
    second, second_runs = await setup(session_factory, 3, register=False)
    async with session_factory() as holder:
        postgres = holder.get_bind().dialect.name == "postgresql"
        if postgres:  # another claimer holds the second agent's row
            await holder.execute(
                select(Agent.id).where(Agent.id == second).with_for_update(key_share=True)
            )
        async with session_scope(session_factory) as session:
            claimed = await asyncio.wait_for(
                run_queue.claim_many(session, SYSTEM, "w0", SETTINGS, limit=3), timeout=20
            )
        await holder.rollback()
    ids = [run.id for run in claimed]
    assert ids[0] == first_runs[0]  # the first agent may run one
    assert ids[1:] == ([] if postgres else second_runs[:2])
