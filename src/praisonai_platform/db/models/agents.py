"""AI agents that belong to a workspace and take work as runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.enums import AgentRuntimeMode, AgentStatus
from praisonai_platform.db.models.mixins import ID_LENGTH, IdMixin, TimestampMixin
from praisonai_platform.db.types import JSONDict, json_default_dict, str_enum

if TYPE_CHECKING:
    from praisonai_platform.db.models.workspaces import Workspace


class Agent(IdMixin, TimestampMixin, Base):
    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint("max_concurrent_tasks >= 1", name="max_concurrent_tasks_positive"),
        Index(None, "workspace_id", "status"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[AgentStatus] = mapped_column(
        str_enum(AgentStatus, "agent_status"),
        nullable=False,
        default=AgentStatus.IDLE,
        server_default=AgentStatus.IDLE.value,
    )
    config: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    runtime_mode: Mapped[AgentRuntimeMode] = mapped_column(
        str_enum(AgentRuntimeMode, "agent_runtime_mode"),
        nullable=False,
        default=AgentRuntimeMode.LOCAL,
        server_default=AgentRuntimeMode.LOCAL.value,
    )
    runtime_config: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )
    instructions: Mapped[str | None] = mapped_column(Text)
    max_concurrent_tasks: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1, server_default="1"
    )
    # The user who owns the agent; an agent outlives its owner's account.
    owner_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    workspace: Mapped[Workspace] = relationship(lazy="raise")
