"""client.projects"""

from __future__ import annotations

from typing import Any

from praisonai_platform.client.calls import UNSET, Call, Unset, api_path, body, changes
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.core.enums import ProjectStatus
from praisonai_platform.projects.schemas import ProjectResponse, ProjectStatsResponse


class Projects(Resource[R]):
    @endpoint
    def create(
        self,
        workspace_id: str,
        name: str | None = None,
        *,
        title: str | None = None,
        description: str | None = None,
        icon: str | None = None,
        status: ProjectStatus | str | None = None,
        lead_type: str | None = None,
        lead_id: str | None = None,
        settings: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Call[ProjectResponse]:
        """Create a project (admins). `title` is 0.1.9's name for `name`."""
        json = body(
            name=name,
            title=title,
            description=description,
            icon=icon,
            status=status,
            lead_type=lead_type,
            lead_id=lead_id,
            settings=settings,
        )
        path = api_path("workspaces", workspace_id, "projects", slash=True)
        return requests.create(path, ProjectResponse, json, idempotency_key)

    @endpoint
    def get(self, workspace_id: str, project_id: str) -> Call[ProjectResponse]:
        path = api_path("workspaces", workspace_id, "projects", project_id)
        return requests.get(path, ProjectResponse)

    @endpoint
    def update(
        self,
        workspace_id: str,
        project_id: str,
        *,
        name: str | Unset = UNSET,
        description: str | Unset = UNSET,
        icon: str | Unset = UNSET,
        status: ProjectStatus | str | Unset = UNSET,
        lead_type: str | Unset = UNSET,
        lead_id: str | Unset = UNSET,
        settings: dict[str, Any] | Unset = UNSET,
    ) -> Call[ProjectResponse]:
        """Change the fields given; `lead_id=""` removes the lead."""
        json = changes(
            name=name,
            description=description,
            icon=icon,
            status=status,
            lead_type=lead_type,
            lead_id=lead_id,
            settings=settings,
        )
        path = api_path("workspaces", workspace_id, "projects", project_id)
        return requests.update(path, ProjectResponse, json)

    @endpoint
    def delete(self, workspace_id: str, project_id: str) -> Call[None]:
        """Delete the project; its issues stay, without a project."""
        return requests.delete(api_path("workspaces", workspace_id, "projects", project_id))

    @endpoint
    def stats(self, workspace_id: str, project_id: str) -> Call[ProjectStatsResponse]:
        """Issue counts by status and priority, and the completion ratio."""
        path = api_path("workspaces", workspace_id, "projects", project_id, "stats")
        return requests.get(path, ProjectStatsResponse)

    @endpoint
    def list(
        self,
        workspace_id: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[ProjectResponse]]:
        path = api_path("workspaces", workspace_id, "projects", slash=True)
        return requests.listing(path, ProjectResponse, limit=limit, offset=offset, cursor=cursor)

    iter = iterate(list)
