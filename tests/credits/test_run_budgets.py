"""Run budgets and who may charge a run, on both databases: the budget is validated where runs
are queued (API, SDK, CLI), shown on the run, and enforced for remote workers and the server's
own; the payer's own key charges and sees the balance, nobody else sees it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.cli import run_commands
from praisonai_platform.client import AsyncPlatformClient
from praisonai_platform.core.actors import SYSTEM, Actor
from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.core.limits import MAX_RUN_BUDGET
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import CreditLedgerEntry, EventType, Run, RunState, User
from praisonai_platform.runs import leases as run_leases
from praisonai_platform.runs import queue as run_queue
from praisonai_platform.runs import service as runs
from praisonai_platform.runs.settings import RunSettings
from praisonai_platform.worker.context import ClaimedRun, RunContext
from tests.credits.conftest import *  # noqa: F403
from tests.credits.conftest import CREDIT, assert_balanced, balance_of, fund
from tests.factories import create_api_key, key_headers
from tests.runs.helpers import API, World, build_world, create_run, register_worker, run_events

SETTINGS = RunSettings(lease_seconds=30, heartbeat_seconds=1)
BILLING = BillingSettings(billing_enabled=True, billing_min_balance=0)


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member)


@pytest.fixture
def billing(monkeypatch: pytest.MonkeyPatch, reload_billing: Callable[[], None]) -> None:
    monkeypatch.setenv("PLATFORM_BILLING_ENABLED", "true")
    reload_billing()


async def claim(client: httpx.AsyncClient, headers: dict[str, str], run_id: str) -> str:
    response = await client.post(f"{API}/workers/register", json={}, headers=headers)
    assert response.status_code == 201, response.text
    worker = str(response.json()["id"])
    claimed = await client.post(
        f"{API}/runs/{run_id}/claim", json={"worker_id": worker}, headers=headers
    )
    assert claimed.status_code == 200, claimed.text
    return worker


async def usage(
    client: httpx.AsyncClient, headers: dict[str, str], run_id: str, worker: str, step: Any,
    amount: int,
) -> httpx.Response:  # fmt: skip
    return await client.post(
        f"{API}/runs/{run_id}/usage",
        json={"worker_id": worker, "step": step, "amount": amount},
        headers=headers,
    )


async def load_run(run_id: str) -> Run:
    async with session_scope(read_only=True) as session:
        run = await session.get(Run, run_id)
        assert run is not None
        return run


async def test_a_budget_is_validated_and_shown_on_the_run(
    client: httpx.AsyncClient, world: World
) -> None:
    for bad in (0, -1, MAX_RUN_BUDGET + 1, 1.5, "5", True):
        for path, body in (
            ("/runs", {"agent_id": world.agent_id}),
            (f"/issues/{world.issue_key}/runs", {"agent_id": world.agent_id}),
        ):
            refused = await client.post(
                world.url(path), json={**body, "budget": bad}, headers=world.owner.headers
            )
            assert refused.status_code == 422, (bad, refused.text)
            assert refused.json()["code"] == "validation_failed"
            assert refused.json()["detail"][0]["loc"][-1] == "budget"
    capped = await create_run(client, world, budget=MAX_RUN_BUDGET)
    assert (capped["budget"], capped["spent"]) == (MAX_RUN_BUDGET, 0)
    unlimited = await create_run(client, world)
    assert (unlimited["budget"], unlimited["spent"]) == (None, 0)
    delegated = await client.post(
        world.url(f"/issues/{world.issue_key}/runs"),
        json={"agent_id": world.agent_id, "budget": 5 * CREDIT},
        headers=world.member.headers,
    )
    assert delegated.status_code == 201, delegated.text
    assert delegated.json()["budget"] == 5 * CREDIT
    listed = await client.get(world.url("/runs"), headers=world.member.headers)
    assert {r["id"]: r["budget"] for r in listed.json()}[delegated.json()["id"]] == 5 * CREDIT


async def test_the_service_refuses_a_bad_budget_from_any_caller(
    client: httpx.AsyncClient, world: World
) -> None:
    async with session_scope() as session:
        owner = await session.get(User, world.owner.id)
        assert owner is not None
        for bad in (0, -5, MAX_RUN_BUDGET + 1, True, 2.0):
            with pytest.raises(ValidationFailed) as refused:
                await runs.create(
                    session,
                    Actor.for_user(owner),
                    world.workspace_id,
                    agent_id=world.agent_id,
                    billing=BILLING,
                    budget=bad,  # type: ignore[arg-type]
                )
            assert refused.value.code == "invalid_budget"


async def test_the_servers_own_worker_charges_within_the_budget_and_fails_the_run_past_it(
    client: httpx.AsyncClient, world: World
) -> None:
    await fund(world.owner.id, 100 * CREDIT)
    run_id = (await create_run(client, world, budget=10 * CREDIT, max_attempts=3))["id"]
    async with session_scope() as session:
        await run_leases.sign_on(session, SYSTEM, "own-worker")
        claimed = await run_queue.claim_run(session, SYSTEM, "own-worker", run_id, SETTINGS)
    context = RunContext(ClaimedRun.of(claimed), "own-worker", SETTINGS, billing=BILLING)

    first = await context.charge("plan", 6 * CREDIT)
    assert first is not None and (first.charged, first.balance) == (True, 94 * CREDIT)
    again = await context.charge("plan", 9 * CREDIT)  # a step is charged once
    assert again is not None and (again.charged, again.budget_exceeded) == (False, False)
    over = await context.charge("build", 5 * CREDIT)
    assert over is not None and (over.charged, over.budget_exceeded) == (False, True)
    assert context.should_stop  # the handler is told its run is over

    run = await load_run(run_id)
    # Failed for good, attempts left or not: another attempt would cost the same again.
    assert (run.state, run.failure_reason, run.spent, run.worker_id) == (
        RunState.FAILED,
        "budget_exceeded",
        6 * CREDIT,
        None,
    )
    assert "budget" in (run.failure_message or "")
    assert (await run_events(run_id))[-1] is EventType.RUN_FAILED
    assert await context.charge("late", 1) is None and context.lost
    assert await balance_of(world.owner.id) == 94 * CREDIT
    await assert_balanced()


async def test_a_retried_run_counts_what_it_spent_across_attempts(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    await fund(world.owner.id, 100 * CREDIT)
    run_id = (await create_run(client, world, budget=5 * CREDIT))["id"]
    worker = await claim(client, world.owner.headers, run_id)
    assert (await usage(client, world.owner.headers, run_id, worker, 1, 3 * CREDIT)).json()[
        "charged"
    ]
    failed = await client.post(
        f"{API}/runs/{run_id}/fail", json={"worker_id": worker}, headers=world.owner.headers
    )
    assert failed.json()["state"] == "pending"
    worker = await claim(client, world.owner.headers, run_id)
    replay = await usage(client, world.owner.headers, run_id, worker, 1, 3 * CREDIT)
    assert replay.json() == {"charged": False, "balance": 97 * CREDIT, "billing_enabled": True}
    over = await usage(client, world.owner.headers, run_id, worker, 2, 3 * CREDIT)
    assert (over.status_code, over.json()["code"]) == (409, "budget_exceeded")
    shown = await client.get(f"{API}/runs/{run_id}", headers=world.owner.headers)
    assert shown.json()["state"] == "failed" and shown.json()["failure_reason"] == "budget_exceeded"
    assert (shown.json()["spent"], shown.json()["budget"]) == (3 * CREDIT, 5 * CREDIT)
    assert await balance_of(world.owner.id) == 97 * CREDIT


async def test_the_payers_own_key_charges_and_sees_the_balance(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    await fund(world.member.id, 10 * CREDIT)
    run_id = (await create_run(client, world, world.member, budget=4 * CREDIT))["id"]
    key = await create_api_key(client, world.member, workspace_id=world.workspace_id)
    headers = key_headers(key["key"])
    worker = await claim(client, headers, run_id)
    charged = await usage(client, headers, run_id, worker, "a", 4 * CREDIT)
    assert charged.json() == {"charged": True, "balance": 6 * CREDIT, "billing_enabled": True}
    async with session_scope(read_only=True) as session:
        entry = await session.scalar(
            select(CreditLedgerEntry).where(CreditLedgerEntry.run_id == run_id)
        )
    assert entry is not None and entry.api_key_id == key["id"]
    assert (await load_run(run_id)).spent == 4 * CREDIT


async def test_with_billing_off_a_budget_charges_and_fails_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    run_id = (await create_run(client, world, budget=1))["id"]
    worker = await claim(client, world.owner.headers, run_id)
    response = await usage(client, world.owner.headers, run_id, worker, 1, 10 * CREDIT)
    assert response.json() == {"charged": False, "balance": 0, "billing_enabled": False}
    run = await load_run(run_id)
    assert (run.state, run.spent) == (RunState.PROCESSING, 0)


async def test_a_worker_of_someone_else_sees_no_balance_in_any_answer(
    client: httpx.AsyncClient, world: World, billing: None
) -> None:
    await fund(world.owner.id, 7 * CREDIT)
    run_id = (await create_run(client, world))["id"]
    worker = await register_worker(client, world.member)
    async with session_scope() as session:
        await run_queue.claim_run(session, SYSTEM, worker, run_id, SETTINGS)
    for step, amount in ((1, 0), (2, CREDIT)):
        refused = await usage(client, world.member.headers, run_id, worker, step, amount)
        assert refused.status_code == 403
        assert str(7 * CREDIT) not in refused.text and "balance" not in refused.json()


async def test_the_sdk_queues_runs_with_a_budget(app: FastAPI, world: World) -> None:
    transport = httpx.ASGITransport(app=app)
    async with AsyncPlatformClient(
        "http://testserver", token=world.owner.token, transport=transport
    ) as api:
        run = await api.runs.create(world.workspace_id, world.agent_id, budget=2 * CREDIT)
        delegated = await api.runs.delegate(
            world.workspace_id, world.issue_key, agent_id=world.agent_id, budget=3 * CREDIT
        )
        plain = await api.runs.create(world.workspace_id, world.agent_id)
    assert (run.budget, run.spent, delegated.budget, plain.budget) == (
        2 * CREDIT,
        0,
        3 * CREDIT,
        None,
    )


def test_the_cli_passes_the_budget_on(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []

    def record(*args: Any, **fields: Any) -> SimpleNamespace:
        sent.append(fields)
        return SimpleNamespace(id="run-1")

    agent = SimpleNamespace(id="agent-1", name="Coder")
    fake = SimpleNamespace(
        runs=SimpleNamespace(create=record, delegate=record),
        agents=SimpleNamespace(iter=lambda workspace_id: iter([agent])),
    )

    @contextmanager
    def connect(url: str | None) -> Iterator[SimpleNamespace]:
        yield fake

    connection = run_commands.connection
    monkeypatch.setattr(connection, "connect", connect)
    monkeypatch.setattr(connection, "workspace", lambda client, ref: SimpleNamespace(id="ws-1"))
    monkeypatch.setattr(
        connection,
        "issue",
        lambda client, key, ref: SimpleNamespace(workspace_id="ws-1", id="i-1", identifier=key),
    )
    runner = CliRunner()
    for arguments in (["--agent", "Coder"], ["ENG-1"]):
        result = runner.invoke(run_commands.app, ["create", *arguments, "--budget", "2500000"])
        assert result.exit_code == 0, result.output
    assert [fields["budget"] for fields in sent] == [2_500_000, 2_500_000]
    refused = runner.invoke(run_commands.app, ["create", "--agent", "Coder", "--budget", "0"])
    assert refused.exit_code != 0
