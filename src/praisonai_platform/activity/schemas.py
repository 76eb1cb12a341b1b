"""The audit trail as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from praisonai_platform.core.enums import ActorType
from praisonai_platform.core.schemas import ResponseSchema, StoredJsonObject, lenient_input

# 0.1.9 called people `member`.
ActorTypeInput = Annotated[ActorType, lenient_input(ActorType, {"member": "user"})]


class ActivityLogResponse(ResponseSchema):
    id: str
    workspace_id: str
    entity_type: str
    entity_id: str
    issue_id: str | None = None
    actor_type: ActorTypeInput | None = None
    actor_id: str | None = None
    actor_name: str | None = Field(
        default=None,
        description="The user's or agent's name; none for the system or an actor deleted since.",
    )
    action: str
    details: StoredJsonObject = Field(default_factory=dict)
    created_at: datetime
