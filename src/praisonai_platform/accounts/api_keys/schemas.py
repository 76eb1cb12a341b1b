"""API keys: created once with their secret, listed without it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import Field

from praisonai_platform.core.schemas import EntityId, Name, ResponseSchema, Schema


class ApiKeyScope(enum.StrEnum):
    READ = "read"
    WRITE = "write"


class ApiKeyCreate(Schema):
    label: Name | None = None
    scopes: Annotated[
        list[ApiKeyScope],
        Field(
            min_length=1,
            max_length=2,
            default_factory=lambda: [ApiKeyScope.READ, ApiKeyScope.WRITE],
            description="`read`, and `write` for anything that changes data.",
        ),
    ]
    workspace_id: EntityId | None = Field(
        default=None, description="Limit the key to one workspace."
    )
    agent_id: EntityId | None = Field(
        default=None,
        description="Act as this agent: everything done with the key is attributed to it.",
    )
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiKeyResponse(ResponseSchema):
    id: str
    label: str | None
    prefix: str
    scopes: list[str]
    workspace_id: str | None
    agent_id: str | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool


class ApiKeyCreated(ApiKeyResponse):
    key: str = Field(description="The secret. It is shown this once and cannot be recovered.")
