"""One-time account tokens: email verification and password reset links.

Only a keyed hash of a token is stored; the token itself travels in the mail. A token is spent
by one conditional UPDATE (`used_at IS NULL AND expires_at > now`), so it works once, on any
backend and in any process.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.mixins import ID_LENGTH, CreatedAtMixin, IdMixin
from praisonai_platform.db.types import UTCDateTime


class AccountToken(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "account_tokens"
    __table_args__ = (Index(None, "user_id", "purpose"),)

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    # "verify_email" or "reset_password".
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # The address the link was sent to: a verification proves this address only.
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
