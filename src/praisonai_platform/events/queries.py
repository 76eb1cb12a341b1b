"""Reading the change feed for the event stream: after an id, in id order, optionally by type."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.db.models import WorkspaceEvent
from praisonai_platform.events.schemas import (
    EventActor,
    EventStreamReset,
    WorkspaceEventResponse,
)

MAX_TYPES = 20
# The first event of every workspace: while it is kept, none of the workspace's was deleted.
WORKSPACE_CREATED = "workspace.created"
_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}(\.([a-z][a-z0-9_]{0,39}|\*))?$")


@dataclass(frozen=True, slots=True)
class TypeFilter:
    """Event types to keep: exact names (`issue.created`) and prefixes (`issue.*` or `issue`).
    Empty keeps every event."""

    exact: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)

    def condition(self) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if self.exact:
            conditions.append(WorkspaceEvent.type.in_(self.exact))
        conditions.extend(
            WorkspaceEvent.type.startswith(prefix, autoescape=True) for prefix in self.prefixes
        )
        return or_(*conditions) if conditions else false()


def parse_types(raw: Sequence[str] | str | None) -> TypeFilter:
    """`issue.created,comment.*,run` (or the same as repeated values) as a filter; a malformed
    name is a 422 `invalid_event_type`."""
    values = [raw] if isinstance(raw, str) else list(raw or ())
    names = [name.strip().lower() for value in values for name in value.split(",")]
    names = [name for name in names if name]
    if len(names) > MAX_TYPES:
        raise ValidationFailed(f"types: at most {MAX_TYPES} event types", code="invalid_event_type")
    exact: list[str] = []
    prefixes: list[str] = []
    for name in names:
        if name == "*":
            return TypeFilter()
        if not _TYPE.match(name):
            raise ValidationFailed(
                f"types: {name[:50]!r} is not an event type (such as issue.created) or a "
                "prefix (such as issue.*)",
                code="invalid_event_type",
            )
        if name.endswith(".*"):
            prefixes.append(name[:-1])
        elif "." not in name:
            prefixes.append(f"{name}.")
        else:
            exact.append(name)
    return TypeFilter(tuple(dict.fromkeys(exact)), tuple(dict.fromkeys(prefixes)))


async def newest_id(session: AsyncSession, workspace_id: str) -> int:
    """The id of the workspace's newest event, 0 if it has none: a stream that starts now
    sends what comes after it."""
    newest = await session.scalar(
        select(func.max(WorkspaceEvent.id)).where(WorkspaceEvent.workspace_id == workspace_id)
    )
    return int(newest or 0)


async def reset_after(
    session: AsyncSession, workspace_id: str, after: int
) -> EventStreamReset | None:
    """A reset when events of the workspace after `after` may have been deleted by the
    retention purge: the oldest event kept (in any workspace; ids are shared) is newer than the
    one after `after`, and the workspace's feed no longer begins with its creation."""
    oldest = await session.scalar(select(func.min(WorkspaceEvent.id)))
    if oldest is None or after + 1 >= oldest:
        return None
    first = await session.scalar(
        select(WorkspaceEvent.type)
        .where(WorkspaceEvent.workspace_id == workspace_id)
        .order_by(WorkspaceEvent.id)
        .limit(1)
    )
    if first == WORKSPACE_CREATED:
        return None  # nothing of this workspace was deleted
    return EventStreamReset(id=int(oldest) - 1, after=after)


@dataclass(frozen=True, slots=True)
class Batch:
    events: list[WorkspaceEventResponse]
    read_to: int
    """Every event up to this id has been read (and, when filtered, passed over)."""
    more: bool
    """The batch was full: read again at once."""


async def read_after(
    session: AsyncSession,
    workspace_id: str,
    after: int,
    types: TypeFilter | None = None,
    limit: int = 500,
) -> Batch:
    """The workspace's events after `after`, oldest first, at most `limit`.

    The newest id is read first: within a workspace ids grow in commit order, so every event up
    to it has committed, and a filtered reader may move past those it skipped."""
    newest = await newest_id(session, workspace_id)
    if newest <= after:
        return Batch([], after, more=False)
    statement = (
        select(WorkspaceEvent)
        .where(
            WorkspaceEvent.workspace_id == workspace_id,
            WorkspaceEvent.id > after,
            WorkspaceEvent.id <= newest,
        )
        .order_by(WorkspaceEvent.id)
        .limit(limit)
    )
    if types:
        statement = statement.where(types.condition())
    rows = list(await session.scalars(statement))
    more = len(rows) == limit
    read_to = rows[-1].id if more else newest
    return Batch([response(row) for row in rows], read_to, more=more)


def response(row: WorkspaceEvent) -> WorkspaceEventResponse:
    return WorkspaceEventResponse(
        id=row.id,
        workspace_id=row.workspace_id,
        type=row.type,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        issue_id=row.issue_id,
        actor=EventActor(type=row.actor_type, id=row.actor_id),
        data=dict(row.data or {}),
        created_at=row.created_at,
    )
