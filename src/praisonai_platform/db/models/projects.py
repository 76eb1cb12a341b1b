"""Projects: optional groupings of issues inside a workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.enums import ProjectStatus
from praisonai_platform.db.models.mixins import ID_LENGTH, IdMixin, TimestampMixin
from praisonai_platform.db.types import JSONDict, json_default_dict, str_enum

if TYPE_CHECKING:
    from praisonai_platform.db.models.workspaces import Workspace


class Project(IdMixin, TimestampMixin, Base):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("lead_id IS NULL OR lead_agent_id IS NULL", name="lead_is_user_or_agent"),
        Index(None, "workspace_id", "created_at"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )
    icon: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[ProjectStatus] = mapped_column(
        str_enum(ProjectStatus, "project_status"),
        nullable=False,
        default=ProjectStatus.ACTIVE,
        server_default=ProjectStatus.ACTIVE.value,
    )
    lead_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    lead_agent_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )

    workspace: Mapped[Workspace] = relationship(lazy="raise")
