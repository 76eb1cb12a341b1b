"""Comments on issues."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from praisonai_platform.core.enums import CommentType
from praisonai_platform.core.schemas import MAX_TEXT, EntityId, ResponseSchema, Schema

CommentText = Annotated[
    str,
    Field(min_length=1, max_length=MAX_TEXT, pattern=r"\S", description="Not only whitespace."),
]


class CommentCreate(Schema):
    content: CommentText
    parent_id: EntityId | None = Field(
        default=None, description="The comment this one answers, on the same issue."
    )


class CommentUpdate(Schema):
    content: CommentText


class CommentResponse(ResponseSchema):
    id: str
    issue_id: str
    author_type: str | None = None
    author_id: str | None = None
    parent_id: str | None = None
    content: str
    type: CommentType
    created_at: datetime
    updated_at: datetime
