"""Workspaces."""

from __future__ import annotations

from fastapi import Response

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.workspaces import service as workspaces
from praisonai_platform.workspaces.schemas import (
    WorkspaceCreate,
    WorkspaceResponse,
    WorkspaceUpdate,
)

router = APIRouter(prefix="/workspaces", tags=["workspaces"])


@router.post("/", status_code=201, response_model=WorkspaceResponse)
async def create_workspace(
    body: WorkspaceCreate, actor: CurrentActor, session: DbSession
) -> WorkspaceResponse:
    """Create a workspace; you become its owner."""
    workspace = await workspaces.create(session, actor, **body.model_dump())
    return WorkspaceResponse.model_validate(workspace)


@router.get("/", response_model=list[WorkspaceResponse])
async def list_workspaces(
    actor: CurrentActor, session: DbSession, listing: ListPaging
) -> list[WorkspaceResponse]:
    """The workspaces you are a member of, oldest first."""
    page = await workspaces.list_for(session, actor, listing.page)
    return [WorkspaceResponse.model_validate(w) for w in listing.items(page)]


@router.get("/{workspace_id}", response_model=WorkspaceResponse)
async def get_workspace(
    workspace_id: str, actor: CurrentActor, session: DbSession
) -> WorkspaceResponse:
    return WorkspaceResponse.model_validate(await workspaces.get(session, actor, workspace_id))


@router.patch("/{workspace_id}", response_model=WorkspaceResponse)
async def update_workspace(
    workspace_id: str, body: WorkspaceUpdate, actor: CurrentActor, session: DbSession
) -> WorkspaceResponse:
    """Rename, describe, configure, or change the prefix of new issue keys (admins)."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    workspace = await workspaces.update(session, actor, workspace_id, changes)
    return WorkspaceResponse.model_validate(workspace)


@router.delete("/{workspace_id}", status_code=204)
async def delete_workspace(workspace_id: str, actor: CurrentActor, session: DbSession) -> Response:
    """Delete the workspace and everything in it (owners)."""
    await workspaces.delete(session, actor, workspace_id)
    return Response(status_code=204)
