"""The audit trail as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from praisonai_platform.core.enums import ActorType
from praisonai_platform.core.schemas import ResponseSchema, lenient_input

ActorTypeInput = Annotated[ActorType, lenient_input(ActorType)]


class ActivityLogResponse(ResponseSchema):
    id: str
    workspace_id: str
    entity_type: str
    entity_id: str
    issue_id: str | None = None
    actor_type: ActorType | None = None
    actor_id: str | None = None
    actor_name: str | None = Field(
        default=None,
        description="The user's or agent's name; none for the system or an actor deleted since.",
    )
    action: str
    details: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
