"""Routes for the event log: a run's, a workspace's (members), everything (administrators)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Query

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.core.limits import MAX_ID
from praisonai_platform.runs.events import service as events
from praisonai_platform.runs.events.schemas import EventResponse, EventTypeInput, Moment
from praisonai_platform.runs.events.service import EventFilter

router = APIRouter(tags=["events"])

_MAX_VALUES = 20


async def event_filter(
    event_type: Annotated[
        list[EventTypeInput] | None,
        Query(max_length=_MAX_VALUES, description="Repeat for any of several types."),
    ] = None,
    since: Annotated[
        Moment | None, Query(description="Created at or after (ISO 8601 with zone).")
    ] = None,
    until: Annotated[Moment | None, Query(description="Created before.")] = None,
) -> EventFilter:
    return EventFilter(types=event_type or (), since=since, until=until)


Filters = Annotated[EventFilter, Depends(event_filter)]


@router.get("/workspaces/{workspace_id}/runs/{run_id}/events", response_model=list[EventResponse])
async def list_run_events(
    workspace_id: str,
    run_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    filters: Filters,
) -> list[EventResponse]:
    """What happened to the run, newest first."""
    page = await events.list_for_run(session, actor, workspace_id, run_id, listing.page, filters)
    return [EventResponse.model_validate(e) for e in listing.items(page)]


@router.get("/workspaces/{workspace_id}/events", response_model=list[EventResponse])
async def list_workspace_events(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    filters: Filters,
    run_id: Annotated[
        str | None, Query(min_length=1, max_length=MAX_ID, description="Only this run's events.")
    ] = None,
) -> list[EventResponse]:
    """Events of the workspace's runs, newest first."""
    filters = replace(filters, run_id=run_id)
    page = await events.list_for_workspace(session, actor, workspace_id, listing.page, filters)
    return [EventResponse.model_validate(e) for e in listing.items(page)]


@router.get("/events", response_model=list[EventResponse])
async def list_all_events(
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    filters: Filters,
) -> list[EventResponse]:
    """Every event, workers' and the system's included, newest first (administrators)."""
    page = await events.list_all(session, actor, listing.page, filters)
    return [EventResponse.model_validate(e) for e in listing.items(page)]
