"""client.dependencies: blocks, blocked_by and related links between issues."""

from __future__ import annotations

from praisonai_platform.client.calls import Call, api_path, body
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.issues.dependencies.schemas import DependencyResponse


class Dependencies(Resource[R]):
    @endpoint
    def create(
        self,
        workspace_id: str,
        issue_id: str,
        depends_on_issue_id: str,
        *,
        type: str | None = None,
        idempotency_key: str | None = None,
    ) -> Call[DependencyResponse]:
        """Link two issues (ids or keys): `blocks` (default; this one blocks the other),
        `blocked_by` or `related`. A cycle of `blocks` is refused."""
        json = body(depends_on_issue_id=depends_on_issue_id, type=type)
        path = _path(workspace_id, issue_id, slash=True)
        return requests.create(path, DependencyResponse, json, idempotency_key)

    @endpoint
    def delete(self, workspace_id: str, issue_id: str, dependency_id: str) -> Call[None]:
        return requests.delete(_path(workspace_id, issue_id, dependency_id))

    @endpoint
    def list(
        self,
        workspace_id: str,
        issue_id: str,
        *,
        direction: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[DependencyResponse]]:
        """`direction`: outgoing (the issue's own), incoming (naming it) or both."""
        return requests.listing(
            _path(workspace_id, issue_id, slash=True),
            DependencyResponse,
            direction=direction,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    iter = iterate(list)


def _path(workspace_id: str, issue_id: str, *rest: str, slash: bool = False) -> str:
    segments = ("workspaces", workspace_id, "issues", issue_id, "dependencies", *rest)
    return api_path(*segments, slash=slash)
