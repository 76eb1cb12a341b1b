"""The closed sets of values that enumerated columns admit (no database import here)."""

from __future__ import annotations

import enum


class IssueStatus(enum.StrEnum):
    BACKLOG = "backlog"
    TODO = "todo"
    IN_PROGRESS = "in-progress"
    IN_REVIEW = "in-review"
    BLOCKED = "blocked"
    DONE = "done"
    CANCELLED = "cancelled"


class IssuePriority(enum.StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


class AgentStatus(enum.StrEnum):
    """0.1.9's five statuses plus the seed's `active`. `active` and `working` name the same
    state (busy with work): each is stored as written, a filter on either finds both, and the
    0.1.9 dialect shows `active` as `working`."""

    IDLE = "idle"
    ACTIVE = "active"
    WORKING = "working"
    OFFLINE = "offline"
    BLOCKED = "blocked"
    ERROR = "error"


# The statuses that mean "busy with work", under their two names.
BUSY_AGENT_STATUSES = frozenset({AgentStatus.ACTIVE, AgentStatus.WORKING})


class AgentRuntimeMode(enum.StrEnum):
    LOCAL = "local"
    CLOUD = "cloud"
    REMOTE = "remote"


class ProjectStatus(enum.StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DependencyType(enum.StrEnum):
    BLOCKS = "blocks"
    BLOCKED_BY = "blocked_by"
    RELATED = "related"


class ActorType(enum.StrEnum):
    USER = "user"
    AGENT = "agent"
    SYSTEM = "system"


class CommentType(enum.StrEnum):
    COMMENT = "comment"
    SYSTEM = "system"
    AGENT_RESULT = "agent_result"


class RunState(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"


class EventType(enum.StrEnum):
    RUN_PENDING = "run_pending"
    RUN_PROCESSING = "run_processing"
    RUN_PROGRESS = "run_progress"
    RUN_COMPLETED = "run_completed"
    RUN_FAILED = "run_failed"
    RUN_STOPPED = "run_stopped"
    RUN_RECLAIMED = "run_reclaimed"
    WORKER_ONLINE = "worker_online"
    WORKER_OFFLINE = "worker_offline"
    ERROR = "error"
    SYSTEM = "system"


class PaymentProvider(enum.StrEnum):
    STRIPE = "stripe"
    TELEGRAM = "telegram"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    REFUNDED = "refunded"
