"""Members of a workspace and their roles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, model_validator

from praisonai_platform.core.enums import MemberRole
from praisonai_platform.core.schemas import EntityId, ResponseSchema, Schema, lenient_input

Role = Annotated[MemberRole, lenient_input(MemberRole)]


class MemberAdd(Schema):
    """Invite a person by `email`, or add a user by `user_id` (as in 0.1.9; only where the
    server allows direct membership): exactly one of the two."""

    user_id: EntityId | None = Field(
        default=None, description="Add this user at once (servers with direct membership)."
    )
    email: str | None = Field(
        default=None,
        min_length=1,
        max_length=320,
        description="Invite this address; the person joins when they accept.",
    )
    role: Role = MemberRole.MEMBER

    @model_validator(mode="after")
    def _exactly_one_user(self) -> MemberAdd:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give exactly one of user_id or email")
        return self


class MemberUpdate(Schema):
    role: Role


class MemberResponse(ResponseSchema):
    id: str
    workspace_id: str
    user_id: str
    role: MemberRole
    created_at: datetime
    updated_at: datetime
    name: str = Field(description="The user's name.")
    email: str = Field(description="The user's email address.")
