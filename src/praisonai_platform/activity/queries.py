"""Reading the audit trail: a workspace's or an issue's activity, newest first, filtered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.actors import Actor
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import ActivityLog, ActorType, Agent, User
from praisonai_platform.workspaces.permissions import Action, workspace_access
from praisonai_platform.workspaces.references import resolve_issue

_NEWEST_FIRST = [
    SortKey("created_at", ActivityLog.created_at, descending=True, kind=datetime),
    SortKey("id", ActivityLog.id, descending=True),
]


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    """Each non-empty field keeps the rows matching any of its values."""

    entity_types: Sequence[str] = ()
    actions: Sequence[str] = ()
    actor_ids: Sequence[str] = ()
    actor_types: Sequence[ActorType] = ()

    def apply(self, statement: Select[ActivityLog]) -> Select[ActivityLog]:
        for column, values in (
            (ActivityLog.entity_type, self.entity_types),
            (ActivityLog.action, self.actions),
            (ActivityLog.actor_id, self.actor_ids),
            (ActivityLog.actor_type, self.actor_types),
        ):
            if values:
                statement = statement.where(column.in_(list(values)))
        return statement


async def list_for_workspace(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    page: PageRequest,
    filters: ActivityFilter | None = None,
) -> Page[ActivityLog]:
    await workspace_access(session, actor, workspace_id, Action.ACTIVITY_READ)
    statement = select(ActivityLog).where(ActivityLog.workspace_id == workspace_id)
    return await paginate(
        session, (filters or ActivityFilter()).apply(statement), _NEWEST_FIRST, page
    )


async def list_for_issue(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    issue_ref: str,
    page: PageRequest,
    filters: ActivityFilter | None = None,
) -> Page[ActivityLog]:
    """Every row about the issue or something on it (comments, labels, dependencies)."""
    access = await workspace_access(session, actor, workspace_id, Action.ACTIVITY_READ)
    issue = await resolve_issue(session, access, issue_ref)
    statement = select(ActivityLog).where(
        ActivityLog.workspace_id == workspace_id, ActivityLog.issue_id == issue.id
    )
    return await paginate(
        session, (filters or ActivityFilter()).apply(statement), _NEWEST_FIRST, page
    )


async def actor_names(
    session: AsyncSession, entries: Sequence[ActivityLog]
) -> dict[tuple[ActorType, str], str]:
    """The names of the people and agents who acted in `entries`, by (actor_type, actor_id):
    one query for a whole page. Actors deleted since have no name (the trail keeps their id)."""
    wanted: dict[ActorType, set[str]] = {ActorType.USER: set(), ActorType.AGENT: set()}
    for entry in entries:
        if entry.actor_id is not None and entry.actor_type in wanted:
            wanted[ActorType(entry.actor_type)].add(entry.actor_id)
    parts = [
        select(literal(kind.value).label("kind"), model.id, model.name).where(
            model.id.in_(sorted(ids))
        )
        for kind, model, ids in (
            (ActorType.USER, User, wanted[ActorType.USER]),
            (ActorType.AGENT, Agent, wanted[ActorType.AGENT]),
        )
        if ids
    ]
    if not parts:
        return {}
    rows = await session.execute(union_all(*parts))
    return {(ActorType(kind), actor_id): name for kind, actor_id, name in rows}
