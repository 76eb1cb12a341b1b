"""Every route of /api/v1, gathered in one router."""

from fastapi import APIRouter

from praisonai_platform.api.routes import (
    activity,
    agents,
    api_keys,
    auth,
    comments,
    credits,
    dependencies,
    events,
    issues,
    labels,
    members,
    oauth,
    payments,
    projects,
    run_reports,
    runs,
    workers,
    workspaces,
)
from praisonai_platform.schemas.common import ERROR_RESPONSES

api_router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
for module in (
    auth,
    oauth,
    api_keys,
    workspaces,
    members,
    projects,
    issues,
    comments,
    labels,
    dependencies,
    agents,
    activity,
    runs,
    workers,
    run_reports,
    events,
    credits,
    payments,
):
    api_router.include_router(module.router)
