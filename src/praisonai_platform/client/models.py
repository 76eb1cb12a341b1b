"""The result types: the server's own response schemas, under short names."""

from __future__ import annotations

from praisonai_platform.enums import (
    ActorType,
    AgentRuntimeMode,
    AgentStatus,
    DependencyType,
    IssuePriority,
    IssueStatus,
    MemberRole,
    ProjectStatus,
)
from praisonai_platform.schemas.activity import ActivityLogResponse as ActivityEntry
from praisonai_platform.schemas.agents import AgentResponse as Agent
from praisonai_platform.schemas.auth import TokenResponse as Session
from praisonai_platform.schemas.auth import UserResponse as User
from praisonai_platform.schemas.comments import CommentResponse as Comment
from praisonai_platform.schemas.dependencies import DependencyResponse as Dependency
from praisonai_platform.schemas.issues import AssigneeType, IssueSort
from praisonai_platform.schemas.issues import IssueResponse as Issue
from praisonai_platform.schemas.labels import LabelResponse as Label
from praisonai_platform.schemas.members import MemberResponse as Member
from praisonai_platform.schemas.projects import ProjectResponse as Project
from praisonai_platform.schemas.projects import ProjectStatsResponse as ProjectStats
from praisonai_platform.schemas.workspaces import WorkspaceResponse as Workspace

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
