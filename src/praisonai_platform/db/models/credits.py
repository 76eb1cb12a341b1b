"""Money: the append-only credit ledger and the payments that feed it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.enums import ActorType, PaymentProvider, PaymentStatus
from praisonai_platform.db.models.mixins import ID_LENGTH, CreatedAtMixin, IdMixin, TimestampMixin
from praisonai_platform.db.types import JSONDict, json_default_dict, str_enum

if TYPE_CHECKING:
    from praisonai_platform.db.models.users import User


class CreditLedgerEntry(IdMixin, CreatedAtMixin, Base):
    """One change of one user's balance, in micro-credits. Rows are never updated or deleted.

    The run, API key and actor are plain ids: a ledger row must survive whatever it refers to,
    and a foreign key's SET NULL would be an UPDATE of an append-only row.
    """

    __tablename__ = "credit_ledger"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index(None, "user_id", "created_at"),
    )

    # No cascade: a user with ledger history cannot be deleted by accident.
    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="RESTRICT"), nullable=False
    )
    delta: Mapped[int] = mapped_column(BigInteger, nullable=False)
    balance_after: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    source: Mapped[str] = mapped_column(String(50), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(255))
    api_key_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    run_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    actor_type: Mapped[ActorType | None] = mapped_column(str_enum(ActorType, "ledger_actor_type"))
    actor_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )

    user: Mapped[User] = relationship(lazy="raise")


class PaymentRecord(IdMixin, TimestampMixin, Base):
    """A payment from Stripe or Telegram, credited at most once."""

    __tablename__ = "payment_records"
    __table_args__ = (UniqueConstraint("provider", "provider_payment_id"),)

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    provider: Mapped[PaymentProvider] = mapped_column(
        str_enum(PaymentProvider, "payment_provider"), nullable=False
    )
    provider_payment_id: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus, "payment_status"),
        nullable=False,
        default=PaymentStatus.PENDING,
        server_default=PaymentStatus.PENDING.value,
    )
    # In the currency's minor unit (cents).
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(10), nullable=False)
    credits: Mapped[int] = mapped_column(BigInteger, nullable=False)
    ledger_entry_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    raw_event: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )
    failure_message: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(lazy="raise")
