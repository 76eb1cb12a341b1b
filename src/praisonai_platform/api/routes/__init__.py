"""Every route of /api/v1, gathered in one router."""

from fastapi import APIRouter

from praisonai_platform.api.routes import auth, workspaces

api_router = APIRouter(prefix="/api/v1")
for module in (auth, workspaces):
    api_router.include_router(module.router)
