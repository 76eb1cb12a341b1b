"""Agents of a workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from praisonai_platform.core.enums import AgentRuntimeMode, AgentStatus
from praisonai_platform.core.schemas import (
    JsonSettings,
    LongText,
    Name,
    ResponseSchema,
    Schema,
    StoredJsonObject,
    lenient_input,
)

# `working` (0.1.9's name) and `active` (the seed's) are both statuses, of the same busy state.
AgentStatusInput = Annotated[AgentStatus, lenient_input(AgentStatus)]
RuntimeModeInput = Annotated[AgentRuntimeMode, lenient_input(AgentRuntimeMode)]
ConcurrentTasks = Annotated[int, Field(ge=1, le=1000)]
AvatarUrl = Annotated[str, Field(max_length=2048)]


class AgentCreate(Schema):
    name: Name
    description: LongText | None = None
    runtime_mode: RuntimeModeInput = AgentRuntimeMode.LOCAL
    runtime_config: JsonSettings | None = None
    instructions: LongText | None = None
    max_concurrent_tasks: ConcurrentTasks = 1
    status: AgentStatusInput | None = None
    avatar_url: AvatarUrl | None = None
    config: JsonSettings | None = None


class AgentUpdate(Schema):
    name: Name | None = None
    description: LongText | None = None
    status: AgentStatusInput | None = None
    instructions: LongText | None = None
    runtime_mode: RuntimeModeInput | None = None
    runtime_config: JsonSettings | None = None
    max_concurrent_tasks: ConcurrentTasks | None = None
    avatar_url: AvatarUrl | None = None
    config: JsonSettings | None = None


class AgentResponse(ResponseSchema):
    id: str
    workspace_id: str
    name: str
    description: str | None = None
    avatar_url: str | None = None
    runtime_mode: AgentRuntimeMode
    runtime_config: StoredJsonObject = Field(default_factory=dict)
    instructions: str | None = None
    status: AgentStatusInput
    max_concurrent_tasks: int
    owner_type: Literal["user"] | None = None
    owner_id: str | None = None
    config: StoredJsonObject = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _from_agent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        fields = {name: getattr(data, name) for name in cls.model_fields if name != "owner_type"}
        fields["owner_type"] = "user" if data.owner_id else None
        return fields
