"""Attacker scenarios on credits: money moves only by its owner's leave.

Bob, a member of Alice's workspace, takes a run Alice queued and reports usage on it to drain her
credits; an agent's key charges a run of another agent; concurrent reports race past a run's
budget. Each is refused, charges nothing, and shows Bob nothing of Alice's balance.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from praisonai_platform.core.actors import SYSTEM
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import CreditLedgerEntry, Run, RunState
from praisonai_platform.runs import queue as run_queue
from praisonai_platform.runs.settings import RunSettings
from tests.credits.conftest import *  # noqa: F403
from tests.credits.conftest import CREDIT, assert_balanced, balance_of, fund
from tests.factories import create_api_key, key_headers
from tests.runs.helpers import API, World, build_world, create_run

SETTINGS = RunSettings(lease_seconds=30, heartbeat_seconds=1)


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member)


@pytest.fixture
def billing(monkeypatch: pytest.MonkeyPatch, reload_billing: Callable[[], None]) -> None:
    monkeypatch.setenv("PLATFORM_BILLING_ENABLED", "true")
    monkeypatch.setenv("PLATFORM_BILLING_MIN_BALANCE", "0")
    reload_billing()


async def usage(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    run_id: str,
    worker: str,
    step: str | int,
    amount: int,
) -> httpx.Response:
    return await client.post(
        f"{API}/runs/{run_id}/usage",
        json={"worker_id": worker, "step": step, "amount": amount},
        headers=headers,
    )


async def hold(client: httpx.AsyncClient, headers: dict[str, str], run_id: str) -> str:
    """A worker registered with `headers` holds the run: claimed over the API where the queue
    lets it, else handed to it directly (as a worker whose settings reach the run would)."""
    response = await client.post(f"{API}/workers/register", json={}, headers=headers)
    assert response.status_code == 201, response.text
    worker = str(response.json()["id"])
    claimed = await client.post(
        f"{API}/runs/{run_id}/claim", json={"worker_id": worker}, headers=headers
    )
    if claimed.status_code != 200:
        assert 400 <= claimed.status_code < 500, claimed.text
        async with session_scope() as session:
            await run_queue.claim_run(session, SYSTEM, worker, run_id, SETTINGS)
    return worker


async def run_charges(run_id: str) -> list[CreditLedgerEntry]:
    async with session_scope(read_only=True) as session:
        rows = await session.scalars(
            select(CreditLedgerEntry).where(CreditLedgerEntry.run_id == run_id)
        )
        return list(rows)


async def load_run(run_id: str) -> Run:
    async with session_scope(read_only=True) as session:
        run = await session.get(Run, run_id)
        assert run is not None
        return run


async def test_bob_cannot_drain_alices_credits_through_a_run_she_queued(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    alice, bob = world.owner, world.member
    await fund(alice.id, 100 * CREDIT)
    run_id = (await create_run(client, world, alice))["id"]
    worker = await hold(client, bob.headers, run_id)

    refused = await usage(client, bob.headers, run_id, worker, "steal", 49 * CREDIT)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "not_authorised_to_charge"
    assert "balance" not in refused.json() and str(100 * CREDIT) not in refused.text
    assert await balance_of(alice.id) == 100 * CREDIT
    assert await run_charges(run_id) == []
    assert (await load_run(run_id)).spent == 0
    # Bob may still do the work he took, for free: it ends as he reports it.
    done = await client.post(
        f"{API}/runs/{run_id}/complete", json={"worker_id": worker}, headers=bob.headers
    )
    assert done.status_code == 200, done.text
    assert await balance_of(alice.id) == 100 * CREDIT
    await assert_balanced()


async def test_with_billing_off_a_stranger_to_the_payer_is_refused_all_the_same(
    client: httpx.AsyncClient, world: World
) -> None:
    await fund(world.owner.id, 5 * CREDIT)
    run_id = (await create_run(client, world))["id"]
    worker = await hold(client, world.member.headers, run_id)
    refused = await usage(client, world.member.headers, run_id, worker, 1, 0)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_authorised_to_charge")
    assert str(5 * CREDIT) not in refused.text


async def test_an_admin_of_the_workspace_cannot_charge_a_members_run_either(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    await fund(world.member.id, 10 * CREDIT)
    run_id = (await create_run(client, world, world.member))["id"]
    for thief in (world.owner, world.admin):
        async with session_scope() as session:  # the previous holder lets go of it
            run = await session.get(Run, run_id)
            assert run is not None
            run.state, run.worker_id = RunState.PENDING, None
        worker = await hold(client, thief.headers, run_id)
        refused = await usage(client, thief.headers, run_id, worker, "x", CREDIT)
        assert (refused.status_code, refused.json()["code"]) == (403, "not_authorised_to_charge")
    assert await balance_of(world.member.id) == 10 * CREDIT
    assert await run_charges(run_id) == []


async def test_a_key_of_another_agent_cannot_charge_the_run(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    alice = world.owner
    await fund(alice.id, 10 * CREDIT)
    other = await client.post(world.url("/agents/"), json={"name": "Other"}, headers=alice.headers)
    assert other.status_code == 201, other.text
    # Alice's own key, but bound to an agent the run is not for.
    key = await create_api_key(client, alice, agent_id=other.json()["id"])
    headers = key_headers(key["key"])
    run_id = (await create_run(client, world, alice))["id"]
    worker = await hold(client, headers, run_id)
    refused = await usage(client, headers, run_id, worker, 1, CREDIT)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_authorised_to_charge")
    assert await balance_of(alice.id) == 10 * CREDIT
    assert await run_charges(run_id) == []


async def test_a_key_of_the_runs_agent_charges_it_without_seeing_the_balance(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    alice = world.owner
    await fund(alice.id, 10 * CREDIT)
    key = await create_api_key(client, alice, agent_id=world.agent_id)
    headers = key_headers(key["key"])
    run_id = (await create_run(client, world, alice))["id"]
    worker = await hold(client, headers, run_id)
    charged = await usage(client, headers, run_id, worker, 1, 3 * CREDIT)
    assert charged.status_code == 200, charged.text
    assert charged.json() == {"charged": True, "balance": None, "billing_enabled": True}
    assert await balance_of(alice.id) == 7 * CREDIT
    assert (await load_run(run_id)).spent == 3 * CREDIT


async def test_concurrent_reports_never_take_a_run_past_its_budget(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    """30 reports of one credit each race on a run with a budget of 10.5 credits: exactly ten
    are charged, the eleventh fails the run, the rest find it failed."""
    alice = world.owner
    await fund(alice.id, 100 * CREDIT)
    budget = 10 * CREDIT + CREDIT // 2
    run_id = (await create_run(client, world, alice, budget=budget))["id"]
    worker = await hold(client, alice.headers, run_id)

    responses = await asyncio.gather(
        *(usage(client, alice.headers, run_id, worker, step, CREDIT) for step in range(30))
    )
    outcomes = Counter(
        "charged" if r.status_code == 200 else f"{r.status_code} {r.json()['code']}"
        for r in responses
    )
    assert outcomes == {
        "charged": 10,
        "409 budget_exceeded": 1,
        "409 run_not_held": 19,
    }, outcomes
    assert all(r.json()["charged"] for r in responses if r.status_code == 200)
    run = await load_run(run_id)
    assert (run.state, run.failure_reason, run.spent) == (
        RunState.FAILED,
        "budget_exceeded",
        10 * CREDIT,
    )
    charges = await run_charges(run_id)
    assert len(charges) == 10 and -sum(e.delta for e in charges) == 10 * CREDIT
    assert await balance_of(alice.id) == 90 * CREDIT
    await assert_balanced()


async def test_the_database_refuses_a_run_spending_past_its_budget(
    client: httpx.AsyncClient, world: World
) -> None:
    """Whatever code writes the run, what it spent stays within its budget."""
    run_id = (await create_run(client, world, budget=100))["id"]
    with pytest.raises(IntegrityError):
        async with session_scope() as session:
            await session.execute(update(Run).where(Run.id == run_id).values(spent=101))
    with pytest.raises(IntegrityError):
        async with session_scope() as session:
            await session.execute(update(Run).where(Run.id == run_id).values(budget=0))
    assert (await load_run(run_id)).spent == 0
