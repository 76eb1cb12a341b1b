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
    IssuePriority,
    IssueStatus,
    MemberRole,
    ProjectStatus,
)
from praisonai_platform.issues.comments.schemas import CommentResponse as Comment
from praisonai_platform.issues.dependencies.schemas import DependencyResponse as Dependency
from praisonai_platform.issues.labels.schemas import LabelResponse as Label
from praisonai_platform.issues.schemas import AssigneeType, IssueSort
from praisonai_platform.issues.schemas import IssueResponse as Issue
from praisonai_platform.projects.schemas import ProjectResponse as Project
from praisonai_platform.projects.schemas import ProjectStatsResponse as ProjectStats
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
    "Issue",
    "IssuePriority",
    "IssueSort",
    "IssueStatus",
    "Label",
    "Member",
    "MemberRole",
    "Project",
    "ProjectStats",
    "ProjectStatus",
    "Session",
    "User",
    "Workspace",
]
