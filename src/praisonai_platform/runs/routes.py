"""Routes of /api/v1/workspaces/{workspace_id}/… for runs: queue (directly or by delegating an
issue), read, list, stop.

POSTs that start work accept `Idempotency-Key`: a repeat with the same key (concurrent ones
included) answers the first request's result instead of queueing a second run.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response
from pydantic import StringConstraints

from praisonai_platform.api.deps import BillingConfig, CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.core import idempotency as nonces
from praisonai_platform.core.limits import MAX_ID
from praisonai_platform.runs import service as runs
from praisonai_platform.runs.deps import IdempotencyKey, RunConfig, respond_once
from praisonai_platform.runs.rechecks import may_queue
from praisonai_platform.runs.schemas import RunCreate, RunDelegate, RunResponse, RunStateInput
from praisonai_platform.runs.service import RunFilter

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["runs"])

_MAX_VALUES = 20
_Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]


async def run_filter(
    state: Annotated[
        list[RunStateInput] | None, Query(max_length=_MAX_VALUES, description="Repeatable.")
    ] = None,
    agent_id: Annotated[
        list[_Id] | None, Query(max_length=_MAX_VALUES, description="Repeatable.")
    ] = None,
) -> RunFilter:
    return RunFilter(states=state or (), agent_ids=agent_id or ())


Filters = Annotated[RunFilter, Depends(run_filter)]


def _created(run: object) -> nonces.RecordedResponse:
    return nonces.RecordedResponse(201, RunResponse.model_validate(run).model_dump(mode="json"))


@router.post("/runs", status_code=201, response_model=RunResponse)
async def create_run(
    workspace_id: str,
    body: RunCreate,
    actor: CurrentActor,
    session: DbSession,
    settings: RunConfig,
    billing: BillingConfig,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Queue a run for an agent of the workspace (members), optionally about an issue."""

    async def work() -> nonces.RecordedResponse:
        run = await runs.create(session, actor, workspace_id, billing=billing, **body.model_dump())
        return _created(run)

    recheck = may_queue(session, actor, workspace_id)
    return await respond_once(
        session, actor, request, settings, idempotency_key, body, work, recheck
    )


@router.post("/issues/{issue_id}/runs", status_code=201, response_model=RunResponse)
async def delegate_issue(
    workspace_id: str,
    issue_id: str,
    body: RunDelegate,
    actor: CurrentActor,
    session: DbSession,
    settings: RunConfig,
    billing: BillingConfig,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Delegate the issue (id or key) to an agent: `agent_id`, or the agent it is assigned to."""

    async def work() -> nonces.RecordedResponse:
        run = await runs.delegate(
            session, actor, workspace_id, issue_id, billing=billing, **body.model_dump()
        )
        return _created(run)

    recheck = may_queue(session, actor, workspace_id)
    return await respond_once(
        session, actor, request, settings, idempotency_key, body, work, recheck
    )


@router.get("/runs", response_model=list[RunResponse])
async def list_runs(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    filters: Filters,
) -> list[RunResponse]:
    """The workspace's runs, newest first."""
    page = await runs.list_runs(session, actor, workspace_id, listing.page, filters)
    return [RunResponse.model_validate(run) for run in listing.items(page)]


@router.get("/issues/{issue_id}/runs", response_model=list[RunResponse])
async def list_issue_runs(
    workspace_id: str,
    issue_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    filters: Filters,
) -> list[RunResponse]:
    """The issue's runs, newest first."""
    page = await runs.list_runs(
        session, actor, workspace_id, listing.page, filters, issue_ref=issue_id
    )
    return [RunResponse.model_validate(run) for run in listing.items(page)]


@router.get("/runs/{run_id}", response_model=RunResponse)
async def get_run(
    workspace_id: str, run_id: str, actor: CurrentActor, session: DbSession
) -> RunResponse:
    return RunResponse.model_validate(await runs.get(session, actor, workspace_id, run_id))


@router.post("/runs/{run_id}/stop", response_model=RunResponse)
async def stop_run(
    workspace_id: str, run_id: str, actor: CurrentActor, session: DbSession
) -> RunResponse:
    """Stop a run (members): a pending one at once, a processing one at its worker's next
    heartbeat. A run that already completed or failed answers 409."""
    return RunResponse.model_validate(await runs.request_stop(session, actor, workspace_id, run_id))
