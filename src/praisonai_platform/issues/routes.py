"""Routes of /api/v1/workspaces/{workspace_id}/… for issues.

Wherever `{issue_id}` appears, the issue's key (ENG-42) works as well as its id. Single-issue
responses carry `ETag: "<version>"`; PATCH honours `If-Match`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ExpectedVersions, ListPaging
from praisonai_platform.db.models import Issue
from praisonai_platform.issues import queries as issue_queries
from praisonai_platform.issues import service as issues
from praisonai_platform.issues.queries import IssueFilters
from praisonai_platform.issues.responses import issue_response, issue_responses
from praisonai_platform.issues.schemas import (
    IssueCreate,
    IssueListQuery,
    IssueResponse,
    IssueUpdate,
)

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["issues"])


async def _with_etag(session: AsyncSession, response: Response, issue: Issue) -> IssueResponse:
    response.headers["ETag"] = f'"{issue.version}"'
    (answer,) = await issue_responses(session, [issue])
    return answer


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
    response.headers["ETag"] = f'"{issue.version}"'
    return issue_response(issue, ())  # a new issue has no labels to look up


@router.get("/issues/", response_model=list[IssueResponse])
async def list_issues(
    workspace_id: str,
    query: Annotated[IssueListQuery, Query()],
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
) -> list[dict[str, Any]]:
    """Issues of the workspace, filtered.

    Ordered by `sort`; the default is `number` ascending (oldest first), the stable order 0.1.9's
    clients page through with limit/offset. Ties are broken by id, so cursors work for every sort.
    """
    filters = IssueFilters(**query.model_dump(exclude={"sort"}))
    page = await issues.list_rows(
        session, actor, workspace_id, filters, listing.page, sort=query.sort.value
    )
    rows = listing.items(page)
    # Plain values, validated and serialised once, by the response model.
    by_issue = await issue_queries.label_answers(session, [row[0] for row in rows])
    return [issue_queries.issue_answer(row, by_issue[row[0]]) for row in rows]


@router.get("/issues/{issue_id}", response_model=IssueResponse)
async def get_issue(
    workspace_id: str, issue_id: str, actor: CurrentActor, session: DbSession, response: Response
) -> dict[str, Any]:
    row = await issues.get_row(session, actor, workspace_id, issue_id)
    response.headers["ETag"] = f'"{row.version}"'
    return issue_queries.issue_answer(row)


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
    return await _with_etag(session, response, issue)


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
    return await issue_responses(session, listing.items(page))
