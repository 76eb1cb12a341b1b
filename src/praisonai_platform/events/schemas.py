"""The live event stream's events, as the API sends them and the SDK reads them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from praisonai_platform.core.enums import ActorType


class EventActor(BaseModel):
    type: ActorType
    id: str | None = Field(default=None, description="None for the system.")


class WorkspaceEventResponse(BaseModel):
    """One change in the workspace; `type` is `<entity_type>.<action>` (issue.created, …)."""

    id: int = Field(description="Grows in the order the changes happened; resume after it.")
    workspace_id: str
    type: str
    entity_type: str
    entity_id: str
    issue_id: str | None = None
    actor: EventActor
    data: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class EventStreamReset(BaseModel):
    """Events after the id resumed from were deleted (older than the retention): whatever was
    built from them should be read again. Events continue after `id`."""

    type: Literal["reset"] = "reset"
    id: int = Field(description="Resume after this id from now on.")
    after: int = Field(description="The id asked to resume after.")


class WorkspaceEventPage(BaseModel):
    """Events after an id, oldest first; ask again with `after=next_after` for the following."""

    events: list[WorkspaceEventResponse]
    next_after: int = Field(description="The id to ask after next time (the last one read).")
    reset: EventStreamReset | None = Field(
        default=None, description="Set when events after the requested id were deleted."
    )
