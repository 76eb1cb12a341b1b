"""The workspace's change feed: every change a member may see, numbered in commit order.

The live event stream reads it after an id, and outgoing webhooks are queued from it, so both are
written in the transaction of the change they describe (an outbox): nothing is announced for a
change that was rolled back, and nothing committed goes unannounced.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.enums import ActorType
from praisonai_platform.db.models.mixins import ID_LENGTH, CreatedAtMixin
from praisonai_platform.db.types import JSONDict, json_default_dict, str_enum

# SQLite numbers a table's rows only through an INTEGER PRIMARY KEY (its rowid); AUTOINCREMENT
# there keeps a number from ever being given twice, even after the newest rows are purged.
FEED_ID = BigInteger().with_variant(Integer(), "sqlite")


class WorkspaceEvent(CreatedAtMixin, Base):
    """One announced change. Within a workspace, ids grow in the order the changes committed."""

    __tablename__ = "workspace_events"
    __table_args__ = (
        Index(None, "workspace_id", "id"),
        Index(None, "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(FEED_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    # `issue.created`, `comment.updated`, `run.completed`, `run.progress`, …
    type: Mapped[str] = mapped_column(String(80), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH), nullable=False)
    issue_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    actor_type: Mapped[ActorType] = mapped_column(
        str_enum(ActorType, "workspace_event_actor_type"), nullable=False
    )
    actor_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    data: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )

    def __repr__(self) -> str:
        return f"<WorkspaceEvent {self.id} {self.type} {self.entity_id}>"
