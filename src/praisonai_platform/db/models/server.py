"""Values the server keeps for itself in the database, such as its token-signing secret when none
is configured: every process of a deployment, on any machine, shares them across restarts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from praisonai_platform.db.base import Base
from praisonai_platform.db.types import UTCDateTime, utcnow


class ServerSecret(Base):
    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
