"""What the MCP tools answer: the REST API's own response schemas, gathered per tool."""

from __future__ import annotations

from pydantic import BaseModel, Field

from praisonai_platform.activity.schemas import ActivityLogResponse
from praisonai_platform.agents.schemas import AgentResponse
from praisonai_platform.issues.comments.schemas import CommentResponse
from praisonai_platform.issues.dependencies.schemas import DependencyResponse
from praisonai_platform.issues.schemas import IssueResponse
from praisonai_platform.runs.schemas import RunResponse
from praisonai_platform.search.schemas import SearchResult
from praisonai_platform.workspaces.schemas import WorkspaceResponse


class WorkspaceList(BaseModel):
    workspaces: list[WorkspaceResponse]


class AgentList(BaseModel):
    agents: list[AgentResponse]
    next_cursor: str | None = None


class IssuePage(BaseModel):
    issues: list[IssueResponse]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; none on the last page."
    )


class IssueDetail(BaseModel):
    issue: IssueResponse
    comments: list[CommentResponse] = Field(description="Oldest first.")
    dependencies: list[DependencyResponse] = Field(
        description="Dependencies the issue takes part in, either side."
    )
    activity: list[ActivityLogResponse] = Field(description="Newest first.")
    runs: list[RunResponse] = Field(description="The issue's runs, newest first.")


class SearchPage(BaseModel):
    results: list[SearchResult]
    more: bool = Field(description="Whether more results follow (ask again with `offset`).")


class RunPage(BaseModel):
    runs: list[RunResponse]
    next_cursor: str | None = None


class ClaimResult(BaseModel):
    claimed: bool = Field(description="False: there was nothing to claim; ask again later.")
    worker_id: str = Field(description="The worker holding the run: name it in reports.")
    run: RunResponse | None = None


class EventPosted(BaseModel):
    run_id: str
    posted: bool = True
