"""The stack's floor: the baseline's routes with only the database work no server can skip.

Sign-in, tokens and workspaces are the no-database app's own (`nodb_app`); issues live in the
platform's SQLite file, reached through the platform's own engine (one writer connection,
statements on the event loop's thread) with SQLAlchemy Core statements on plain connections, the
cheapest path the project's stack (FastAPI, SQLAlchemy 2 async) offers: no ORM session. A create
is the numbering UPDATE and the INSERT, committed; a list is one page's SELECT; a get is one
SELECT by key. No credential lookup, access check, audit entry, change feed, webhook, rate limit
or count: what this app costs beyond the no-database app is the least any server on this stack
can cost, and its ratios bound the platform's.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from benchmarks import nodb_app
from benchmarks.nodb_app import current_user
from fastapi import Depends, FastAPI, HTTPException, Query, Response
from sqlalchemy import insert, select, update

from praisonai_platform.accounts.schemas import UserResponse
from praisonai_platform.config import Settings
from praisonai_platform.db.engine import create_database_engine, read_only_engine
from praisonai_platform.db.models import Issue, Workspace
from praisonai_platform.issues.schemas import IssueCreate, IssueResponse
from praisonai_platform.workspaces.schemas import WorkspaceCreate, WorkspaceResponse

engine = create_database_engine(Settings(database_url=os.environ["DATABASE_URL"]))
reader = read_only_engine(engine)
app = FastAPI()
app.post("/api/v1/auth/register", status_code=201)(nodb_app.register)
app.post("/api/v1/auth/login")(nodb_app.login)

ISSUE_COLUMNS = (
    Issue.id,
    Issue.workspace_id,
    Issue.title,
    Issue.description,
    Issue.status,
    Issue.priority,
    Issue.created_by_id,
    Issue.issue_number,
    Issue.identifier,
    Issue.version,
    Issue.created_at,
    Issue.updated_at,
)


def answer(row: Any) -> IssueResponse:
    return IssueResponse(
        id=row.id,
        workspace_id=row.workspace_id,
        title=row.title,
        description=row.description,
        status=row.status,
        priority=row.priority,
        creator_type="user",
        creator_id=row.created_by_id,
        created_by_id=row.created_by_id,
        number=row.issue_number,
        issue_number=row.issue_number,
        identifier=row.identifier,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@app.post("/api/v1/workspaces/", status_code=201, response_model=WorkspaceResponse)
async def create_workspace(
    body: WorkspaceCreate, user: Annotated[UserResponse, Depends(current_user)]
) -> WorkspaceResponse:
    workspace = await nodb_app.create_workspace(body, user)
    async with engine.begin() as connection:
        await connection.execute(
            insert(Workspace).values(
                id=workspace.id,
                name=workspace.name,
                slug=f"{workspace.slug}-{workspace.id}",
                settings={},
                issue_prefix=workspace.issue_prefix,
            )
        )
    return workspace


@app.post(
    "/api/v1/workspaces/{workspace_id}/issues/", status_code=201, response_model=IssueResponse
)
async def create_issue(
    workspace_id: str,
    body: IssueCreate,
    _user: Annotated[UserResponse, Depends(current_user)],
    response: Response,
) -> IssueResponse:
    async with engine.begin() as connection:
        prefix, number = (
            await connection.execute(
                update(Workspace)
                .where(Workspace.id == workspace_id)
                .values(issue_counter=Workspace.issue_counter + 1)
                .returning(Workspace.issue_prefix, Workspace.issue_counter)
            )
        ).one()
        now = datetime.now(UTC)
        row = (
            await connection.execute(
                insert(Issue)
                .values(
                    id=str(uuid.uuid4()),
                    workspace_id=workspace_id,
                    title=body.title,
                    description=body.description,
                    status="backlog",
                    priority="medium",
                    issue_number=number,
                    identifier=f"{prefix}-{number}",
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
                .returning(*ISSUE_COLUMNS)
            )
        ).one()
    response.headers["ETag"] = '"1"'
    return answer(row)


@app.get("/api/v1/workspaces/{workspace_id}/issues/", response_model=list[IssueResponse])
async def list_issues(
    workspace_id: str,
    _user: Annotated[UserResponse, Depends(current_user)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[IssueResponse]:
    async with reader.connect() as connection:
        rows = await connection.execute(
            select(*ISSUE_COLUMNS)
            .where(Issue.workspace_id == workspace_id)
            .order_by(Issue.issue_number)
            .limit(limit)
            .offset(offset)
        )
        return [answer(row) for row in rows]


@app.get("/api/v1/workspaces/{workspace_id}/issues/{issue_ref}", response_model=IssueResponse)
async def get_issue(
    workspace_id: str,
    issue_ref: str,
    _user: Annotated[UserResponse, Depends(current_user)],
    response: Response,
) -> IssueResponse:
    async with reader.connect() as connection:
        row = (
            await connection.execute(
                select(*ISSUE_COLUMNS).where(
                    Issue.workspace_id == workspace_id, Issue.identifier == issue_ref.upper()
                )
            )
        ).one_or_none()
    if row is None:
        raise HTTPException(404)
    response.headers["ETag"] = f'"{row.version}"'
    return answer(row)
