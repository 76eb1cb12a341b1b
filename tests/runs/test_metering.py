"""Metering on both databases: the minimum balance to start a run, and usage charged once per
(run, step) to whoever queued the run, however often a run is retried."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from praisonai_platform.billing import metering as run_usage
from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.core.actors import SYSTEM
from praisonai_platform.core.errors import Conflict, InsufficientCredits, ValidationFailed
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActorType, Agent, CreditLedgerEntry, Run, RunState
from praisonai_platform.db.types import utcnow
from praisonai_platform.runs import leases as run_leases
from praisonai_platform.runs import queue as run_queue
from praisonai_platform.runs.settings import RunSettings
from praisonai_platform.worker.context import ClaimedRun, RunContext, SyncRunContext
from tests.credits.conftest import *  # noqa: F403
from tests.credits.conftest import assert_balanced, balance_of, fund, ledger_of
from tests.factories import Person
from tests.runs.helpers import API, World, build_world, create_run, register_worker

SETTINGS = RunSettings(lease_seconds=30, heartbeat_seconds=1)
BILLING = BillingSettings(billing_enabled=True, billing_min_balance=1000)


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member)


@pytest.fixture
def billing(monkeypatch: pytest.MonkeyPatch, reload_billing: Callable[[], None]) -> None:
    monkeypatch.setenv("PLATFORM_BILLING_ENABLED", "true")
    monkeypatch.setenv("PLATFORM_BILLING_MIN_BALANCE", "1000")
    reload_billing()


async def usage(
    client: httpx.AsyncClient, person: Person, run_id: str, worker: str, step: Any, amount: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/runs/{run_id}/usage",
        json={"worker_id": worker, "step": step, "amount": amount},
        headers=person.headers,
    )


async def claim_over_api(client: httpx.AsyncClient, person: Person, run_id: str) -> str:
    worker = await register_worker(client, person)
    response = await client.post(
        f"{API}/runs/{run_id}/claim", json={"worker_id": worker}, headers=person.headers
    )
    assert response.status_code == 200, response.text
    return worker


async def run_entries(run_id: str) -> list[CreditLedgerEntry]:
    async with session_scope(read_only=True) as session:
        rows = await session.scalars(
            select(CreditLedgerEntry).where(CreditLedgerEntry.run_id == run_id)
        )
        return list(rows)


async def test_with_billing_off_runs_start_at_zero_and_nothing_is_charged(
    client: httpx.AsyncClient, world: World
) -> None:
    assert await balance_of(world.owner.id) == 0
    run = await create_run(client, world)
    worker = await claim_over_api(client, world.owner, run["id"])
    for _ in range(2):
        response = await usage(client, world.owner, run["id"], worker, 1, 500)
        assert response.status_code == 200, response.text
        assert response.json() == {"charged": False, "balance": 0, "billing_enabled": False}
    assert await run_entries(run["id"]) == []


async def test_with_billing_on_a_run_needs_the_minimum_balance(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    await fund(world.owner.id, 999)
    refused = await client.post(
        world.url("/runs"),
        # Nothing in the parameters changes billing.
        json={"agent_id": world.agent_id, "parameters": {"billing": False, "payer": "nobody"}},
        headers=world.owner.headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (402, "insufficient_credits")
    delegated = await client.post(
        world.url(f"/issues/{world.issue_key}/runs"),
        json={"agent_id": world.agent_id},
        headers=world.owner.headers,
    )
    assert (delegated.status_code, delegated.json()["code"]) == (402, "insufficient_credits")
    async with session_scope(read_only=True) as session:
        assert await session.scalar(select(Run.id).where(Run.agent_id == world.agent_id)) is None
    # The member pays for their own runs, not the owner.
    await fund(world.member.id, 1000)
    assert (await create_run(client, world, world.member))["created_by_id"] == world.member.id
    await fund(world.owner.id, 1)
    await create_run(client, world)


async def test_a_run_retried_after_a_reclaimed_lease_is_charged_once_per_step(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    await fund(world.owner.id, 10_000)
    run_id = (await create_run(client, world))["id"]
    async with session_scope() as session:
        for worker in ("worker-a", "worker-b"):
            await run_leases.sign_on(session, SYSTEM, worker)
        claimed = await run_queue.claim_run(session, SYSTEM, "worker-a", run_id, SETTINGS)
        first = RunContext(ClaimedRun.of(claimed), "worker-a", SETTINGS)
    charged = [await first.charge(step, amount) for step, amount in ((1, 100), ("2", 200))]
    assert [(c.charged, c.balance) for c in charged if c] == [(True, 9_900), (True, 9_700)]
    replay = await first.charge("1", 999)  # the same step again, whatever it now costs
    assert replay is not None and (replay.charged, replay.balance) == (False, 9_700)

    async with session_scope() as session:
        await session.execute(
            update(Run).where(Run.id == run_id).values(lease_expires_at=utcnow() - timedelta(1))
        )
    async with session_scope() as session:
        assert [r.id for r in await run_leases.reclaim_expired(session, SETTINGS)] == [run_id]
    assert await first.charge(3, 5) is None and first.lost  # no longer its run

    async with session_scope() as session:
        again = await run_queue.claim_run(session, SYSTEM, "worker-b", run_id, SETTINGS)
        assert again.attempt_count == 2  # the lapsed attempt, and this one
    second = SyncRunContext(
        RunContext(ClaimedRun.of(again), "worker-b", SETTINGS), asyncio.get_running_loop()
    )
    results = [
        await asyncio.to_thread(second.charge, step, amount)
        for step, amount in ((1, 100), (2, 200), (3, 300))
    ]
    assert [(r.charged, r.balance) for r in results if r] == [
        (False, 9_700),
        (False, 9_700),
        (True, 9_400),
    ]
    entries = await run_entries(run_id)
    assert sorted((e.details["step"], e.delta, e.user_id) for e in entries) == [
        ("1", -100, world.owner.id),
        ("2", -200, world.owner.id),
        ("3", -300, world.owner.id),
    ]
    assert await balance_of(world.owner.id) == 10_000 - 600
    await assert_balanced()


async def test_only_the_worker_holding_the_run_charges_it(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    await fund(world.owner.id, 10_000)
    run_id = (await create_run(client, world))["id"]
    holder = await claim_over_api(client, world.owner, run_id)
    idle = await register_worker(client, world.owner)
    refused = await usage(client, world.owner, run_id, idle, 1, 10)
    assert (refused.status_code, refused.json()["code"]) == (409, "run_not_held")
    # Someone else's worker, or someone outside the workspace, does not learn about the run.
    outsider_worker = await register_worker(client, world.outsider)
    hidden = await usage(client, world.outsider, run_id, outsider_worker, 1, 10)
    assert hidden.status_code == 404
    foreign = await usage(client, world.member, run_id, holder, 1, 10)
    assert foreign.status_code == 404
    assert (await usage(client, world.owner, "nope", holder, 1, 10)).status_code == 404
    anonymous = await client.post(
        f"{API}/runs/{run_id}/usage", json={"worker_id": holder, "step": 1, "amount": 1}
    )
    assert anonymous.status_code == 401
    finished = await client.post(
        f"{API}/runs/{run_id}/complete", json={"worker_id": holder}, headers=world.owner.headers
    )
    assert finished.status_code == 200
    late = await usage(client, world.owner, run_id, holder, 1, 10)
    assert (late.status_code, late.json()["code"]) == (409, "run_not_held")
    assert await run_entries(run_id) == [] and await balance_of(world.owner.id) == 10_000


async def test_the_usage_route_charges_each_step_once_end_to_end(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    await fund(world.owner.id, 1_500)
    run_id = (await create_run(client, world))["id"]
    worker = await claim_over_api(client, world.owner, run_id)
    first = await usage(client, world.owner, run_id, worker, "plan", 1_000)
    assert first.status_code == 200, first.text
    assert first.json() == {"charged": True, "balance": 500, "billing_enabled": True}
    again = await usage(client, world.owner, run_id, worker, "plan", 1_000)
    assert again.json() == {"charged": False, "balance": 500, "billing_enabled": True}
    free = await usage(client, world.owner, run_id, worker, "free", 0)
    assert free.json() == {"charged": False, "balance": 500, "billing_enabled": True}
    short = await usage(client, world.owner, run_id, worker, "build", 501)
    assert (short.status_code, short.json()["code"]) == (402, "insufficient_credits")
    for step, amount in (("", 1), ("x" * 101, 1), (-1, 1), (1, -1), (1, 10**12 + 1), (1, 1.5)):
        bad = await usage(client, world.owner, run_id, worker, step, amount)
        assert bad.status_code == 422, (step, amount, bad.text)
    assert [e.source for e in await ledger_of(world.owner.id)].count("run") == 1
    (entry,) = await run_entries(run_id)
    assert (entry.external_id, entry.delta, entry.source) == (f"{run_id}:plan", -1_000, "run")
    assert entry.actor_type is ActorType.USER and entry.actor_id == world.owner.id
    assert await balance_of(world.owner.id) == 500
    await assert_balanced()


async def test_an_agents_run_is_paid_by_its_owner_and_a_run_nobody_owns_is_refused(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    await fund(world.owner.id, 5_000)
    async with session_scope() as session:
        owner_id = await session.scalar(select(Agent.owner_id).where(Agent.id == world.agent_id))
        assert owner_id == world.owner.id
        assert await run_usage.payer_id(session, ActorType.AGENT, world.agent_id) == owner_id
        assert await run_usage.payer_id(session, ActorType.USER, world.member.id) == world.member.id
        await session.execute(update(Agent).values(owner_id=None))
        with pytest.raises(Conflict) as refused:
            await run_usage.payer_id(session, ActorType.AGENT, world.agent_id)
        assert refused.value.code == "run_has_no_payer"
        with pytest.raises(Conflict):
            await run_usage.payer_id(session, ActorType.SYSTEM, None)
        run = Run(
            workspace_id=world.workspace_id,
            agent_id=world.agent_id,
            created_by_type=ActorType.AGENT,
            created_by_id=world.agent_id,
            state=RunState.PENDING,
        )
        session.add(run)
        await run_leases.sign_on(session, SYSTEM, "worker-a")
        await session.flush()
        await run_queue.claim_run(session, SYSTEM, "worker-a", run.id, SETTINGS)
        with pytest.raises(Conflict):
            await run_usage.charge(
                session, SYSTEM, run.id, "worker-a", step=1, amount=1, settings=BILLING
            )
        for step, amount in ((" ", 1), ("a\x00", 1), (True, 1), (1, True), (1, 10**12 + 1)):
            with pytest.raises(ValidationFailed):
                await run_usage.charge(
                    session, SYSTEM, run.id, "worker-a", step=step, amount=amount, settings=BILLING
                )


async def test_the_worker_context_lets_a_refusal_through(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    await fund(world.owner.id, 1_000)
    run_id = (await create_run(client, world))["id"]
    async with session_scope() as session:
        await run_leases.sign_on(session, SYSTEM, "worker-a")
        claimed = await run_queue.claim_run(session, SYSTEM, "worker-a", run_id, SETTINGS)
    context = RunContext(ClaimedRun.of(claimed), "worker-a", SETTINGS)
    with pytest.raises(InsufficientCredits):
        await context.charge(1, 1_001)
    assert not context.lost and await balance_of(world.owner.id) == 1_000
