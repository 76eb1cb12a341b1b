"""Routes of /api/v1/runs/{run_id}/…: a remote worker claims a run and reports on it.

Every report names the worker (`worker_id`); only the worker holding the run may report on it
(409 `run_not_held` otherwise, e.g. after its lease lapsed and the run went to another worker).
"""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import JSONResponse

from praisonai_platform.api.deps import BillingConfig, CurrentActor, DbSession
from praisonai_platform.api.errors import error_response
from praisonai_platform.api.routing import APIRouter
from praisonai_platform.billing import metering as run_usage
from praisonai_platform.core.schemas import ErrorResponse
from praisonai_platform.runs import queue as run_queue
from praisonai_platform.runs import service as runs
from praisonai_platform.runs.deps import RunConfig
from praisonai_platform.runs.reports import service as run_reports
from praisonai_platform.runs.schemas import (
    RunComplete,
    RunEventCreate,
    RunFail,
    RunProgress,
    RunResponse,
    RunStopped,
    RunUsage,
    RunUsageResponse,
    WorkerRef,
)

router = APIRouter(prefix="/runs/{run_id}", tags=["workers"])


@router.get("", response_model=RunResponse)
async def get_run(run_id: str, actor: CurrentActor, session: DbSession) -> RunResponse:
    """A run by id (members of its workspace)."""
    return RunResponse.model_validate(await runs.get_by_id(session, actor, run_id))


@router.post("/claim", response_model=RunResponse)
async def claim_run(
    run_id: str, body: WorkerRef, actor: CurrentActor, session: DbSession, settings: RunConfig
) -> RunResponse:
    """Take this pending run; 409 if it is not pending or its agent is at its limit."""
    run = await run_queue.claim_run(session, actor, body.worker_id, run_id, settings)
    return RunResponse.model_validate(run)


@router.post("/heartbeat", response_model=RunResponse)
async def heartbeat_run(
    run_id: str, body: WorkerRef, actor: CurrentActor, session: DbSession, settings: RunConfig
) -> RunResponse:
    """Extend the lease; `stop_requested` in the answer says whether to stop."""
    run = await run_reports.heartbeat(session, actor, run_id, body.worker_id, settings)
    return RunResponse.model_validate(run)


@router.post("/progress", response_model=RunResponse)
async def report_progress(
    run_id: str, body: RunProgress, actor: CurrentActor, session: DbSession, settings: RunConfig
) -> RunResponse:
    """Progress (fields left out keep their value); extends the lease too."""
    fields = body.model_dump(exclude={"worker_id"})
    run = await run_reports.progress(session, actor, run_id, body.worker_id, settings, **fields)
    return RunResponse.model_validate(run)


@router.post("/events", status_code=204)
async def report_event(
    run_id: str, body: RunEventCreate, actor: CurrentActor, session: DbSession
) -> Response:
    """Add a `system` or `error` event to the run's log."""
    await run_reports.add_event(
        session,
        actor,
        run_id,
        body.worker_id,
        event_type=body.event_type,
        message=body.message,
        context=body.context,
    )
    return Response(status_code=204)


@router.post(
    "/usage",
    response_model=RunUsageResponse,
    responses={
        402: {"model": ErrorResponse, "description": "The payer's balance does not cover it"},
        403: {
            "model": ErrorResponse,
            "description": "`not_authorised_to_charge`: only the payer, a key of the run's "
            "agent or the server's own workers may charge the run",
        },
        409: {
            "model": ErrorResponse,
            "description": "`budget_exceeded`: the charge would pass the run's budget; nothing "
            "was charged and the run failed. `run_not_held`: this worker does not hold the run",
        },
    },
)
async def report_usage(
    run_id: str, body: RunUsage, actor: CurrentActor, session: DbSession, billing: BillingConfig
) -> RunUsageResponse | JSONResponse:
    """What a step of the run cost; each step is charged once to whoever queued the run (402
    when their balance does not cover it), and only when the reporter is the payer, acts
    through a key of the run's agent, or is one of the server's own workers (403 otherwise).
    `balance` is the payer's, shown to the payer and administrators only."""
    usage = await run_usage.charge(
        session,
        actor,
        run_id,
        body.worker_id,
        step=body.step,
        amount=body.amount,
        settings=billing,
    )
    if usage.budget_exceeded:
        # An answer, not an exception: the run's failure is committed with it.
        return error_response(
            409,
            "this step would take the run past its budget: nothing was charged and the run failed",
            run_usage.BUDGET_EXCEEDED,
        )
    return RunUsageResponse(
        charged=usage.charged, balance=usage.balance, billing_enabled=usage.billing_enabled
    )


@router.post("/complete", response_model=RunResponse)
async def complete_run(
    run_id: str, body: RunComplete, actor: CurrentActor, session: DbSession
) -> RunResponse:
    """The run is done; `message` (or `result.message`) becomes the agent's comment on the
    issue."""
    run = await run_reports.complete(
        session, actor, run_id, body.worker_id, result=body.result, message=body.message
    )
    return RunResponse.model_validate(run)


@router.post("/fail", response_model=RunResponse)
async def fail_run(
    run_id: str, body: RunFail, actor: CurrentActor, session: DbSession
) -> RunResponse:
    """This attempt failed: queued again while attempts remain (and `retry`), else failed."""
    run = await run_reports.fail(
        session,
        actor,
        run_id,
        body.worker_id,
        reason=body.reason,
        message=body.message,
        retry=body.retry,
    )
    return RunResponse.model_validate(run)


@router.post("/stopped", response_model=RunResponse)
async def run_stopped(
    run_id: str, body: RunStopped, actor: CurrentActor, session: DbSession
) -> RunResponse:
    """The worker stopped the run (after a stop request); it ends `stopped`."""
    run = await run_reports.acknowledge_stop(
        session, actor, run_id, body.worker_id, message=body.message, result=body.result
    )
    return RunResponse.model_validate(run)
