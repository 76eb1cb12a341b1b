"""Every route of /api/v1, gathered in one router."""

from fastapi import APIRouter

from praisonai_platform.accounts import routes as auth
from praisonai_platform.accounts.api_keys import routes as api_keys
from praisonai_platform.accounts.oauth import routes as oauth
from praisonai_platform.activity import routes as activity
from praisonai_platform.agents import routes as agents
from praisonai_platform.billing import routes as credits
from praisonai_platform.billing.payments import routes as payments
from praisonai_platform.core.schemas import ERROR_RESPONSES
from praisonai_platform.events import routes as feed
from praisonai_platform.issues import routes as issues
from praisonai_platform.issues.comments import routes as comments
from praisonai_platform.issues.dependencies import routes as dependencies
from praisonai_platform.issues.labels import routes as labels
from praisonai_platform.projects import routes as projects
from praisonai_platform.runs import routes as runs
from praisonai_platform.runs.events import routes as events
from praisonai_platform.runs.reports import routes as run_reports
from praisonai_platform.runs.workers import routes as workers
from praisonai_platform.search import routes as search
from praisonai_platform.webhooks import routes as webhooks
from praisonai_platform.workspaces import routes as workspaces
from praisonai_platform.workspaces.invitations import routes as invitations
from praisonai_platform.workspaces.members import routes as members

api_router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
for module in (
    auth,
    oauth,
    api_keys,
    workspaces,
    members,
    invitations,
    projects,
    issues,
    comments,
    labels,
    dependencies,
    search,
    agents,
    activity,
    runs,
    workers,
    run_reports,
    events,
    feed,
    credits,
    payments,
    webhooks,
):
    api_router.include_router(module.router)
