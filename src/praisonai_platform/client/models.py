"""The result types: the server's own response schemas, under short names."""

from __future__ import annotations

from praisonai_platform.accounts.schemas import TokenResponse as Session
from praisonai_platform.accounts.schemas import UserResponse as User
from praisonai_platform.activity.schemas import ActivityLogResponse as ActivityEntry
from praisonai_platform.agents.schemas import AgentResponse as Agent
from praisonai_platform.core.enums import (
    ActorType,
    AgentRuntimeMode,
    AgentStatus,
    DependencyType,
    EventType,
    InvitationStatus,
    IssuePriority,
    IssueStatus,
    MemberRole,
    ProjectStatus,
    RunState,
)
from praisonai_platform.events.schemas import EventStreamReset, WorkspaceEventPage
from praisonai_platform.events.schemas import WorkspaceEventResponse as WorkspaceEvent
from praisonai_platform.issues.comments.schemas import CommentResponse as Comment
from praisonai_platform.issues.dependencies.schemas import DependencyResponse as Dependency
from praisonai_platform.issues.labels.schemas import LabelResponse as Label
from praisonai_platform.issues.schemas import AssigneeType, IssueSort
from praisonai_platform.issues.schemas import IssueResponse as Issue
from praisonai_platform.projects.schemas import ProjectResponse as Project
from praisonai_platform.projects.schemas import ProjectStatsResponse as ProjectStats
from praisonai_platform.runs.events.schemas import EventResponse as Event
from praisonai_platform.runs.schemas import RunResponse as Run
from praisonai_platform.runs.schemas import RunUsageResponse as UsageCharge
from praisonai_platform.runs.workers.schemas import HeartbeatResponse as WorkerHeartbeat
from praisonai_platform.runs.workers.schemas import HeldRunResponse as HeldRun
from praisonai_platform.runs.workers.schemas import WorkerResponse as Worker
from praisonai_platform.runs.workers.schemas import WorkerStatus
from praisonai_platform.search.schemas import MatchedIn, ResultType, SearchResult
from praisonai_platform.workspaces.invitations.schemas import InvitationResponse as Invitation
from praisonai_platform.workspaces.invitations.schemas import InvitationSent
from praisonai_platform.workspaces.invitations.schemas import (
    MyInvitationResponse as ReceivedInvitation,
)
from praisonai_platform.workspaces.members.schemas import MemberResponse as Member
from praisonai_platform.workspaces.schemas import WorkspaceResponse as Workspace

__all__ = [
    "ActivityEntry",
    "ActorType",
    "Agent",
    "AgentRuntimeMode",
    "AgentStatus",
    "AssigneeType",
    "Comment",
    "Dependency",
    "DependencyType",
    "Event",
    "EventStreamReset",
    "EventType",
    "HeldRun",
    "Invitation",
    "InvitationSent",
    "InvitationStatus",
    "Issue",
    "IssuePriority",
    "IssueSort",
    "IssueStatus",
    "Label",
    "MatchedIn",
    "Member",
    "MemberRole",
    "Project",
    "ProjectStats",
    "ProjectStatus",
    "ReceivedInvitation",
    "ResultType",
    "Run",
    "RunState",
    "SearchResult",
    "Session",
    "UsageCharge",
    "User",
    "Worker",
    "WorkerHeartbeat",
    "WorkerStatus",
    "Workspace",
    "WorkspaceEvent",
    "WorkspaceEventPage",
]
