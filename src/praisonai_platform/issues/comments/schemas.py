"""Comments on issues."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from praisonai_platform.core.enums import CommentType
from praisonai_platform.core.schemas import MAX_TEXT, EntityId, ResponseSchema, Schema

CommentText = Annotated[
    str,
    Field(min_length=1, max_length=MAX_TEXT, pattern=r"\S", description="Not only whitespace."),
]


if TYPE_CHECKING:
    from praisonai_platform.db.models import Comment


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

    @classmethod
    def of(cls, comment: Comment) -> CommentResponse:
        author_type = None
        if comment.author_id is not None:
            author_type = "user"
        elif comment.author_agent_id is not None:
            author_type = "agent"
        return cls(
            id=comment.id,
            issue_id=comment.issue_id,
            author_type=author_type,
            author_id=comment.author_id or comment.author_agent_id,
            parent_id=comment.parent_id,
            content=comment.content,
            type=comment.type,
            created_at=comment.created_at,
            updated_at=comment.updated_at,
        )
