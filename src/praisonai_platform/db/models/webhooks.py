"""Outgoing webhooks: a workspace's subscriptions and the outbox of their deliveries.

A delivery is written in the transaction of the change it announces (db/webhook_outbox.py), so
nothing is sent for a change that was rolled back and nothing committed is lost. The delivery
loop (webhooks/sender.py) claims due deliveries with a lease, one sender per delivery.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.mixins import ID_LENGTH, IdMixin, TimestampMixin
from praisonai_platform.db.types import JSONDict, UTCDateTime, json_default_dict, str_enum, utcnow

# SQLite numbers rows only through an INTEGER PRIMARY KEY; deliveries of a subscription are sent
# in the order of these ids.
DELIVERY_ID = BigInteger().with_variant(Integer(), "sqlite")
MAX_URL = 2048


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt
    IN_FLIGHT = "in_flight"  # claimed by a sender until `claimed_until`
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # its last attempt failed; retried at `next_attempt_at`
    DEAD = "dead"  # retried for as long as allowed: never sent again


# A delivery in these states holds back the later deliveries of its subscription.
OPEN_STATES = (DeliveryState.PENDING, DeliveryState.IN_FLIGHT, DeliveryState.FAILED)


class WebhookSubscription(IdMixin, TimestampMixin, Base):
    """Where a workspace's events of some types are POSTed, signed with `secret`."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index(None, "workspace_id", "active"),)

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    url: Mapped[str] = mapped_column(String(MAX_URL), nullable=False)
    description: Mapped[str | None] = mapped_column(String(500))
    # `*`, exact types (`issue.created`) or prefixes (`issue.*`).
    event_types: Mapped[list[str]] = mapped_column(JSONDict, nullable=False)
    # Kept as is: every delivery is signed with it. Shown once, when made or rotated.
    secret: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )
    created_by: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    consecutive_failures: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<WebhookSubscription {self.id} active={self.active}>"


class WebhookDelivery(TimestampMixin, Base):
    """One event (or ping) to send to one subscription, with the outcome of its last attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # Listing a subscription's log, and finding an earlier open delivery of it.
        Index(None, "subscription_id", "id"),
        # Finding due deliveries.
        Index(None, "state", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(DELIVERY_ID, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(
        String(ID_LENGTH),
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    )
    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    # The feed event it announces (workspace_events.id; no foreign key: the feed is purged
    # while the delivery log stays); None for a ping.
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(80), nullable=False)
    # The JSON body sent, as written with the event.
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )
    state: Mapped[DeliveryState] = mapped_column(
        str_enum(DeliveryState, "webhook_delivery_state"),
        nullable=False,
        default=DeliveryState.PENDING,
        server_default=DeliveryState.PENDING.value,
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The delivery this one repeats (redeliver), if any.
    redelivery_of: Mapped[int | None] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.event_type} {self.state.value}>"
