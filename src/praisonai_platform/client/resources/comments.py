"""client.comments"""

from __future__ import annotations

from praisonai_platform.client.calls import Call, api_path, body, changes
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.issues.comments.schemas import CommentResponse


class Comments(Resource[R]):
    @endpoint
    def create(
        self,
        workspace_id: str,
        issue_id: str,
        content: str,
        *,
        parent_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Call[CommentResponse]:
        """Comment on an issue (by id or key); `parent_id` answers another comment."""
        json = body(content=content, parent_id=parent_id)
        return requests.create(
            _path(workspace_id, issue_id), CommentResponse, json, idempotency_key
        )

    @endpoint
    def update(
        self, workspace_id: str, issue_id: str, comment_id: str, *, content: str
    ) -> Call[CommentResponse]:
        """Edit your comment."""
        path = _path(workspace_id, issue_id, comment_id)
        return requests.update(path, CommentResponse, changes(content=content))

    @endpoint
    def delete(self, workspace_id: str, issue_id: str, comment_id: str) -> Call[None]:
        """Delete your comment (admins: any comment)."""
        return requests.delete(_path(workspace_id, issue_id, comment_id))

    @endpoint
    def list(
        self,
        workspace_id: str,
        issue_id: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[CommentResponse]]:
        """The comments of an issue, oldest first."""
        path = _path(workspace_id, issue_id)
        return requests.listing(path, CommentResponse, limit=limit, offset=offset, cursor=cursor)

    iter = iterate(list)


def _path(workspace_id: str, issue_id: str, *rest: str) -> str:
    return api_path("workspaces", workspace_id, "issues", issue_id, "comments", *rest)
