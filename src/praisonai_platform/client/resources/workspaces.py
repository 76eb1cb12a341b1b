"""client.workspaces"""

from __future__ import annotations

from typing import Any

from praisonai_platform.client.calls import UNSET, Call, Unset, api_path, body, changes
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.workspaces.schemas import WorkspaceResponse


class Workspaces(Resource[R]):
    @endpoint
    def create(
        self,
        name: str,
        *,
        slug: str | None = None,
        description: str | None = None,
        issue_prefix: str | None = None,
        settings: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Call[WorkspaceResponse]:
        """Create a workspace; you become its owner. `issue_prefix` (e.g. ENG) starts issue keys."""
        json = body(
            name=name,
            slug=slug,
            description=description,
            issue_prefix=issue_prefix,
            settings=settings,
        )
        return requests.create(
            api_path("workspaces", slash=True), WorkspaceResponse, json, idempotency_key
        )

    @endpoint
    def get(self, workspace_id: str) -> Call[WorkspaceResponse]:
        return requests.get(api_path("workspaces", workspace_id), WorkspaceResponse)

    @endpoint
    def update(
        self,
        workspace_id: str,
        *,
        name: str | Unset = UNSET,
        description: str | Unset | None = UNSET,
        settings: dict[str, Any] | Unset | None = UNSET,
        issue_prefix: str | Unset = UNSET,
    ) -> Call[WorkspaceResponse]:
        """Change the fields given (admins). A new `issue_prefix` applies to new issues."""
        json = changes(
            name=name, description=description, settings=settings, issue_prefix=issue_prefix
        )
        return requests.update(api_path("workspaces", workspace_id), WorkspaceResponse, json)

    @endpoint
    def delete(self, workspace_id: str) -> Call[None]:
        """Delete the workspace and everything in it (owners)."""
        return requests.delete(api_path("workspaces", workspace_id))

    @endpoint
    def list(
        self, *, limit: int | None = None, offset: int | None = None, cursor: str | None = None
    ) -> Call[Page[WorkspaceResponse]]:
        """The workspaces you are a member of."""
        path = api_path("workspaces", slash=True)
        return requests.listing(path, WorkspaceResponse, limit=limit, offset=offset, cursor=cursor)

    iter = iterate(list)
