"""Every table of the platform. Importing this package registers them all on `Base.metadata`."""

# Their listeners add the append-only ledger and the search index wherever create_all runs.
from praisonai_platform.db import ledger_ddl, search_ddl  # noqa: F401
from praisonai_platform.db.models.account_tokens import AccountToken
from praisonai_platform.db.models.accounts import UserApiKey, UserProvider
from praisonai_platform.db.models.activity import ActivityLog
from praisonai_platform.db.models.agents import Agent
from praisonai_platform.db.models.comments import Comment
from praisonai_platform.db.models.credits import CreditLedgerEntry, PaymentRecord
from praisonai_platform.db.models.enums import (
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
from praisonai_platform.db.models.feed import WorkspaceEvent
from praisonai_platform.db.models.invitations import Invitation
from praisonai_platform.db.models.issues import Issue, IssueDependency, IssueLabel, IssueLabelLink
from praisonai_platform.db.models.projects import Project
from praisonai_platform.db.models.runs import Event, Nonce, Run, Worker
from praisonai_platform.db.models.server import ServerSecret
from praisonai_platform.db.models.users import User
from praisonai_platform.db.models.webhooks import (
    DeliveryState,
    WebhookDelivery,
    WebhookSubscription,
)
from praisonai_platform.db.models.workspaces import Member, Workspace

__all__ = [
    "AccountToken",
    "ActivityLog",
    "ActorType",
    "Agent",
    "AgentRuntimeMode",
    "AgentStatus",
    "Comment",
    "CommentType",
    "CreditLedgerEntry",
    "DeliveryState",
    "DependencyType",
    "Event",
    "EventType",
    "Invitation",
    "Issue",
    "IssueDependency",
    "IssueLabel",
    "IssueLabelLink",
    "IssuePriority",
    "IssueStatus",
    "Member",
    "MemberRole",
    "Nonce",
    "PaymentProvider",
    "PaymentRecord",
    "PaymentStatus",
    "Project",
    "ProjectStatus",
    "Run",
    "RunState",
    "ServerSecret",
    "User",
    "UserApiKey",
    "UserProvider",
    "WebhookDelivery",
    "WebhookSubscription",
    "Worker",
    "Workspace",
    "WorkspaceEvent",
]

# Registers the session listeners that write the change feed wherever the models are used; last,
# because it imports the models above.
from praisonai_platform.db import change_feed  # noqa: F401
