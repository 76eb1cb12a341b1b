"""Routes of /api/v1/workspaces/{workspace_id}/… for dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.issues.dependencies import service as dependencies
from praisonai_platform.issues.dependencies.schemas import DependencyCreate, DependencyResponse
from praisonai_platform.issues.dependencies.service import Direction

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["dependencies"])

_BASE = "/issues/{issue_id}/dependencies"


@router.post(f"{_BASE}/", status_code=201, response_model=DependencyResponse)
async def create_dependency(
    workspace_id: str,
    issue_id: str,
    body: DependencyCreate,
    actor: CurrentActor,
    session: DbSession,
) -> DependencyResponse:
    """Make the issue depend on another one of the workspace (members).

    422 `invalid_reference` for an issue elsewhere, `self_dependency`, `dependency_cycle` when
    blocking would go round in a circle; 409 `dependency_exists`.
    """
    dependency = await dependencies.create(
        session,
        actor,
        workspace_id,
        issue_id,
        depends_on_ref=body.depends_on_issue_id,
        dependency_type=body.type,
    )
    return DependencyResponse.model_validate(dependency)


@router.get(f"{_BASE}/", response_model=list[DependencyResponse])
async def list_dependencies(
    workspace_id: str,
    issue_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    direction: Annotated[
        Direction,
        Query(description="`outgoing`: the issue's own; `incoming`: naming it; `both`."),
    ] = "outgoing",
) -> list[DependencyResponse]:
    """The issue's dependencies, oldest first."""
    page = await dependencies.list_for(
        session, actor, workspace_id, issue_id, listing.page, direction=direction
    )
    return [DependencyResponse.model_validate(d) for d in listing.items(page)]


@router.delete(f"{_BASE}/{{dep_id}}", status_code=204)
async def delete_dependency(
    workspace_id: str, issue_id: str, dep_id: str, actor: CurrentActor, session: DbSession
) -> Response:
    """Remove a dependency the issue takes part in (members)."""
    await dependencies.delete(session, actor, workspace_id, issue_id, dep_id)
    return Response(status_code=204)
