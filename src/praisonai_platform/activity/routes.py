"""Routes of /api/v1/workspaces/{workspace_id}/… for activity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Query
from pydantic import StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import queries as activity_queries
from praisonai_platform.activity.queries import ActivityFilter
from praisonai_platform.activity.schemas import ActivityLogResponse, ActorTypeInput
from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.db.models import ActivityLog

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["activity"])

_MAX_VALUES = 20
_Word = Annotated[str, StringConstraints(min_length=1, max_length=64)]


async def activity_filter(
    entity_type: Annotated[
        list[_Word] | None,
        Query(max_length=_MAX_VALUES, description="Repeat for any of several entity types."),
    ] = None,
    action: Annotated[
        list[_Word] | None, Query(max_length=_MAX_VALUES, description="Repeatable.")
    ] = None,
    actor_id: Annotated[
        list[_Word] | None, Query(max_length=_MAX_VALUES, description="Repeatable.")
    ] = None,
    actor_type: Annotated[
        list[ActorTypeInput] | None,
        Query(max_length=_MAX_VALUES, description="user, agent or system; repeatable."),
    ] = None,
) -> ActivityFilter:
    return ActivityFilter(
        entity_types=entity_type or (),
        actions=action or (),
        actor_ids=actor_id or (),
        actor_types=actor_type or (),
    )


Filters = Annotated[ActivityFilter, Depends(activity_filter)]


async def _responses(
    session: AsyncSession, entries: Sequence[ActivityLog]
) -> list[ActivityLogResponse]:
    names = await activity_queries.actor_names(session, entries)
    answers = []
    for entry in entries:
        answer = ActivityLogResponse.model_validate(entry)
        if entry.actor_id is not None:
            answer.actor_name = names.get((entry.actor_type, entry.actor_id))
        answers.append(answer)
    return answers


@router.get("/activity", response_model=list[ActivityLogResponse])
async def list_workspace_activity(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    filters: Filters,
) -> list[ActivityLogResponse]:
    """What happened in the workspace, newest first."""
    page = await activity_queries.list_for_workspace(
        session, actor, workspace_id, listing.page, filters
    )
    return await _responses(session, listing.items(page))


@router.get("/issues/{issue_id}/activity", response_model=list[ActivityLogResponse])
async def list_issue_activity(
    workspace_id: str,
    issue_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    filters: Filters,
) -> list[ActivityLogResponse]:
    """What happened to the issue (id or key like ENG-42) and on it, newest first."""
    page = await activity_queries.list_for_issue(
        session, actor, workspace_id, issue_id, listing.page, filters
    )
    return await _responses(session, listing.items(page))
