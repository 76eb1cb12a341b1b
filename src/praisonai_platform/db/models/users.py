"""People who sign in: their name, email, password hash, profile, role and credit balance, whether
we verified their email, and the version their sign-in tokens must carry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.mixins import IdMixin, TimestampMixin
from praisonai_platform.db.types import UTCDateTime


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Emails are unique case-insensitively: the service stores them lower-cased, the database
        # refuses anything else, so the plain unique index is enough.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    # Null for accounts that only ever signed in through an OAuth provider.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(200))
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(35))
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    is_admin: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    is_active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )
    # Micro-credits; only ever changed together with a credit_ledger row.
    credit_balance: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default="0"
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the owner of the address followed a link we mailed (or a provider vouched for it
    # when the account was made through that provider). Null: anyone may have typed the address.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Every token carries the version it was issued at; raising it (logout, password change,
    # password reset) ends every session at once, in every process.
    token_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
