"""The baseline: the same routes and response shapes as the platform, with no database.

State lives in dictionaries, so what remains is HTTP, routing, validation, token checks and
serialisation: the ceiling the real server is measured against.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response

from praisonai_platform.accounts import tokens
from praisonai_platform.accounts.schemas import (
    LoginRequest,
    RegisterRequest,
    TokenResponse,
    UserResponse,
)
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.issues.schemas import IssueCreate, IssueResponse
from praisonai_platform.workspaces.schemas import WorkspaceCreate, WorkspaceResponse

settings = ServerSettings(jwt_secret="benchmark-secret-benchmark-secret-benchmark")
app = FastAPI()
users: dict[str, UserResponse] = {}
workspaces: dict[str, WorkspaceResponse] = {}
issues: dict[str, list[IssueResponse]] = {}
counters: dict[str, itertools.count[int]] = {}
keys: dict[tuple[str, str], IssueResponse] = {}


def current_user(authorization: Annotated[str, Header()]) -> UserResponse:
    user = users.get(tokens.subject(settings, authorization.removeprefix("Bearer ")))
    if user is None:
        raise HTTPException(401)
    return user


@app.post("/api/v1/auth/register", status_code=201, response_model=TokenResponse)
async def register(body: RegisterRequest) -> TokenResponse:
    user = UserResponse(
        id=str(uuid.uuid4()), name=body.email, email=body.email, created_at=datetime.now(UTC)
    )
    users[user.id] = user
    token = tokens.issue(settings, user.id)
    return TokenResponse(token=token, access_token=token, expires_in=3600, user=user)


@app.post("/api/v1/auth/login", response_model=TokenResponse)
async def login(body: LoginRequest) -> TokenResponse:
    """Signs in whoever asks (creating the user on first sight): there is no password to check."""
    user = next((known for known in users.values() if known.email == body.email), None)
    if user is None:
        user = UserResponse(
            id=str(uuid.uuid4()), name=body.email, email=body.email, created_at=datetime.now(UTC)
        )
        users[user.id] = user
    token = tokens.issue(settings, user.id)
    return TokenResponse(token=token, access_token=token, expires_in=3600, user=user)


@app.post("/api/v1/workspaces/", status_code=201, response_model=WorkspaceResponse)
async def create_workspace(
    body: WorkspaceCreate, _user: Annotated[UserResponse, Depends(current_user)]
) -> WorkspaceResponse:
    now = datetime.now(UTC)
    workspace = WorkspaceResponse(
        id=str(uuid.uuid4()),
        name=body.name,
        slug=body.slug or body.name.lower(),
        description=body.description,
        issue_prefix=(body.issue_prefix or "ISSUE").upper(),
        created_at=now,
        updated_at=now,
    )
    workspaces[workspace.id] = workspace
    issues[workspace.id] = []
    counters[workspace.id] = itertools.count(1)
    return workspace


@app.post(
    "/api/v1/workspaces/{workspace_id}/issues/", status_code=201, response_model=IssueResponse
)
async def create_issue(
    workspace_id: str,
    body: IssueCreate,
    user: Annotated[UserResponse, Depends(current_user)],
    response: Response,
) -> IssueResponse:
    workspace = workspaces[workspace_id]
    number = next(counters[workspace_id])
    now = datetime.now(UTC)
    issue = IssueResponse(
        id=str(uuid.uuid4()),
        workspace_id=workspace_id,
        title=body.title,
        description=body.description,
        status="backlog",
        priority="medium",
        creator_type="user",
        creator_id=user.id,
        created_by_id=user.id,
        number=number,
        issue_number=number,
        identifier=f"{workspace.issue_prefix}-{number}",
        version=1,
        created_at=now,
        updated_at=now,
    )
    issues[workspace_id].append(issue)
    keys[(workspace_id, issue.identifier)] = keys[(workspace_id, issue.id)] = issue
    response.headers["ETag"] = '"1"'
    return issue


@app.get("/api/v1/workspaces/{workspace_id}/issues/", response_model=list[IssueResponse])
async def list_issues(
    workspace_id: str,
    _user: Annotated[UserResponse, Depends(current_user)],
    response: Response,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[IssueResponse]:
    found = issues[workspace_id]
    response.headers["X-Total-Count"] = str(len(found))
    return found[offset : offset + limit]


@app.get("/api/v1/workspaces/{workspace_id}/issues/{issue_ref}", response_model=IssueResponse)
async def get_issue(
    workspace_id: str,
    issue_ref: str,
    _user: Annotated[UserResponse, Depends(current_user)],
    response: Response,
) -> IssueResponse:
    """By key (ENG-42) or id, as the platform answers: a dictionary lookup stands in for the
    index."""
    issue = keys.get((workspace_id, issue_ref)) or keys.get((workspace_id, issue_ref.upper()))
    if issue is None:
        raise HTTPException(404)
    response.headers["ETag"] = f'"{issue.version}"'
    return issue
