"""Routes of /api/v1/workers: remote workers register, heartbeat, claim runs and sign off.

A worker registered through the API belongs to the person whose credential registered it; only
that person may act as it, and it takes runs of their workspaces only (of their agent only,
for an agent's API key): of the workspaces and agents its claims name, or, naming none, the
runs its person queued.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.core import idempotency as nonces
from praisonai_platform.runs import leases as run_leases
from praisonai_platform.runs import queue as run_queue
from praisonai_platform.runs.deps import IdempotencyKey, RunConfig, respond_once
from praisonai_platform.runs.queue import ClaimFilter
from praisonai_platform.runs.rechecks import may_hold
from praisonai_platform.runs.schemas import RunResponse
from praisonai_platform.runs.workers import service as workers
from praisonai_platform.runs.workers.schemas import (
    HeartbeatResponse,
    HeldRunResponse,
    WorkerClaim,
    WorkerHeartbeat,
    WorkerRegister,
    WorkerResponse,
    WorkerStatus,
)

router = APIRouter(tags=["workers"])


@router.post("/workers/register", status_code=201, response_model=WorkerResponse)
async def register_worker(
    body: WorkerRegister, actor: CurrentActor, session: DbSession
) -> WorkerResponse:
    """Register a worker; it is online from now. Registering yours again means it restarted:
    the runs it held go back to the queue."""
    fields = body.model_dump()
    worker = await run_leases.sign_on(session, actor, fields.pop("id"), **fields)
    return WorkerResponse.of(worker, "online")


@router.get("/workers", response_model=list[WorkerResponse])
async def list_workers(
    actor: CurrentActor,
    session: DbSession,
    settings: RunConfig,
    listing: ListPaging,
    status: Annotated[WorkerStatus | None, Query(description="Only workers in this state.")] = None,
) -> list[WorkerResponse]:
    """Your workers (administrators, with a session or a full API key: every worker; their
    read-only or workspace-limited keys see their own), newest first, with their status: `online`
    (heartbeating), `stale` (silent for PLATFORM_RUN_WORKER_STALE_SECONDS) or `offline`."""
    page = await workers.list_workers(session, actor, settings, listing.page, status=status)
    return [WorkerResponse.of(v.worker, v.status) for v in listing.items(page)]


@router.get("/workers/{worker_id}", response_model=WorkerResponse)
async def get_worker(
    worker_id: str, actor: CurrentActor, session: DbSession, settings: RunConfig
) -> WorkerResponse:
    view = await workers.get(session, actor, settings, worker_id)
    return WorkerResponse.of(view.worker, view.status)


@router.post("/workers/{worker_id}/heartbeat", response_model=HeartbeatResponse)
async def heartbeat_worker(
    worker_id: str,
    body: WorkerHeartbeat,
    actor: CurrentActor,
    session: DbSession,
    settings: RunConfig,
) -> HeartbeatResponse:
    """I am alive: extends the leases of the runs the worker holds (or of `run_ids` among them)
    and lists them, each with whether a stop was asked for. A run missing from the list is no
    longer yours."""
    beat = await workers.heartbeat(
        session,
        actor,
        worker_id,
        settings,
        current_run_id=(
            body.current_run_id if "current_run_id" in body.model_fields_set else workers.UNCHANGED
        ),
        run_ids=body.run_ids,
    )
    return HeartbeatResponse(
        worker=WorkerResponse.of(beat.worker, "online"),
        runs=[HeldRunResponse(id=run.id, stop_requested=run.stop_requested) for run in beat.runs],
    )


@router.post(
    "/workers/{worker_id}/claim",
    response_model=RunResponse,
    responses={204: {"description": "Nothing to claim now; ask again later."}},
)
async def claim_next_run(
    worker_id: str,
    body: WorkerClaim,
    actor: CurrentActor,
    session: DbSession,
    settings: RunConfig,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Take the oldest pending run you may work on: of the workspaces and agents named, or,
    naming none, one you queued (directly or through an agent you own). It is yours until its
    lease lapses; heartbeat to keep it. With an Idempotency-Key, a repeated claim (its answer
    was lost) gets the same run instead of a second one."""

    async def work() -> nonces.RecordedResponse:
        filters = ClaimFilter(
            agent_id=body.agent_id,
            workspace_id=body.workspace_id,
            workspace_ids=tuple(body.workspace_ids or ()),
            agent_ids=tuple(body.agent_ids or ()),
        )
        run = await run_queue.claim(session, actor, worker_id, settings, filters)
        if run is None:
            return nonces.RecordedResponse(204, None)
        return nonces.RecordedResponse(200, RunResponse.model_validate(run).model_dump(mode="json"))

    recheck = may_hold(session, actor, worker_id)
    return await respond_once(
        session, actor, request, settings, idempotency_key, body, work, recheck
    )


@router.post("/workers/{worker_id}/offline", response_model=WorkerResponse)
async def worker_offline(worker_id: str, actor: CurrentActor, session: DbSession) -> WorkerResponse:
    """The worker stops: the runs it holds go back to the queue (stopped, if a stop was asked
    for), and it is listed offline."""
    return WorkerResponse.of(await run_leases.sign_off(session, actor, worker_id), "offline")
