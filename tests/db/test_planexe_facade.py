"""Seed 002: PlanExe's services keep their `database_api` imports, `db.session`, `Model.query`
and helpers, on the platform's own tables, from a thread, a Flask app and a FastAPI app."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import flask
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from praisonai_platform.api.app import create_app
from praisonai_platform.billing import service as ledger
from praisonai_platform.core.actors import SYSTEM
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import get_engine, session_scope
from praisonai_platform.db.compat import Database
from praisonai_platform.db.compat import db as platform_db
from praisonai_platform.db.models import Agent, Nonce, Run, RunState, Worker, Workspace
from praisonai_platform.db.types import utcnow
from praisonai_platform.runs import leases as run_leases
from praisonai_platform.runs import queue as run_queue
from praisonai_platform.runs.settings import RunSettings
from tests.factories import TEST_SECRET, new_member, new_user

# Seed 002's import block, exactly as PlanExe's services write it.
SEED_002_IMPORTS = """\
from database_api.planexe_db_singleton import db
from database_api.model_event import EventType, EventItem
from database_api.model_planitem import PlanItem, PlanState
from database_api.model_worker import WorkerItem
from database_api.model_nonce import NonceItem
from database_api.model_user_account import UserAccount
from database_api.model_user_provider import UserProvider
from database_api.model_user_api_key import UserApiKey
from database_api.model_credit_history import CreditHistory
from database_api.model_payment_record import PaymentRecord
"""


def planexe_names() -> dict[str, Any]:
    names: dict[str, Any] = {}
    exec(SEED_002_IMPORTS, names)
    return names


P = planexe_names()


def report_progress(worker_id: str, plan_id: str, percentage: float, message: str) -> str:
    """A PlanExe-style service function: heartbeat, then update the plan through Model.query."""
    db, PlanItem, WorkerItem = P["db"], P["PlanItem"], P["WorkerItem"]
    WorkerItem.upsert_heartbeat(worker_id, current_task_id=plan_id)
    plan = PlanItem.query.filter_by(id=plan_id).one()
    plan.progress_percentage = percentage
    plan.progress_message = message
    plan.last_seen_timestamp = utcnow()
    db.session.commit()
    return str(plan.id)


@pytest.fixture
def facade(db_url: str) -> Iterator[Database]:
    platform_db.configure(db_url)
    yield platform_db
    platform_db.configure(None)


async def queued_plan(**fields: Any) -> tuple[str, str]:
    """A workspace with an agent and one pending run; (workspace id, run id)."""
    async with session_scope() as session:
        workspace = Workspace(name="PlanExe", slug=f"planexe-{utcnow().timestamp()}")
        session.add(workspace)
        await session.flush()
        agent = Agent(workspace_id=workspace.id, name="planner", max_concurrent_tasks=1000)
        session.add(agent)
        await session.flush()
        run = Run(
            workspace_id=workspace.id, agent_id=agent.id, parameters={"prompt": "x"}, **fields
        )
        session.add(run)
        await session.flush()
        return workspace.id, run.id


async def stored(run_id: str, worker_id: str) -> tuple[Run, Worker]:
    async with session_scope(read_only=True) as session:
        run = await session.get(Run, run_id)
        worker = await session.get(Worker, worker_id)
        assert run is not None and worker is not None
        return run, worker


def test_the_seed_002_names_are_the_platform_models() -> None:
    assert P["db"] is platform_db
    assert P["db"].Model.metadata is Run.metadata
    assert P["PlanItem"].__table__ is Run.__table__
    assert P["WorkerItem"].__table__ is Worker.__table__
    assert P["NonceItem"].__table__ is Nonce.__table__
    assert [state.value for state in P["PlanState"]] == [state.value for state in RunState]
    assert P["PlanState"].pending == RunState.PENDING
    assert {"run_processing", "run_completed"} <= {e.value for e in P["EventType"]}
    for name in ("UserAccount", "UserProvider", "UserApiKey", "CreditHistory", "PaymentRecord"):
        assert inspect.getattr_static(P[name], "query") is inspect.getattr_static(Run, "query")


async def test_a_service_function_runs_in_a_plain_thread(facade: Database, db_url: str) -> None:
    get_engine(db_url)
    _, run_id = await queued_plan()
    outcome: list[str] = []

    def job() -> None:
        with facade.app_context():
            outcome.append(report_progress("thread-worker", run_id, 42.5, "halfway"))

    thread = threading.Thread(target=job)
    thread.start()
    await asyncio.to_thread(thread.join)
    assert outcome == [run_id]
    run, worker = await stored(run_id, "thread-worker")
    assert (run.progress_percentage, run.progress_message) == (42.5, "halfway")
    assert run.last_seen_at is not None
    assert worker.current_run_id == run_id


async def test_a_service_function_runs_inside_a_flask_app(facade: Database, db_url: str) -> None:
    get_engine(db_url)
    _, run_id = await queued_plan()
    app = flask.Flask("planexe")
    app.config["SQLALCHEMY_DATABASE_URI"] = db_url.replace("+aiosqlite", "").replace(
        "+asyncpg", "+psycopg"
    )
    facade.init_app(app)

    @app.post("/progress/<plan_id>")
    def progress(plan_id: str) -> dict[str, str]:
        return {"id": report_progress("flask-worker", plan_id, 10.0, "from flask")}

    @app.post("/fail/<plan_id>")
    def fail(plan_id: str) -> dict[str, str]:
        plan = P["PlanItem"].query.filter_by(id=plan_id).one()
        plan.progress_message = "never committed"
        P["db"].session.flush()
        raise RuntimeError("the handler failed")

    def calls() -> tuple[int, int]:
        client = app.test_client()
        ok = client.post(f"/progress/{run_id}").status_code
        app.testing = False
        failed = client.post(f"/fail/{run_id}").status_code
        return ok, failed

    assert await asyncio.to_thread(calls) == (200, 500)
    run, worker = await stored(run_id, "flask-worker")
    assert (run.progress_percentage, run.progress_message) == (10.0, "from flask")
    assert worker.current_run_id == run_id


async def test_a_service_function_runs_inside_a_fastapi_route(
    facade: Database, db_url: str
) -> None:
    get_engine(db_url)
    workspace_id, run_id = await queued_plan()
    owner = await new_user(ServerSettings(jwt_secret=TEST_SECRET, env="test"), "owner")
    await new_member(workspace_id, owner, "owner")
    app: FastAPI = create_app(ServerSettings(jwt_secret=TEST_SECRET, env="test"))
    facade.init_app(app)

    @app.post("/planexe/progress/{plan_id}")
    def progress(plan_id: str) -> dict[str, str]:  # a sync route: it runs in a thread
        return {"id": report_progress("fastapi-worker", plan_id, 75.0, "from fastapi")}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.post(f"/planexe/progress/{run_id}")).json() == {"id": run_id}
        seen = await client.get(
            f"/api/v1/workspaces/{workspace_id}/runs/{run_id}", headers=owner.headers
        )
    assert seen.status_code == 200, seen.text
    assert (seen.json()["progress_percentage"], seen.json()["progress_message"]) == (
        75.0,
        "from fastapi",
    )
    _, worker = await stored(run_id, "fastapi-worker")
    assert worker.current_run_id == run_id


async def test_heartbeats_from_threads_and_async_claims_lose_and_double_nothing(
    facade: Database, db_url: str
) -> None:
    get_engine(db_url)
    settings = RunSettings(lease_seconds=30, heartbeat_seconds=1)
    async with session_scope() as session:
        workspace = Workspace(name="C", slug="concurrent")
        session.add(workspace)
        await session.flush()
        agent = Agent(workspace_id=workspace.id, name="A", max_concurrent_tasks=1000)
        session.add(agent)
        await session.flush()
        start = utcnow()
        for n in range(20):
            session.add(
                Run(
                    workspace_id=workspace.id,
                    agent_id=agent.id,
                    created_at=start + timedelta(microseconds=n),
                )
            )
        for n in range(20):
            await run_leases.sign_on(session, SYSTEM, f"claimer-{n}")
    beats = 5

    def heartbeat(n: int) -> None:
        with facade.app_context():
            for _ in range(beats):
                P["WorkerItem"].upsert_heartbeat(f"planexe-{n}", current_task_id=None)
                P["NonceItem"].get_or_create("shared-nonce", {"from": n})

    async def claim(n: int) -> str | None:
        async with session_scope() as session:
            run = await run_queue.claim(session, SYSTEM, f"claimer-{n}", settings)
            return run.id if run else None

    threads = [threading.Thread(target=heartbeat, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    claimed = await asyncio.gather(*(claim(n) for n in range(20)))
    for thread in threads:
        await asyncio.to_thread(thread.join)

    assert None not in claimed and len(set(claimed)) == 20
    async with session_scope(read_only=True) as session:
        planexe_workers = await session.scalar(
            select(func.count()).select_from(Worker).where(Worker.id.like("planexe-%"))
        )
        nonce = (
            await session.execute(select(Nonce).where(Nonce.key == "shared-nonce"))
        ).scalar_one()
        processing = await session.scalar(
            select(func.count()).select_from(Run).where(Run.state == RunState.PROCESSING)
        )
    assert planexe_workers == 20
    assert nonce.request_count == 20 * beats
    assert processing == 20


async def test_nonces_count_requests_and_only_the_first_is_new(
    facade: Database, db_url: str
) -> None:
    get_engine(db_url)

    def twice() -> list[tuple[int, bool]]:
        with facade.app_context():
            first, new = P["NonceItem"].get_or_create("run-once", {"ip": "192.0.2.1"})
            counts = [(first.request_count, new)]
            again, new_again = P["NonceItem"].get_or_create("run-once")
            counts.append((again.request_count, new_again))
            assert again.nonce_key == "run-once"
            assert again.context == {"ip": "192.0.2.1"}
            return counts

    assert await asyncio.to_thread(twice) == [(1, True), (2, False)]


async def test_unsafe_planexe_writes_are_refused_with_the_safe_call(
    facade: Database, db_url: str
) -> None:
    get_engine(db_url)
    person = await new_user(ServerSettings(jwt_secret=TEST_SECRET, env="test"), "payer")
    UnsafeOperation = P["CreditHistory"].adjust.__globals__["UnsafeOperation"]

    def planexe_style() -> list[str]:
        refusals = []
        with facade.app_context():
            entry = P["CreditHistory"].adjust(person.id, 500, "top-up")
            assert entry.balance_after == 500
            account = P["db"].session.get(P["UserAccount"], person.id)
            account.credit_balance += 100
            with pytest.raises(UnsafeOperation) as refused:
                P["db"].session.commit()
            refusals.append(str(refused.value))
            P["db"].session.rollback()
            entry = P["db"].session.get(P["CreditHistory"], entry.id)
            entry.delta = 1_000_000
            with pytest.raises(UnsafeOperation) as refused:
                P["db"].session.commit()
            refusals.append(str(refused.value))
        return refusals

    refusals = await asyncio.to_thread(planexe_style)
    assert all("CreditHistory.adjust" in message for message in refusals)
    async with session_scope(read_only=True) as session:
        assert await ledger.balance(session, person.id) == 500
        checked, mismatches = await ledger.verify(session)
    assert checked >= 1 and mismatches == []
