"""Routes of /api/v1/workspaces/{workspace_id}/… for projects."""

from __future__ import annotations

from fastapi import Response

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.projects import service as projects
from praisonai_platform.projects.schemas import (
    ProjectCreate,
    ProjectResponse,
    ProjectStatsResponse,
    ProjectUpdate,
)

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["projects"])


@router.post("/projects/", status_code=201, response_model=ProjectResponse)
async def create_project(
    workspace_id: str, body: ProjectCreate, actor: CurrentActor, session: DbSession
) -> ProjectResponse:
    """Create a project (members). A lead must be a member or an agent of the workspace."""
    project = await projects.create(
        session,
        actor,
        workspace_id,
        name=body.project_name,
        description=body.description,
        icon=body.icon,
        status=body.status,
        lead_type=body.lead_type,
        lead_id=body.lead_id,
        settings=body.settings,
    )
    return ProjectResponse.model_validate(project)


@router.get("/projects/", response_model=list[ProjectResponse])
async def list_projects(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
) -> list[ProjectResponse]:
    """The workspace's projects, oldest first."""
    page = await projects.list_for(session, actor, workspace_id, listing.page)
    return [ProjectResponse.model_validate(p) for p in listing.items(page)]


@router.get("/projects/{project_id}", response_model=ProjectResponse)
async def get_project(
    workspace_id: str, project_id: str, actor: CurrentActor, session: DbSession
) -> ProjectResponse:
    project = await projects.get(session, actor, workspace_id, project_id)
    return ProjectResponse.model_validate(project)


@router.patch("/projects/{project_id}", response_model=ProjectResponse)
async def update_project(
    workspace_id: str,
    project_id: str,
    body: ProjectUpdate,
    actor: CurrentActor,
    session: DbSession,
) -> ProjectResponse:
    """Change a project (admins and the project's lead). Null fields are left as they are;
    `lead_id: ""` removes the lead."""
    project = await projects.update(
        session, actor, workspace_id, project_id, body.changes(), lead_type=body.lead_type
    )
    return ProjectResponse.model_validate(project)


@router.delete("/projects/{project_id}", status_code=204)
async def delete_project(
    workspace_id: str, project_id: str, actor: CurrentActor, session: DbSession
) -> Response:
    """Delete a project (admins and the project's lead); its issues stay, without a project."""
    await projects.delete(session, actor, workspace_id, project_id)
    return Response(status_code=204)


@router.get("/projects/{project_id}/stats", response_model=ProjectStatsResponse)
async def project_stats(
    workspace_id: str, project_id: str, actor: CurrentActor, session: DbSession
) -> ProjectStatsResponse:
    """Counts of the project's issues by status and priority, and how much of it is done."""
    stats = await projects.stats(session, actor, workspace_id, project_id)
    return ProjectStatsResponse.model_validate(stats)
