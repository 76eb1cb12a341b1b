"""Routes of /api/v1/workspaces/{workspace_id}/… for issues."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["issues"])
