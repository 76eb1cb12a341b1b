"""client.issues: issues, their sub-issues and labels, found by id or by key (ENG-42)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from praisonai_platform.client.calls import (
    UNSET,
    Call,
    Flow,
    Operation,
    Unset,
    api_path,
    body,
    changes,
)
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.errors import NotFound, ValidationError
from praisonai_platform.client.pages import Page, collect
from praisonai_platform.client.resources import requests
from praisonai_platform.issues.labels.schemas import LabelResponse
from praisonai_platform.issues.schemas import IssueResponse
from praisonai_platform.workspaces.schemas import WorkspaceResponse

OneOrMore = str | Sequence[str] | None


class Issues(Resource[R]):
    @endpoint
    def create(
        self,
        workspace_id: str,
        title: str,
        *,
        description: str | None = None,
        project_id: str | None = None,
        status: str | None = None,
        priority: str | None = None,
        assignee_id: str | None = None,
        assignee_type: str | None = None,
        parent_issue_id: str | None = None,
        acceptance_criteria: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Call[IssueResponse]:
        """Create an issue; it takes the workspace's next number (key PREFIX-N)."""
        json = body(
            title=title,
            description=description,
            project_id=project_id,
            status=status,
            priority=priority,
            assignee_id=assignee_id,
            assignee_type=assignee_type,
            parent_issue_id=parent_issue_id,
            acceptance_criteria=_strings(acceptance_criteria),
        )
        path = api_path("workspaces", workspace_id, "issues", slash=True)
        return requests.create(path, IssueResponse, json, idempotency_key)

    @endpoint
    def get(self, workspace_id: str, issue_id: str) -> Call[IssueResponse]:
        """An issue by id or key (ENG-42)."""
        return requests.get(_issue_path(workspace_id, issue_id), IssueResponse)

    @endpoint
    def get_by_key(self, key: str, *, workspace_id: str | None = None) -> Operation[IssueResponse]:
        """An issue by key (ENG-42). Without `workspace_id` your workspaces are searched, those
        whose prefix matches first (keys stay valid after a prefix change)."""
        if workspace_id is not None:
            return requests.get(_issue_path(workspace_id, key), IssueResponse)
        prefix, _, number = key.strip().rpartition("-")
        if not prefix or not number.isdigit():
            raise ValidationError(f"{key!r} is not an issue key like ENG-42", code="invalid_key")
        return _find_by_key(key.strip(), prefix.upper())

    @endpoint
    def update(
        self,
        workspace_id: str,
        issue_id: str,
        *,
        title: str | Unset = UNSET,
        description: str | Unset | None = UNSET,
        status: str | Unset = UNSET,
        priority: str | Unset = UNSET,
        assignee_id: str | Unset | None = UNSET,
        assignee_type: str | Unset | None = UNSET,
        project_id: str | Unset | None = UNSET,
        parent_issue_id: str | Unset | None = UNSET,
        acceptance_criteria: Sequence[str] | Unset | None = UNSET,
        if_match: int | str | None = None,
    ) -> Call[IssueResponse]:
        """Change the fields given; None unassigns or detaches. With `if_match` (the version you
        read) a concurrent change makes this fail with PreconditionFailed."""
        criteria = acceptance_criteria
        if criteria is not UNSET:
            criteria = _strings(criteria)
        json = changes(
            title=title,
            description=description,
            status=status,
            priority=priority,
            assignee_id=assignee_id,
            assignee_type=assignee_type,
            project_id=project_id,
            parent_issue_id=parent_issue_id,
            acceptance_criteria=criteria,
        )
        headers = {"If-Match": _etag(if_match)} if if_match is not None else None
        return requests.update(_issue_path(workspace_id, issue_id), IssueResponse, json, headers)

    @endpoint
    def delete(self, workspace_id: str, issue_id: str) -> Call[None]:
        """Delete an issue with its comments (admins or its creator)."""
        return requests.delete(_issue_path(workspace_id, issue_id))

    @endpoint
    def add_label(self, workspace_id: str, issue_id: str, label_id: str) -> Call[None]:
        return requests.action("POST", _issue_path(workspace_id, issue_id, "labels", label_id))

    @endpoint
    def remove_label(self, workspace_id: str, issue_id: str, label_id: str) -> Call[None]:
        return requests.action("DELETE", _issue_path(workspace_id, issue_id, "labels", label_id))

    @endpoint
    def labels(
        self,
        workspace_id: str,
        issue_id: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[LabelResponse]]:
        """The labels attached to an issue."""
        path = _issue_path(workspace_id, issue_id, "labels")
        return requests.listing(path, LabelResponse, limit=limit, offset=offset, cursor=cursor)

    @endpoint
    def children(
        self,
        workspace_id: str,
        issue_id: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[IssueResponse]]:
        """The direct sub-issues of an issue, by number."""
        path = _issue_path(workspace_id, issue_id, "children")
        return requests.listing(path, IssueResponse, limit=limit, offset=offset, cursor=cursor)

    @endpoint
    def search(
        self,
        workspace_id: str,
        text: str,
        *,
        status: OneOrMore = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[IssueResponse]]:
        """Issues whose title or description contains `text` (any case)."""
        path = api_path("workspaces", workspace_id, "issues", slash=True)
        return requests.listing(
            path, IssueResponse, q=text, status=status, limit=limit, offset=offset, cursor=cursor
        )

    @endpoint
    def list(
        self,
        workspace_id: str,
        *,
        status: OneOrMore = None,
        priority: OneOrMore = None,
        assignee_id: str | None = None,
        assignee_type: str | None = None,
        creator_id: str | None = None,
        project_id: str | None = None,
        label: OneOrMore = None,
        parent_issue_id: str | None = None,
        updated_since: datetime | None = None,
        q: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[IssueResponse]]:
        """Issues of a workspace. Filters given as lists match any of their values; `label` takes
        ids or names; `assignee_id="none"` finds unassigned issues; `sort` is one of number,
        created_at, updated_at, priority, with "-" for descending."""
        params: dict[str, Any] = {
            "status": status,
            "priority": priority,
            "assignee_id": assignee_id,
            "assignee_type": assignee_type,
            "creator_id": creator_id,
            "project_id": project_id,
            "label": label,
            "parent_issue_id": parent_issue_id,
            "updated_since": updated_since,
            "q": q,
            "sort": sort,
        }
        path = api_path("workspaces", workspace_id, "issues", slash=True)
        return requests.listing(
            path, IssueResponse, limit=limit, offset=offset, cursor=cursor, **params
        )

    iter = iterate(list)
    iter_children = iterate(children)


def _issue_path(workspace_id: str, issue_id: str, *rest: str) -> str:
    return api_path("workspaces", workspace_id, "issues", issue_id.strip(), *rest)


def _strings(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(value) for value in values]


def _etag(version: int | str) -> str:
    text = str(version).strip()
    return text if text == "*" or text.startswith(('"', "W/")) else f'"{text}"'


def _find_by_key(key: str, prefix: str) -> Flow[IssueResponse]:
    workspaces: list[WorkspaceResponse] = yield from collect(
        requests.listing(api_path("workspaces", slash=True), WorkspaceResponse)
    )
    workspaces.sort(key=lambda workspace: workspace.issue_prefix.upper() != prefix)
    for workspace in workspaces:
        try:
            issue: IssueResponse = yield requests.get(_issue_path(workspace.id, key), IssueResponse)
        except NotFound:
            continue
        return issue
    raise NotFound(f"no issue {key} in your workspaces", status_code=404, code="not_found")
