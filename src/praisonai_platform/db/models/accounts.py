"""Ways to sign in besides a password: OAuth identities and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.mixins import ID_LENGTH, CreatedAtMixin, IdMixin, TimestampMixin
from praisonai_platform.db.types import JSONDict, UTCDateTime, json_default_dict

if TYPE_CHECKING:
    from praisonai_platform.db.models.users import User


class UserProvider(IdMixin, TimestampMixin, Base):
    """An identity at an OAuth / OpenID Connect provider, linked to exactly one user."""

    __tablename__ = "user_providers"
    __table_args__ = (UniqueConstraint("provider", "provider_user_id"),)

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    provider: Mapped[str] = mapped_column(String(50), nullable=False)
    provider_user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    email: Mapped[str | None] = mapped_column(String(320))
    email_verified: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    raw_profile: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="raise")


class UserApiKey(IdMixin, CreatedAtMixin, Base):
    """An API key: only a hash of the secret and a short display prefix are ever stored."""

    __tablename__ = "user_api_keys"
    __table_args__ = (Index(None, "user_id", "revoked_at"),)

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    # A key bound to an agent acts as that agent; it dies with the agent.
    agent_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("agents.id", ondelete="CASCADE"), index=True
    )
    # A key limited to one workspace; it dies with the workspace.
    workspace_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(String(200))
    key_prefix: Mapped[str] = mapped_column(String(32), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONDict, nullable=False, default=list)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="raise")
