"""Workspaces and the people who are members of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.enums import MemberRole
from praisonai_platform.db.models.mixins import ID_LENGTH, IdMixin, TimestampMixin
from praisonai_platform.db.types import JSONDict, json_default_dict, str_enum

if TYPE_CHECKING:
    from praisonai_platform.db.models.users import User


class Workspace(IdMixin, TimestampMixin, Base):
    __tablename__ = "workspaces"
    __table_args__ = (CheckConstraint("issue_counter >= 0", name="issue_counter_not_negative"),)

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )
    issue_prefix: Mapped[str] = mapped_column(
        String(20), nullable=False, default="ISSUE", server_default="ISSUE"
    )
    # The last issue number handed out; advanced by one atomic UPDATE … RETURNING per issue.
    issue_counter: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )


class Member(IdMixin, TimestampMixin, Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    role: Mapped[MemberRole] = mapped_column(
        str_enum(MemberRole, "member_role"),
        nullable=False,
        default=MemberRole.MEMBER,
        server_default=MemberRole.MEMBER.value,
    )

    user: Mapped[User] = relationship(lazy="raise")
    workspace: Mapped[Workspace] = relationship(lazy="raise")
