"""client.activity: the audit trail of a workspace or of one issue."""

from __future__ import annotations

from praisonai_platform.activity.schemas import ActivityLogResponse
from praisonai_platform.client.calls import Call, api_path
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.client.resources.issues import OneOrMore


class Activity(Resource[R]):
    @endpoint
    def list(
        self,
        workspace_id: str,
        *,
        issue_id: str | None = None,
        entity_type: OneOrMore = None,
        action: OneOrMore = None,
        actor_id: OneOrMore = None,
        actor_type: OneOrMore = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[ActivityLogResponse]]:
        """Who changed what, newest first: the workspace's, or one issue's with `issue_id`."""
        if issue_id is None:
            path = api_path("workspaces", workspace_id, "activity")
        else:
            path = api_path("workspaces", workspace_id, "issues", issue_id, "activity")
        return requests.listing(
            path,
            ActivityLogResponse,
            entity_type=entity_type,
            action=action,
            actor_id=actor_id,
            actor_type=actor_type,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    iter = iterate(list)
