"""Invitations to join a workspace, answered by the person whose email they name."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praisonai_platform.core.enums import InvitationStatus, MemberRole
from praisonai_platform.db.base import Base
from praisonai_platform.db.models.mixins import ID_LENGTH, CreatedAtMixin, IdMixin
from praisonai_platform.db.types import UTCDateTime, str_enum

if TYPE_CHECKING:
    from praisonai_platform.db.models.users import User
    from praisonai_platform.db.models.workspaces import Workspace

_PENDING = text("status = 'pending'")


class Invitation(IdMixin, CreatedAtMixin, Base):
    """An admin asked `email` to join the workspace with `role`; nothing changes until the
    person signed in with that (verified) email accepts it. At most one pending invitation per
    workspace and email: inviting again refreshes it."""

    __tablename__ = "workspace_invitations"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        Index(
            "uq_workspace_invitations_pending",
            "workspace_id",
            "email",
            unique=True,
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
        Index(None, "email", "status"),
        Index(None, "workspace_id", "created_at"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    role: Mapped[MemberRole] = mapped_column(
        str_enum(MemberRole, "invitation_role"),
        nullable=False,
        default=MemberRole.MEMBER,
        server_default=MemberRole.MEMBER.value,
    )
    invited_by_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus, "invitation_status"),
        nullable=False,
        default=InvitationStatus.PENDING,
        server_default=InvitationStatus.PENDING.value,
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    workspace: Mapped[Workspace] = relationship(lazy="raise")
    invited_by: Mapped[User | None] = relationship(lazy="raise")
