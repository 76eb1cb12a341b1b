"""The typed, append-only event log of runs and the system: written beside each change, read
per run, per workspace, or whole by administrators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import NotFound
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import Event, EventType, Run
from praisonai_platform.db.types import new_id
from praisonai_platform.workspaces.permissions import Action, require_credential, workspace_access

_NEWEST_FIRST = [
    SortKey("created_at", Event.created_at, descending=True, kind=datetime),
    SortKey("id", Event.id, descending=True),
]


def record(
    session: AsyncSession,
    event_type: EventType,
    *,
    workspace_id: str | None = None,
    run_id: str | None = None,
    worker_id: str | None = None,
    message: str | None = None,
    context: dict[str, Any] | None = None,
) -> Event:
    """Add an event to the session; it is written with the change it describes."""
    event = Event(
        id=new_id(),
        event_type=event_type,
        workspace_id=workspace_id,
        run_id=run_id,
        worker_id=worker_id,
        message=message,
        context=context or {},
    )
    session.add(event)
    return event


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Events of any of `types` (all when empty), created in [since, until)."""

    types: Sequence[EventType] = ()
    since: datetime | None = None
    until: datetime | None = None
    run_id: str | None = None

    def apply(self, statement: Select[Event]) -> Select[Event]:
        if self.types:
            statement = statement.where(Event.event_type.in_(list(self.types)))
        if self.since is not None:
            statement = statement.where(Event.created_at >= self.since)
        if self.until is not None:
            statement = statement.where(Event.created_at < self.until)
        if self.run_id is not None:
            statement = statement.where(Event.run_id == self.run_id)
        return statement


async def list_for_run(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    run_id: str,
    page: PageRequest,
    filters: EventFilter | None = None,
) -> Page[Event]:
    """The run's events, newest first."""
    await workspace_access(session, actor, workspace_id, Action.RUN_READ)
    found = await session.scalar(
        select(Run.id).where(Run.id == run_id, Run.workspace_id == workspace_id)
    )
    if found is None:
        raise NotFound("run not found")
    statement = select(Event).where(Event.run_id == run_id)
    return await paginate(session, (filters or EventFilter()).apply(statement), _NEWEST_FIRST, page)


async def list_for_workspace(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    page: PageRequest,
    filters: EventFilter | None = None,
) -> Page[Event]:
    """Events of the workspace's runs, newest first."""
    await workspace_access(session, actor, workspace_id, Action.RUN_READ)
    statement = select(Event).where(Event.workspace_id == workspace_id)
    return await paginate(session, (filters or EventFilter()).apply(statement), _NEWEST_FIRST, page)


async def list_all(
    session: AsyncSession, actor: Actor, page: PageRequest, filters: EventFilter | None = None
) -> Page[Event]:
    """Every event, workers' and the system's included, newest first (administrators)."""
    require_credential(actor, Action.ADMIN_READ_ALL)
    statement = select(Event)
    return await paginate(session, (filters or EventFilter()).apply(statement), _NEWEST_FIRST, page)
