"""The enumerated column values, defined framework-free in `praisonai_platform.core.enums`."""

from praisonai_platform.core.enums import (
    ActorType,
    AgentRuntimeMode,
    AgentStatus,
    CommentType,
    DependencyType,
    EventType,
    IssuePriority,
    IssueStatus,
    MemberRole,
    PaymentProvider,
    PaymentStatus,
    ProjectStatus,
    RunState,
)

__all__ = [
    "ActorType",
    "AgentRuntimeMode",
    "AgentStatus",
    "CommentType",
    "DependencyType",
    "EventType",
    "IssuePriority",
    "IssueStatus",
    "MemberRole",
    "PaymentProvider",
    "PaymentStatus",
    "ProjectStatus",
    "RunState",
]
