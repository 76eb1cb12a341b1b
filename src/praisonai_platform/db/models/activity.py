"""The audit trail of everything that changes in a workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.enums import ActorType
from praisonai_platform.db.models.mixins import ID_LENGTH, CreatedAtMixin, IdMixin
from praisonai_platform.db.types import JSONDict, json_default_dict, str_enum

if TYPE_CHECKING:
    from praisonai_platform.db.models.workspaces import Workspace


class ActivityLog(IdMixin, CreatedAtMixin, Base):
    """One row per mutation.

    The actor, entity and issue are plain ids on purpose: an audit trail has to outlive the user,
    agent or issue it talks about, so no foreign key may erase or block it. Only the workspace owns
    its rows.
    """

    __tablename__ = "activity_logs"
    __table_args__ = (
        Index(None, "workspace_id", "created_at"),
        Index(None, "issue_id", "created_at"),
        Index(None, "entity_type", "entity_id"),
        Index(None, "actor_id"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    entity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH), nullable=False)
    issue_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    actor_type: Mapped[ActorType] = mapped_column(
        str_enum(ActorType, "activity_actor_type"),
        nullable=False,
        default=ActorType.USER,
        server_default=ActorType.USER.value,
    )
    actor_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )

    workspace: Mapped[Workspace] = relationship(lazy="raise")
