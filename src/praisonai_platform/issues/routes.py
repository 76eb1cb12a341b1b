"""Routes of /api/v1/workspaces/{workspace_id}/… for issues.

Wherever `{issue_id}` appears, the issue's key (ENG-42) works as well as its id. Single-issue
responses carry `ETag: "<version>"`; PATCH honours `If-Match`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ExpectedVersions, ListPaging
from praisonai_platform.db.models import Issue
from praisonai_platform.issues import service as issues
from praisonai_platform.issues.queries import IssueFilters
from praisonai_platform.issues.schemas import (
    IssueCreate,
    IssueListQuery,
    IssueResponse,
    IssueUpdate,
)

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["issues"])


def _actor_kind(user_id: str | None, agent_id: str | None) -> str | None:
    if user_id is not None:
        return "user"
    return "agent" if agent_id is not None else None


def _issue_response(issue: Issue) -> IssueResponse:
    return IssueResponse(
        id=issue.id,
        workspace_id=issue.workspace_id,
        project_id=issue.project_id,
        title=issue.title,
        description=issue.description,
        status=issue.status,
        priority=issue.priority,
        assignee_type=_actor_kind(issue.assignee_id, issue.assignee_agent_id),
        assignee_id=issue.assignee_id or issue.assignee_agent_id,
        creator_type=_actor_kind(issue.created_by_id, issue.created_by_agent_id),
        creator_id=issue.created_by_id or issue.created_by_agent_id,
        number=issue.issue_number,
        issue_number=issue.issue_number,
        identifier=issue.identifier,
        parent_issue_id=issue.parent_id,
        created_by_id=issue.created_by_id,
        acceptance_criteria=issue.acceptance_criteria,
        version=issue.version,
        created_at=issue.created_at,
        updated_at=issue.updated_at,
    )


def _with_etag(response: Response, issue: Issue) -> IssueResponse:
    response.headers["ETag"] = f'"{issue.version}"'
    return _issue_response(issue)


@router.post("/issues/", status_code=201, response_model=IssueResponse)
async def create_issue(
    workspace_id: str,
    body: IssueCreate,
    actor: CurrentActor,
    session: DbSession,
    response: Response,
) -> IssueResponse:
    """Create an issue; it takes the workspace's next number (key PREFIX-N)."""
    issue = await issues.create(session, actor, workspace_id, **body.model_dump())
    return _with_etag(response, issue)


@router.get("/issues/", response_model=list[IssueResponse])
async def list_issues(
    workspace_id: str,
    query: Annotated[IssueListQuery, Query()],
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
) -> list[IssueResponse]:
    """Issues of the workspace, filtered.

    Ordered by `sort`; the default is `number` ascending (oldest first), the stable order 0.1.9's
    clients page through with limit/offset. Ties are broken by id, so cursors work for every sort.
    """
    filters = IssueFilters(**query.model_dump(exclude={"sort"}))
    page = await issues.list_issues(
        session, actor, workspace_id, filters, listing.page, sort=query.sort.value
    )
    return [_issue_response(issue) for issue in listing.items(page)]


@router.get("/issues/{issue_id}", response_model=IssueResponse)
async def get_issue(
    workspace_id: str, issue_id: str, actor: CurrentActor, session: DbSession, response: Response
) -> IssueResponse:
    return _with_etag(response, await issues.get(session, actor, workspace_id, issue_id))


@router.patch("/issues/{issue_id}", response_model=IssueResponse)
async def update_issue(
    workspace_id: str,
    issue_id: str,
    body: IssueUpdate,
    actor: CurrentActor,
    session: DbSession,
    response: Response,
    expected_versions: ExpectedVersions,
) -> IssueResponse:
    """Change the fields sent. With If-Match, a stale ETag is refused with 412."""
    issue = await issues.update(
        session, actor, workspace_id, issue_id, body.changes(), expected_versions=expected_versions
    )
    return _with_etag(response, issue)


@router.delete("/issues/{issue_id}", status_code=204)
async def delete_issue(
    workspace_id: str, issue_id: str, actor: CurrentActor, session: DbSession
) -> Response:
    """Delete an issue with its comments, labels and dependencies; its sub-issues become
    top-level (admins, or the issue's creator)."""
    await issues.delete(session, actor, workspace_id, issue_id)
    return Response(status_code=204)


@router.get("/issues/{issue_id}/children", response_model=list[IssueResponse])
async def list_children(
    workspace_id: str,
    issue_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
) -> list[IssueResponse]:
    """The direct sub-issues of an issue, by number."""
    page = await issues.children(session, actor, workspace_id, issue_id, listing.page)
    return [_issue_response(issue) for issue in listing.items(page)]
