"""Routes of /api/v1/workspaces/{workspace_id}/… for projects."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["projects"])
