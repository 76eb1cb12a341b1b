"""Tools and resources for issues: find, read, create, change, comment, and what is ready."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from praisonai_platform.activity import queries as activity_queries
from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.core.limits import MAX_ID
from praisonai_platform.core.paging import PageRequest
from praisonai_platform.core.schemas import LongText, Title
from praisonai_platform.issues import service as issues
from praisonai_platform.issues.comments import service as comments
from praisonai_platform.issues.comments.schemas import (
    CommentCreate,
    CommentResponse,
    CommentText,
)
from praisonai_platform.issues.dependencies import service as dependencies
from praisonai_platform.issues.dependencies.schemas import DependencyResponse
from praisonai_platform.issues.queries import IssueFilters
from praisonai_platform.issues.schemas import (
    AssigneeTypeInput,
    Criterion,
    IssueCreate,
    IssueListQuery,
    IssueResponse,
    IssueSort,
    IssueUpdate,
    PriorityInput,
    StatusInput,
)
from praisonai_platform.mcp_server import queries, responses
from praisonai_platform.mcp_server.calls import Call, CodedToolError, McpConfig, run
from praisonai_platform.mcp_server.schemas import (
    IssueDetail,
    IssuePage,
    SearchPage,
    WorkspaceList,
)
from praisonai_platform.runs import service as runs
from praisonai_platform.runs.schemas import RunResponse
from praisonai_platform.search import service as search_service
from praisonai_platform.workspaces import service as workspaces
from praisonai_platform.workspaces.schemas import WorkspaceResponse

WorkspaceRef = Annotated[
    Annotated[str, Field(min_length=1, max_length=200)] | None,
    Field(
        description="The workspace: its id, slug, issue prefix or name. Default: the one the "
        "server was started for, the one your key is limited to, or your only one (for an "
        "issue key, the workspace with that prefix)."
    ),
]
IssueKey = Annotated[
    str, Field(min_length=1, max_length=MAX_ID, description="An issue key (ENG-42) or id.")
]
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID)]
Limit = Annotated[int, Field(ge=1, le=100, description="How many to answer at most.")]
Cursor = Annotated[
    Annotated[str, Field(min_length=1, max_length=1000)] | None,
    Field(description="`next_cursor` of the previous page."),
]
Assignee = Annotated[
    Annotated[str, Field(min_length=1, max_length=MAX_ID)] | None,
    Field(description="`me` (you, or your agent for an agent's key), or a user's or agent's id."),
]
M = TypeVar("M", bound=BaseModel)
Clearable = Literal["description", "assignee", "project", "parent", "acceptance_criteria"]

# Shown with an issue: the first comments and dependencies, the latest activity and runs.
_COMMENTS_SHOWN = 100
_DEPENDENCIES_SHOWN = 100
_ACTIVITY_SHOWN = 25
_RUNS_SHOWN = 10

_READS = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)


def validated(schema: type[M], values: dict[str, Any]) -> M:
    """`values` checked by the REST API's own request schema: the same input is refused the
    same way (`validation_failed`, with where and what, never the value itself)."""
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'input'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ValidationFailed(problems, code="validation_failed") from None


def _me(call: Call, assignee: str | None, kind: str | None) -> tuple[str | None, str | None]:
    """(assignee_id, assignee_type), `me` read as the caller: the agent for an agent's key."""
    if assignee is None or assignee.lower() != "me":
        return assignee, kind
    return call.actor.id, "agent" if call.actor.is_agent else "user"


async def issue_detail(call: Call, workspace_id: str, ref: str) -> IssueDetail:
    """An issue with its comments, dependencies, activity and runs: every part read through
    the service the REST route uses, with its permission check."""
    session, actor = call.session, call.actor
    issue = await issues.get(session, actor, workspace_id, ref)
    answer = await responses.issue(session, issue)
    found_comments = await comments.list_comments(
        session, actor, workspace_id, issue.id, PageRequest(limit=_COMMENTS_SHOWN)
    )
    found_dependencies = await dependencies.list_for(
        session,
        actor,
        workspace_id,
        issue.id,
        PageRequest(limit=_DEPENDENCIES_SHOWN),
        direction="both",
    )
    found_activity = await activity_queries.list_for_issue(
        session, actor, workspace_id, issue.id, PageRequest(limit=_ACTIVITY_SHOWN)
    )
    found_runs = await runs.list_runs(
        session, actor, workspace_id, PageRequest(limit=_RUNS_SHOWN), issue_ref=issue.id
    )
    return IssueDetail(
        issue=answer,
        comments=[responses.comment(comment) for comment in found_comments.items],
        dependencies=[DependencyResponse.model_validate(d) for d in found_dependencies.items],
        activity=await responses.activity(session, found_activity.items),
        runs=[RunResponse.model_validate(r) for r in found_runs.items],
    )


def register(server: MCPServer[Any], config: McpConfig) -> None:
    @server.tool(
        description="List the workspaces you are a member of (those your key may act in).",
        annotations=_READS,
    )
    async def list_workspaces(ctx: Context) -> WorkspaceList:
        async def work(call: Call) -> WorkspaceList:
            page = await workspaces.list_for(call.session, call.actor, PageRequest(limit=200))
            return WorkspaceList(
                workspaces=[WorkspaceResponse.model_validate(w) for w in page.items]
            )

        return await run(config, ctx, work, writes=False)

    @server.tool(
        description="Search a workspace for issues, comments and projects holding every word of "
        "`query` (the last word also as a prefix), or the issue a key or number names (ENG-42, "
        "42). The named issue first, then title matches, description matches and comments.",
        annotations=_READS,
    )
    async def search(
        query: Annotated[str, Field(min_length=1, max_length=1000)],
        ctx: Context,
        workspace: WorkspaceRef = None,
        limit: Annotated[int, Field(ge=1, le=search_service.MAX_LIMIT)] = 20,
        offset: Annotated[int, Field(ge=0, le=search_service.MAX_OFFSET)] = 0,
    ) -> SearchPage:
        async def work(call: Call) -> SearchPage:
            workspace_id = await call.workspace(workspace)
            page = await search_service.search(
                call.session, call.actor, workspace_id, query, limit=limit, offset=offset
            )
            return SearchPage(results=page.results, more=page.more)

        return await run(config, ctx, work, writes=False)

    @server.tool(
        description="List a workspace's issues, filtered like GET /issues/: by status, "
        "priority, assignee (`me`, `none` or an id), project, label, parent issue (`none`: "
        "top-level only) and text; sorted by number unless `sort` says otherwise.",
        annotations=_READS,
    )
    async def list_issues(
        ctx: Context,
        workspace: WorkspaceRef = None,
        status: list[StatusInput] | None = None,
        priority: list[PriorityInput] | None = None,
        assignee: Assignee = None,
        assignee_type: AssigneeTypeInput | None = None,
        project_id: Annotated[Id | None, Field(description="A project id.")] = None,
        label: Annotated[
            list[Annotated[str, Field(min_length=1, max_length=200)]] | None,
            Field(description="Label ids or names: issues with any of them."),
        ] = None,
        parent_issue: Annotated[
            Id | None, Field(description="Sub-issues of this issue (key or id); `none`.")
        ] = None,
        text: Annotated[
            Annotated[str, Field(min_length=1, max_length=500)] | None,
            Field(description="Words in the title or description."),
        ] = None,
        sort: IssueSort = IssueSort.NUMBER,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> IssuePage:
        async def work(call: Call) -> IssuePage:
            workspace_id = await call.workspace(workspace)
            assignee_id, kind = _me(call, assignee, assignee_type)
            query: IssueListQuery = validated(
                IssueListQuery,
                {
                    "status": status or [],
                    "priority": priority or [],
                    "assignee_id": assignee_id,
                    "assignee_type": kind,
                    "project_id": project_id,
                    "label": label or [],
                    "parent_issue_id": parent_issue,
                    "q": text,
                    "sort": sort,
                },
            )
            filters = IssueFilters(**query.model_dump(exclude={"sort"}))
            page = await issues.list_issues(
                call.session,
                call.actor,
                workspace_id,
                filters,
                PageRequest(limit=limit, cursor=cursor),
                sort=query.sort.value,
            )
            return IssuePage(
                issues=await responses.issues(call.session, page.items),
                next_cursor=page.next_cursor,
            )

        return await run(config, ctx, work, writes=False)

    @server.tool(
        description="Read an issue by key (ENG-42) or id, with its comments, dependencies "
        "(both directions), latest activity and runs.",
        annotations=_READS,
    )
    async def get_issue(
        issue: IssueKey, ctx: Context, workspace: WorkspaceRef = None
    ) -> IssueDetail:
        async def work(call: Call) -> IssueDetail:
            workspace_id = await call.workspace_of_issue(workspace, issue)
            return await issue_detail(call, workspace_id, issue.strip())

        return await run(config, ctx, work, writes=False)

    @server.tool(
        description="Work you may pick up now: open issues (backlog, todo, in progress, in "
        "review) that no unfinished issue blocks, assigned to you (your agent, for an agent's "
        "key) or to nobody; most urgent first.",
        annotations=_READS,
    )
    async def list_ready_work(
        ctx: Context, workspace: WorkspaceRef = None, limit: Limit = 20, cursor: Cursor = None
    ) -> IssuePage:
        async def work(call: Call) -> IssuePage:
            workspace_id = await call.workspace(workspace)
            page = await queries.ready_work(
                call.session, call.actor, workspace_id, PageRequest(limit=limit, cursor=cursor)
            )
            return IssuePage(
                issues=await responses.issues(call.session, page.items),
                next_cursor=page.next_cursor,
            )

        return await run(config, ctx, work, writes=False)

    @server.tool(
        description="Create an issue; it takes the workspace's next key (PREFIX-N).",
        annotations=_WRITES,
    )
    async def create_issue(
        title: Title,
        ctx: Context,
        workspace: WorkspaceRef = None,
        description: LongText | None = None,
        status: StatusInput | None = None,
        priority: PriorityInput | None = None,
        assignee: Assignee = None,
        assignee_type: AssigneeTypeInput | None = None,
        project_id: Id | None = None,
        parent_issue: Annotated[Id | None, Field(description="Parent issue, key or id.")] = None,
        acceptance_criteria: list[Criterion] | None = None,
    ) -> IssueResponse:
        async def work(call: Call) -> IssueResponse:
            workspace_id = await call.workspace(workspace)
            assignee_id, kind = _me(call, assignee, assignee_type)
            sent = {
                "title": title,
                "description": description,
                "status": status,
                "priority": priority,
                "assignee_type": kind,
                "assignee_id": assignee_id,
                "project_id": project_id,
                "parent_issue_id": parent_issue,
                "acceptance_criteria": acceptance_criteria,
            }
            body: IssueCreate = validated(
                IssueCreate, {name: value for name, value in sent.items() if value is not None}
            )
            issue = await issues.create(call.session, call.actor, workspace_id, **body.model_dump())
            return await responses.issue(call.session, issue)

        return await run(config, ctx, work, writes=True)

    @server.tool(
        description="Change an issue (key or id): the fields given change, the others stay. "
        "`clear` empties fields (unassigns, detaches from project or parent). With "
        "`expected_version`, a change made meanwhile by someone else is refused "
        "(precondition_failed).",
        annotations=_WRITES,
    )
    async def update_issue(
        issue: IssueKey,
        ctx: Context,
        workspace: WorkspaceRef = None,
        title: Title | None = None,
        description: LongText | None = None,
        status: StatusInput | None = None,
        priority: PriorityInput | None = None,
        assignee: Assignee = None,
        assignee_type: AssigneeTypeInput | None = None,
        project_id: Id | None = None,
        parent_issue: Annotated[Id | None, Field(description="Parent issue, key or id.")] = None,
        acceptance_criteria: list[Criterion] | None = None,
        clear: Annotated[
            list[Clearable] | None, Field(description="Fields to empty.", max_length=5)
        ] = None,
        expected_version: Annotated[
            int | None, Field(ge=0, description="The issue's `version` as you read it.")
        ] = None,
    ) -> IssueResponse:
        async def work(call: Call) -> IssueResponse:
            workspace_id = await call.workspace_of_issue(workspace, issue)
            assignee_id, kind = _me(call, assignee, assignee_type)
            given = {
                "title": title,
                "description": description,
                "status": status,
                "priority": priority,
                "assignee_type": kind,
                "assignee_id": assignee_id,
                "project_id": project_id,
                "parent_issue_id": parent_issue,
                "acceptance_criteria": acceptance_criteria,
            }
            sent: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
            fields = {
                "description": "description",
                "assignee": "assignee_id",
                "project": "project_id",
                "parent": "parent_issue_id",
                "acceptance_criteria": "acceptance_criteria",
            }
            for name in clear or []:
                if fields[name] in sent:
                    raise ValidationFailed(
                        f"{name}: either give a value or clear it, not both",
                        code="validation_failed",
                    )
                sent[fields[name]] = None
            body: IssueUpdate = validated(IssueUpdate, sent)
            updated = await issues.update(
                call.session,
                call.actor,
                workspace_id,
                issue.strip(),
                body.changes(),
                expected_versions=None if expected_version is None else [expected_version],
            )
            return await responses.issue(call.session, updated)

        return await run(config, ctx, work, writes=True)

    @server.tool(
        description="Comment on an issue (key or id), or reply to one of its comments.",
        annotations=_WRITES,
    )
    async def add_comment(
        issue: IssueKey,
        content: CommentText,
        ctx: Context,
        workspace: WorkspaceRef = None,
        reply_to: Annotated[
            Id | None, Field(description="The id of the comment this one answers.")
        ] = None,
    ) -> CommentResponse:
        async def work(call: Call) -> CommentResponse:
            workspace_id = await call.workspace_of_issue(workspace, issue)
            body: CommentCreate = validated(
                CommentCreate, {"content": content, "parent_id": reply_to}
            )
            comment = await comments.create(
                call.session,
                call.actor,
                workspace_id,
                issue.strip(),
                content=body.content,
                parent_id=body.parent_id,
            )
            return responses.comment(comment)

        return await run(config, ctx, work, writes=True)

    async def read_issue(ctx: Context, workspace: str | None, key: str) -> str:
        async def work(call: Call) -> IssueDetail:
            workspace_id = await call.workspace_of_issue(workspace, key)
            return await issue_detail(call, workspace_id, key)

        try:
            detail = await run(config, ctx, work, writes=False)
        except CodedToolError as exc:
            if exc.status == 404:
                raise ResourceNotFoundError(str(exc)) from None
            raise ResourceError(str(exc)) from None
        return detail.model_dump_json()

    @server.resource(
        "issue://{key}",
        name="issue",
        description="An issue by key (ENG-42) in the workspace with that prefix (or your "
        "default one), with its comments, dependencies, activity and runs, as JSON.",
        mime_type="application/json",
    )
    async def issue_by_key(key: str, ctx: Context) -> str:
        return await read_issue(ctx, None, key)

    @server.resource(
        "issue://{workspace}/{key}",
        name="workspace_issue",
        description="An issue by key or id in the named workspace (id, slug or prefix), as JSON.",
        mime_type="application/json",
    )
    async def workspace_issue(workspace: str, key: str, ctx: Context) -> str:
        return await read_issue(ctx, workspace, key)
