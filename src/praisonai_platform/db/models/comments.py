"""Comments on issues, written by people, agents or the system."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.enums import CommentType
from praisonai_platform.db.models.mixins import ID_LENGTH, IdMixin, TimestampMixin
from praisonai_platform.db.types import str_enum

if TYPE_CHECKING:
    from praisonai_platform.db.models.issues import Issue


class Comment(IdMixin, TimestampMixin, Base):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(
            "author_id IS NULL OR author_agent_id IS NULL", name="author_is_user_or_agent"
        ),
        Index(None, "issue_id", "created_at"),
        # Search reads the comments that match common words newest first (search/statements.py).
        Index(None, "created_at", "id"),
    )

    issue_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("issues.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    author_agent_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    # Replies outlive the comment they answer.
    parent_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    type: Mapped[CommentType] = mapped_column(
        str_enum(CommentType, "comment_type"),
        nullable=False,
        default=CommentType.COMMENT,
        server_default=CommentType.COMMENT.value,
    )
    content: Mapped[str] = mapped_column(Text, nullable=False)

    issue: Mapped[Issue] = relationship(lazy="raise")
    parent: Mapped[Comment | None] = relationship(lazy="raise", remote_side="Comment.id")
