"""Agent work as a queue: runs, the workers that claim them, their events, and idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praisonai_platform.core.limits import (
    DEFAULT_MAX_ATTEMPTS,
    MAX_CURRENT_STEP,
    MAX_FAILURE_REASON,
    MAX_HOST,
    MAX_NAME,
    MAX_PROGRESS,
    MAX_WORKER_ID,
)
from praisonai_platform.db.base import Base
from praisonai_platform.db.models.enums import ActorType, EventType, RunState
from praisonai_platform.db.models.mixins import ID_LENGTH, CreatedAtMixin, IdMixin, TimestampMixin
from praisonai_platform.db.types import JSONDict, UTCDateTime, json_default_dict, str_enum

if TYPE_CHECKING:
    from praisonai_platform.db.models.agents import Agent
    from praisonai_platform.db.models.issues import Issue
    from praisonai_platform.db.models.workspaces import Workspace


class Run(IdMixin, TimestampMixin, Base):
    """An agent's unit of work, usually on an issue, queued until a worker claims it."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(
            f"progress_percentage >= 0 AND progress_percentage <= {MAX_PROGRESS}",
            name="progress_in_range",
        ),
        CheckConstraint("attempt_count >= 0", name="attempt_count_not_negative"),
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
        # What a run's steps were charged never passes its budget, whatever reports race.
        CheckConstraint("budget IS NULL OR budget > 0", name="budget_positive"),
        CheckConstraint("spent >= 0 AND (budget IS NULL OR spent <= budget)", name="within_budget"),
        # Claiming scans pending runs oldest first; reclaiming scans leases.
        Index(None, "state", "created_at"),
        Index(None, "agent_id", "state"),
        Index(None, "state", "lease_expires_at"),
        Index(None, "workspace_id", "created_at"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    issue_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("issues.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
    )
    created_by_type: Mapped[ActorType] = mapped_column(
        str_enum(ActorType, "run_creator_type"),
        nullable=False,
        default=ActorType.USER,
        server_default=ActorType.USER.value,
    )
    created_by_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    state: Mapped[RunState] = mapped_column(
        str_enum(RunState, "run_state"),
        nullable=False,
        default=RunState.PENDING,
        server_default=RunState.PENDING.value,
    )
    parameters: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )
    progress_percentage: Mapped[float] = mapped_column(
        Float, nullable=False, default=0.0, server_default="0"
    )
    progress_message: Mapped[str | None] = mapped_column(Text)
    steps_completed: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    steps_total: Mapped[int | None] = mapped_column(Integer)
    current_step: Mapped[str | None] = mapped_column(String(MAX_CURRENT_STEP))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDict)
    failure_reason: Mapped[str | None] = mapped_column(String(MAX_FAILURE_REASON))
    failure_message: Mapped[str | None] = mapped_column(Text)
    attempt_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    max_attempts: Mapped[int] = mapped_column(
        Integer,
        nullable=False,
        default=DEFAULT_MAX_ATTEMPTS,
        server_default=str(DEFAULT_MAX_ATTEMPTS),
    )
    worker_id: Mapped[str | None] = mapped_column(
        String(MAX_WORKER_ID), ForeignKey("workers.id", ondelete="SET NULL"), index=True
    )
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stop_requested: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    stop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When a client last looked at the run's progress (PlanExe's last_seen_timestamp).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Micro-credits: the most its steps may be charged together (None: no limit), set by whoever
    # queued it; and what they were charged so far (kept with the ledger, in one transaction).
    budget: Mapped[int | None] = mapped_column(BigInteger)
    spent: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")

    workspace: Mapped[Workspace] = relationship(lazy="raise")
    issue: Mapped[Issue | None] = relationship(lazy="raise")
    agent: Mapped[Agent] = relationship(lazy="raise")


class Worker(TimestampMixin, Base):
    """A worker process that claims runs, known by the id it registers with."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(MAX_WORKER_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), nullable=False)
    host: Mapped[str | None] = mapped_column(String(MAX_HOST))
    pid: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    # Plain id: runs already point at workers, and a cycle of foreign keys buys nothing here.
    current_run_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # The person whose credential registered a remote worker; None for the server's own worker
    # processes (and once that person is deleted: nobody but the server may act as it then).
    registered_by_user_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Set when the worker signs off, cleared when it registers or heartbeats again.
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )


class Event(IdMixin, CreatedAtMixin, Base):
    """A typed, append-only record of something that happened to a run or the system."""

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "workspace_id", "created_at"),
        Index(None, "run_id", "created_at"),
        Index(None, "event_type", "created_at"),
    )

    event_type: Mapped[EventType] = mapped_column(str_enum(EventType, "event_type"), nullable=False)
    workspace_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    run_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("runs.id", ondelete="CASCADE")
    )
    worker_id: Mapped[str | None] = mapped_column(String(MAX_WORKER_ID))
    message: Mapped[str | None] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(
        JSONDict, nullable=False, default=json_default_dict
    )

    run: Mapped[Run | None] = relationship(lazy="raise")


class Nonce(IdMixin, CreatedAtMixin, Base):
    """A single-use key (Idempotency-Key) and the result of the request that first used it."""

    __tablename__ = "nonces"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    scope: Mapped[str] = mapped_column(String(255), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[str | None] = mapped_column(String(128))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONDict)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    # How often the key was presented, and when last: counted by one atomic upsert.
    request_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1, server_default="1"
    )
    last_accessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
