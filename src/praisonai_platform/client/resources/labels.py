"""client.labels: the labels of a workspace (attach them with client.issues.add_label)."""

from __future__ import annotations

from praisonai_platform.client.calls import UNSET, Call, Unset, api_path, body, changes
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.issues.labels.schemas import LabelResponse


class Labels(Resource[R]):
    @endpoint
    def create(
        self,
        workspace_id: str,
        name: str,
        *,
        color: str | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> Call[LabelResponse]:
        """Create a label; `color` is #rrggbb."""
        json = body(name=name, color=color, description=description)
        path = api_path("workspaces", workspace_id, "labels")
        return requests.create(path, LabelResponse, json, idempotency_key)

    @endpoint
    def update(
        self,
        workspace_id: str,
        label_id: str,
        *,
        name: str | Unset = UNSET,
        color: str | Unset = UNSET,
        description: str | Unset | None = UNSET,
    ) -> Call[LabelResponse]:
        json = changes(name=name, color=color, description=description)
        path = api_path("workspaces", workspace_id, "labels", label_id)
        return requests.update(path, LabelResponse, json)

    @endpoint
    def delete(self, workspace_id: str, label_id: str) -> Call[None]:
        """Delete a label; it comes off every issue."""
        return requests.delete(api_path("workspaces", workspace_id, "labels", label_id))

    @endpoint
    def list(
        self,
        workspace_id: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[LabelResponse]]:
        path = api_path("workspaces", workspace_id, "labels")
        return requests.listing(path, LabelResponse, limit=limit, offset=offset, cursor=cursor)

    iter = iterate(list)
