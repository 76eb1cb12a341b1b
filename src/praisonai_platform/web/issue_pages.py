"""The issue list (`/w/{slug}/issues`) and an issue's page (`/w/{slug}/issues/{KEY}`).

Pages read and change issues through the services the REST API uses, with the `Actor` the API
would build for the signed-in member, so the permission checks and the audit trail are the same.
Lists are one keyset page of the issue list query (issues/queries.py) and never load a
workspace's issues whole: a page of 50 costs the same at 10 issues as at a million.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import queries as activity_queries
from praisonai_platform.agents import service as agents
from praisonai_platform.api.deps import BillingConfig
from praisonai_platform.core import idempotency as nonces
from praisonai_platform.core.errors import Conflict, PreconditionFailed, ValidationFailed
from praisonai_platform.core.paging import PageRequest
from praisonai_platform.db.models import (
    ActivityLog,
    ActorType,
    Agent,
    Comment,
    Event,
    Issue,
    IssueDependency,
    IssueLabel,
    IssuePriority,
    IssueStatus,
    Project,
    Run,
    User,
)
from praisonai_platform.issues import service as issues
from praisonai_platform.issues.comments import service as comments
from praisonai_platform.issues.comments.schemas import CommentCreate, CommentUpdate
from praisonai_platform.issues.dependencies import service as dependencies
from praisonai_platform.issues.dependencies.schemas import DependencyCreate
from praisonai_platform.issues.labels import service as labels
from praisonai_platform.issues.queries import IssueFilters
from praisonai_platform.issues.schemas import IssueCreate, IssueListQuery, IssueSort, IssueUpdate
from praisonai_platform.projects import service as projects
from praisonai_platform.runs import service as runs
from praisonai_platform.runs.deps import RunConfig
from praisonai_platform.runs.rechecks import may_queue
from praisonai_platform.runs.schemas import RunDelegate
from praisonai_platform.runs.settings import RunSettings
from praisonai_platform.web import markdown
from praisonai_platform.web.session import PageDb, PageWorkspace, WorkspaceContext
from praisonai_platform.web.templating import render, templates
from praisonai_platform.workspaces.members import service as members
from praisonai_platform.workspaces.permissions import Access, Action

router = APIRouter()
M = TypeVar("M", bound=BaseModel)

PAGE_SIZE = 50
# What the pickers (assignee, label, project, agent) offer: the first of each, by creation.
DIRECTORY_LIMIT = 200
COMMENTS_LIMIT = 200
ACTIVITY_LIMIT = 50
RUNS_LIMIT = 10
EVENTS_PER_RUN = 5
RELATED_LIMIT = 100

STATUS_NAMES = {
    IssueStatus.BACKLOG.value: "Backlog",
    IssueStatus.TODO.value: "Todo",
    IssueStatus.IN_PROGRESS.value: "In progress",
    IssueStatus.IN_REVIEW.value: "In review",
    IssueStatus.BLOCKED.value: "Blocked",
    IssueStatus.DONE.value: "Done",
    IssueStatus.CANCELLED.value: "Cancelled",
}
PRIORITY_NAMES = {
    IssuePriority.URGENT.value: "Urgent",
    IssuePriority.HIGH.value: "High",
    IssuePriority.MEDIUM.value: "Medium",
    IssuePriority.LOW.value: "Low",
    IssuePriority.NONE.value: "No priority",
}
SORT_NAMES = {
    IssueSort.NUMBER_DESC.value: "Newest",
    IssueSort.NUMBER.value: "Oldest",
    IssueSort.UPDATED_AT_DESC.value: "Recently updated",
    IssueSort.PRIORITY_DESC.value: "Highest priority",
    IssueSort.PRIORITY.value: "Lowest priority",
}
DEFAULT_SORT = IssueSort.NUMBER_DESC.value
DEPENDENCY_NAMES = {"blocks": "Blocks", "blocked_by": "Blocked by", "related": "Related to"}
_HEX = frozenset("0123456789abcdefABCDEF")


def label_color(value: object) -> str:
    """A label's colour for an SVG `fill`: `#rgb` or `#rrggbb`, anything else grey."""
    text = str(value or "")
    if text.startswith("#") and len(text) in (4, 7) and set(text[1:]) <= _HEX:
        return text
    return "#6b7280"


_FIELD_NAMES = {
    "title": "the title",
    "status": "the status",
    "priority": "the priority",
    "assignee_id": "the assignee",
    "assignee_type": None,  # said with the assignee
    "project_id": "the project",
    "parent_issue_id": "the parent issue",
    "acceptance_criteria": "the acceptance criteria",
}
_NAMED_VALUES = {"status": STATUS_NAMES, "priority": PRIORITY_NAMES}


def describe(entry: ActivityLog) -> str:
    """What an audit-trail row about an issue says, in words (plain text: escaped as usual)."""
    details = entry.details or {}
    kind, action = entry.entity_type, entry.action
    if kind == "issue" and action == "created":
        return "created the issue"
    if kind == "issue" and action == "updated":
        changes = details.get("changes")
        said = []
        for name, change in changes.items() if isinstance(changes, dict) else ():
            if name == "description":
                said.append("edited the description")
                continue
            what = _FIELD_NAMES.get(name, name.replace("_", " "))
            if what is None:
                continue
            names = _NAMED_VALUES.get(name)
            if names is not None and isinstance(change, list) and len(change) == 2:
                before, after = (names.get(str(v), str(v)) for v in change)
                said.append(f"changed {what} from {before} to {after}")
            elif name == "title" and isinstance(change, list) and len(change) == 2:
                said.append(f"renamed the issue to “{change[1]}”")
            else:
                said.append(f"changed {what}")
        return "; ".join(said) or "updated the issue"
    if kind == "issue" and action in ("label_added", "label_removed"):
        verb = "added" if action == "label_added" else "removed"
        return f"{verb} the label “{details.get('label_name', '')}”"
    if kind == "comment":
        return {"created": "commented", "updated": "edited a comment"}.get(
            action, "deleted a comment"
        )
    if kind == "dependency":
        return "added a dependency" if action == "created" else "removed a dependency"
    if kind == "run":
        agent = details.get("agent_name")
        changes = details.get("changes")
        state = changes.get("state") if isinstance(changes, dict) else None
        if action == "created":
            return f"delegated the issue to {agent}" if agent else "queued a run"
        if isinstance(state, list) and len(state) == 2:
            return f"run {state[1]}"
        return f"run {action.replace('_', ' ')}"
    return f"{kind} {action.replace('_', ' ')}"


templates.env.globals.update(
    status_names=STATUS_NAMES,
    priority_names=PRIORITY_NAMES,
    dependency_names=DEPENDENCY_NAMES,
    describe_activity=describe,
)
templates.env.filters["label_color"] = label_color


# What pages share: who is who, and the pickers.


@dataclass(slots=True)
class Directory:
    """The workspace's people, agents, labels and projects, for pickers and for names."""

    people: list[tuple[str, str]] = field(default_factory=list)  # (user id, name)
    agents: list[tuple[str, str]] = field(default_factory=list)  # (agent id, name)
    labels: list[IssueLabel] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    names: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, id) → name

    def name(self, kind: str | None, ident: str | None) -> str | None:
        if kind is None or ident is None:
            return None
        return self.names.get((kind, ident))

    def project_name(self, project_id: str | None) -> str | None:
        return next((p.name for p in self.projects if p.id == project_id), None)


def person_name(user: User) -> str:
    return user.display_name or user.name


async def load_directory(session: AsyncSession, ctx: WorkspaceContext) -> Directory:
    actor, workspace_id = ctx.actor, ctx.workspace.id
    first = PageRequest(limit=DIRECTORY_LIMIT)
    directory = Directory()
    for member in (await members.list_members(session, actor, workspace_id, first)).items:
        directory.people.append((member.user_id, person_name(member.user)))
    for agent in (await agents.list_for(session, actor, workspace_id, first)).items:
        directory.agents.append((agent.id, agent.name))
    directory.labels = (await labels.list_for(session, actor, workspace_id, first)).items
    directory.projects = (await projects.list_for(session, actor, workspace_id, first)).items
    directory.names.update({("user", i): n for i, n in directory.people})
    directory.names.update({("agent", i): n for i, n in directory.agents})
    return directory


async def add_names(
    session: AsyncSession,
    directory: Directory,
    user_ids: Iterable[str | None],
    agent_ids: Iterable[str | None],
) -> None:
    """Look up the names of people and agents the directory does not know (one query each)."""
    missing_users = {i for i in user_ids if i and ("user", i) not in directory.names}
    missing_agents = {i for i in agent_ids if i and ("agent", i) not in directory.names}
    if missing_users:
        rows = await session.execute(
            select(User.id, User.display_name, User.name).where(User.id.in_(sorted(missing_users)))
        )
        for user_id, display_name, name in rows:
            directory.names[("user", user_id)] = display_name or name
    if missing_agents:
        agent_rows = await session.execute(
            select(Agent.id, Agent.name).where(Agent.id.in_(sorted(missing_agents)))
        )
        for agent_id, name in agent_rows:
            directory.names[("agent", agent_id)] = name


def assignee_of(issue: Issue) -> tuple[str | None, str | None]:
    if issue.assignee_agent_id is not None:
        return "agent", issue.assignee_agent_id
    if issue.assignee_id is not None:
        return "user", issue.assignee_id
    return None, None


@dataclass(slots=True)
class IssueRow:
    """An issue as lists and boards show it."""

    issue: Issue
    labels: Sequence[IssueLabel]
    assignee_kind: str | None
    assignee_name: str | None
    project_name: str | None


async def issue_rows(
    session: AsyncSession, directory: Directory, found: Sequence[Issue]
) -> list[IssueRow]:
    """Rows for a page of issues: their labels in one query, unknown names in one more."""
    by_issue = await labels.labels_of(session, [issue.id for issue in found])
    await add_names(
        session,
        directory,
        (issue.assignee_id for issue in found),
        (issue.assignee_agent_id for issue in found),
    )
    rows = []
    for issue in found:
        kind, ident = assignee_of(issue)
        rows.append(
            IssueRow(
                issue=issue,
                labels=by_issue[issue.id],
                assignee_kind=kind,
                assignee_name=directory.name(kind, ident),
                project_name=directory.project_name(issue.project_id),
            )
        )
    return rows


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def validated(schema: type[M], values: Mapping[str, Any]) -> M:
    """`values` checked by the API's own schema; a problem is a 422 page naming the field."""
    try:
        return schema.model_validate(dict(values))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{where}: {error.get('msg', 'not valid')}" if where else error["msg"])
        raise ValidationFailed("; ".join(problems), code="validation_failed") from None


async def form_values(request: Request) -> dict[str, str]:
    """The submitted form's text fields (the last value of each; files are ignored)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_assignee(value: str | None) -> tuple[str | None, str | None]:
    """A picker's value, `user:<id>`, `agent:<id>` or empty, as (assignee_type, assignee_id)."""
    value = blank_to_none(value)
    if value is None:
        return None, None
    kind, _, ident = value.partition(":")
    if kind not in ("user", "agent") or not ident:
        raise ValidationFailed("assignee: choose a person or an agent", code="invalid_value")
    return kind, ident


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def workspace_url(ctx: WorkspaceContext, path: str = "") -> str:
    return f"/w/{ctx.workspace.slug}{path}"


def issue_url(ctx: WorkspaceContext, issue: Issue, fragment: str = "") -> str:
    return workspace_url(ctx, f"/issues/{issue.identifier}") + (f"#{fragment}" if fragment else "")


# The list.


@dataclass(slots=True)
class ListView:
    """What an issue list shows, as the URL's query string says (so it can be shared)."""

    status: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    assignee: str = ""  # a user or agent id, "me", "none", or empty for anyone
    label: list[str] = field(default_factory=list)
    project: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT
    cursor: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> ListView:
        getlist = getattr(query, "getlist", None)

        def many(name: str) -> list[str]:
            values = getlist(name) if getlist else [query.get(name) or ""]
            return [part.strip() for v in values for part in str(v).split(",") if part.strip()]

        def one(name: str) -> str:
            return str(query.get(name) or "").strip()

        return cls(
            status=many("status"),
            priority=many("priority"),
            assignee=one("assignee"),
            label=many("label"),
            project=one("project"),
            q=one("q"),
            sort=one("sort") or DEFAULT_SORT,
            cursor=one("cursor"),
        )

    def filters(self, user_id: str) -> tuple[IssueFilters, str]:
        """The list query's filters and sort; a value out of range is a 422 page."""
        assignee = user_id if self.assignee == "me" else self.assignee
        query = validated(
            IssueListQuery,
            {
                "status": self.status,
                "priority": self.priority,
                "assignee_id": assignee or None,
                "label": self.label,
                "project_id": self.project or None,
                "q": self.q or None,
                "sort": self.sort,
            },
        )
        return IssueFilters(**query.model_dump(exclude={"sort"})), query.sort.value

    def query(self, **changes: Any) -> str:
        """The query string of this view, with `changes`; empty values are left out."""
        values: dict[str, Any] = {
            "q": self.q,
            "status": self.status,
            "priority": self.priority,
            "assignee": self.assignee,
            "label": self.label,
            "project": self.project,
            "sort": "" if self.sort == DEFAULT_SORT else self.sort,
            "cursor": "",
        }
        values.update(changes)
        pairs = []
        for name, value in values.items():
            for item in value if isinstance(value, list) else [value]:
                if item:
                    pairs.append((name, item))
        return urlencode(pairs)

    @property
    def filtered(self) -> bool:
        return bool(
            self.status or self.priority or self.assignee or self.label or self.project or self.q
        )


@router.get("/w/{slug}/issues")
async def issue_list(request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    """The workspace's issues, filtered, sorted and searched as the query string says."""
    view = ListView.from_query(request.query_params)
    filters, sort = view.filters(ctx.user.id)
    page = await issues.list_issues(
        session,
        ctx.actor,
        ctx.workspace.id,
        filters,
        PageRequest(limit=PAGE_SIZE, cursor=view.cursor or None),
        sort=sort,
    )
    directory = await load_directory(session, ctx)
    context = {
        "workspace": ctx.workspace,
        "nav": "issues",
        "view": view,
        "rows": await issue_rows(session, directory, page.items),
        "next_cursor": page.next_cursor,
        "directory": directory,
        "sort_names": SORT_NAMES,
        "base_url": workspace_url(ctx, "/issues"),
    }
    if is_htmx(request) and request.headers.get("hx-target") == "issue-results":
        return render(request, "issues/_results.html", context)
    return render(request, "issues/list.html", context)


@router.post("/w/{slug}/issues")
async def create_issue(request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    """Create an issue from the quick dialog (or a sub-issue from an issue's page)."""
    form = await form_values(request)
    assignee_type, assignee_id = parse_assignee(form.get("assignee"))
    body = validated(
        IssueCreate,
        {
            "title": form.get("title", ""),
            "description": blank_to_none(form.get("description")),
            "status": form.get("status") or IssueStatus.BACKLOG.value,
            "priority": form.get("priority") or IssuePriority.MEDIUM.value,
            "assignee_type": assignee_type,
            "assignee_id": assignee_id,
            "project_id": blank_to_none(form.get("project")),
            "parent_issue_id": blank_to_none(form.get("parent")),
        },
    )
    issue = await issues.create(session, ctx.actor, ctx.workspace.id, **body.model_dump())
    if form.get("return_to") == "parent" and issue.parent_id is not None:
        parent = await issues.get(session, ctx.actor, ctx.workspace.id, issue.parent_id)
        return see_other(issue_url(ctx, parent, "sub-issues"))
    return see_other(issue_url(ctx, issue))


# An issue's page.


@dataclass(slots=True)
class TimelineEntry:
    entry: ActivityLog
    actor_kind: str
    actor_name: str | None


@dataclass(slots=True)
class CommentView:
    comment: Comment
    author_kind: str | None
    author_name: str | None
    may_edit: bool
    may_delete: bool


@dataclass(slots=True)
class DependencyView:
    dependency: IssueDependency
    relation: str  # as seen from this issue: blocks, blocked_by, related
    other: Issue | None


@dataclass(slots=True)
class RunView:
    run: Run
    agent_name: str | None
    events: list[Event]


_REVERSED = {"blocks": "blocked_by", "blocked_by": "blocks", "related": "related"}


def access_of(ctx: WorkspaceContext) -> Access:
    membership = ctx.actor.membership
    assert membership is not None and membership.member is not None
    return Access(actor=ctx.actor, workspace=ctx.workspace, member=membership.member)


async def _issue_page(
    request: Request,
    ctx: WorkspaceContext,
    session: AsyncSession,
    key: str,
    *,
    status_code: int = 200,
    problem: str | None = None,
) -> Response:
    actor, workspace_id = ctx.actor, ctx.workspace.id
    issue = await issues.get(session, actor, workspace_id, key)
    directory = await load_directory(session, ctx)
    (row,) = await issue_rows(session, directory, [issue])
    related = PageRequest(limit=RELATED_LIMIT)
    children = (await issues.children(session, actor, workspace_id, issue.id, related)).items
    child_rows = await issue_rows(session, directory, children)
    links = (
        await dependencies.list_for(
            session, actor, workspace_id, issue.id, related, direction="both"
        )
    ).items
    other_ids = {d.depends_on_id if d.issue_id == issue.id else d.issue_id for d in links}
    if issue.parent_id is not None:
        other_ids.add(issue.parent_id)
    others = {
        other.id: other
        for other in await session.scalars(
            select(Issue).where(Issue.workspace_id == workspace_id, Issue.id.in_(other_ids))
        )
    }
    dependency_views = [
        DependencyView(
            dependency=d,
            relation=d.dependency_type.value
            if d.issue_id == issue.id
            else _REVERSED[d.dependency_type.value],
            other=others.get(d.depends_on_id if d.issue_id == issue.id else d.issue_id),
        )
        for d in links
    ]
    comment_page = await comments.list_comments(
        session, actor, workspace_id, issue.id, PageRequest(limit=COMMENTS_LIMIT)
    )
    trail = (
        await activity_queries.list_for_issue(
            session, actor, workspace_id, issue.id, PageRequest(limit=ACTIVITY_LIMIT)
        )
    ).items
    run_list = (
        await runs.list_runs(
            session, actor, workspace_id, PageRequest(limit=RUNS_LIMIT), issue_ref=issue.id
        )
    ).items
    events: dict[str, list[Event]] = defaultdict(list)
    if run_list:
        for event in await session.scalars(
            select(Event)
            .where(Event.run_id.in_([run.id for run in run_list]))
            .order_by(Event.created_at.desc(), Event.id.desc())
            .limit(RUNS_LIMIT * EVENTS_PER_RUN * 4)
        ):
            if event.run_id is not None and len(events[event.run_id]) < EVENTS_PER_RUN:
                events[event.run_id].append(event)
    await add_names(
        session,
        directory,
        [c.author_id for c in comment_page.items]
        + [e.actor_id for e in trail if e.actor_type == ActorType.USER]
        + [issue.created_by_id],
        [c.author_agent_id for c in comment_page.items]
        + [e.actor_id for e in trail if e.actor_type == ActorType.AGENT]
        + [run.agent_id for run in run_list]
        + [issue.created_by_agent_id],
    )
    access = access_of(ctx)
    comment_views = []
    for comment in comment_page.items:
        kind = "agent" if comment.author_agent_id else ("user" if comment.author_id else None)
        own = (
            comment.author_agent_id == actor.id
            if actor.is_agent
            else comment.author_id == actor.user_id
        )
        comment_views.append(
            CommentView(
                comment=comment,
                author_kind=kind,
                author_name=directory.name(kind, comment.author_agent_id or comment.author_id),
                may_edit=access.allows(Action.COMMENT_EDIT, own=own),
                may_delete=access.allows(Action.COMMENT_DELETE, own=own),
            )
        )
    timeline = [
        TimelineEntry(
            entry=entry,
            actor_kind=entry.actor_type.value,
            actor_name=directory.name(entry.actor_type.value, entry.actor_id),
        )
        for entry in trail
    ]
    creator_kind = (
        "agent" if issue.created_by_agent_id else ("user" if issue.created_by_id else None)
    )
    context = {
        "workspace": ctx.workspace,
        "nav": "issues",
        "issue": issue,
        "row": row,
        "parent": others.get(issue.parent_id) if issue.parent_id else None,
        "children": child_rows,
        "dependencies": dependency_views,
        "comments": comment_views,
        "more_comments": comment_page.next_cursor is not None,
        "timeline": timeline,
        "runs": [
            RunView(
                run=run, agent_name=directory.name("agent", run.agent_id), events=events[run.id]
            )
            for run in run_list
        ],
        "directory": directory,
        "attached_ids": {label.id for label in row.labels},
        "creator_kind": creator_kind,
        "creator_name": directory.name(
            creator_kind, issue.created_by_agent_id or issue.created_by_id
        ),
        "may_delete": access.allows(
            Action.ISSUE_DELETE,
            own=issue.created_by_id == actor.user_id and not actor.is_agent,
        ),
        "problem": problem,
        "base_url": issue_url(ctx, issue),
        "delegate_key": new_form_key(),
        "render_markdown": await markdown.render_page(
            [issue.description, *(comment.content for comment in comment_page.items)]
        ),
    }
    return render(request, "issues/detail.html", context, status_code=status_code)


@router.get("/w/{slug}/issues/{key}")
async def issue_page(key: str, request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    """An issue with everything about it: fields, relations, comments, activity and runs."""
    return await _issue_page(request, ctx, session, key)


_EDITABLE = ("title", "description", "status", "priority", "assignee", "project", "parent")


@router.post("/w/{slug}/issues/{key}")
async def update_issue(key: str, request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    """Change the fields the form sent. The form carries the version it was made from: when
    someone else changed the issue meanwhile, nothing is saved and the page says so (409)."""
    form = await form_values(request)
    values: dict[str, Any] = {}
    for name in _EDITABLE:
        if name not in form:
            continue
        if name == "assignee":
            values["assignee_type"], values["assignee_id"] = parse_assignee(form[name])
        elif name == "project":
            values["project_id"] = blank_to_none(form[name])
        elif name == "parent":
            values["parent_issue_id"] = blank_to_none(form[name])
        elif name == "description":
            values["description"] = form[name] if form[name].strip() else None
        else:
            values[name] = form[name]
    changes = validated(IssueUpdate, values).changes()
    version = form_version(form.get("version"))
    try:
        issue = await issues.update(
            session, ctx.actor, ctx.workspace.id, key, changes, expected_versions={version}
        )
    except PreconditionFailed:
        # Refused before anything changed (the service checks the version first): the page
        # reads the issue as it is now in the same transaction.
        return await _issue_page(
            request,
            ctx,
            session,
            key,
            status_code=409,
            problem="Someone changed this issue while you were editing it, so your change was "
            "not saved. This is the issue as it is now: make your change again if it still "
            "applies.",
        )
    return see_other(issue_url(ctx, issue))


def form_version(value: str | None) -> int:
    try:
        version = int(value or "")
    except ValueError:
        raise ValidationFailed(
            "version: the form is missing the issue's version; reload the page",
            code="invalid_version",
        ) from None
    if not 0 < version < 2**31:
        raise ValidationFailed("version: not a version of this issue", code="invalid_version")
    return version


@router.post("/w/{slug}/issues/{key}/delete")
async def delete_issue(key: str, request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    await issues.delete(session, ctx.actor, ctx.workspace.id, key)
    return see_other(workspace_url(ctx, "/issues"))


@router.post("/w/{slug}/issues/{key}/comments")
async def add_comment(key: str, request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    form = await form_values(request)
    body = validated(CommentCreate, {"content": form.get("content", "")})
    issue = await issues.get(session, ctx.actor, ctx.workspace.id, key)
    comment = await comments.create(
        session, ctx.actor, ctx.workspace.id, issue.id, content=body.content
    )
    return see_other(issue_url(ctx, issue, f"comment-{comment.id}"))


@router.post("/w/{slug}/issues/{key}/comments/{comment_id}/edit")
async def edit_comment(
    key: str, comment_id: str, request: Request, ctx: PageWorkspace, session: PageDb
) -> Response:
    """Only the author may edit a comment (the service says so with a 403 otherwise)."""
    form = await form_values(request)
    body = validated(CommentUpdate, {"content": form.get("content", "")})
    issue = await issues.get(session, ctx.actor, ctx.workspace.id, key)
    await comments.update(
        session, ctx.actor, ctx.workspace.id, issue.id, comment_id, content=body.content
    )
    return see_other(issue_url(ctx, issue, f"comment-{comment_id}"))


@router.post("/w/{slug}/issues/{key}/comments/{comment_id}/delete")
async def delete_comment(
    key: str, comment_id: str, request: Request, ctx: PageWorkspace, session: PageDb
) -> Response:
    """The author or an admin may delete a comment."""
    issue = await issues.get(session, ctx.actor, ctx.workspace.id, key)
    await comments.delete(session, ctx.actor, ctx.workspace.id, issue.id, comment_id)
    return see_other(issue_url(ctx, issue, "comments"))


@router.post("/w/{slug}/issues/{key}/labels")
async def attach_label(key: str, request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    form = await form_values(request)
    label = blank_to_none(form.get("label"))
    if label is None:
        raise ValidationFailed("label: choose a label", code="invalid_value")
    issue = await issues.get(session, ctx.actor, ctx.workspace.id, key)
    await labels.attach(session, ctx.actor, ctx.workspace.id, issue.id, label)
    return see_other(issue_url(ctx, issue))


@router.post("/w/{slug}/issues/{key}/labels/{label_id}/remove")
async def detach_label(
    key: str, label_id: str, request: Request, ctx: PageWorkspace, session: PageDb
) -> Response:
    issue = await issues.get(session, ctx.actor, ctx.workspace.id, key)
    await labels.detach(session, ctx.actor, ctx.workspace.id, issue.id, label_id)
    return see_other(issue_url(ctx, issue))


@router.post("/w/{slug}/issues/{key}/dependencies")
async def add_dependency(
    key: str, request: Request, ctx: PageWorkspace, session: PageDb
) -> Response:
    form = await form_values(request)
    body = validated(
        DependencyCreate,
        {"depends_on_issue_id": form.get("other", "").strip(), "type": form.get("type", "")},
    )
    issue = await issues.get(session, ctx.actor, ctx.workspace.id, key)
    await dependencies.create(
        session,
        ctx.actor,
        ctx.workspace.id,
        issue.id,
        depends_on_ref=body.depends_on_issue_id,
        dependency_type=body.type,
    )
    return see_other(issue_url(ctx, issue, "dependencies"))


@router.post("/w/{slug}/issues/{key}/dependencies/{dependency_id}/remove")
async def remove_dependency(
    key: str, dependency_id: str, request: Request, ctx: PageWorkspace, session: PageDb
) -> Response:
    issue = await issues.get(session, ctx.actor, ctx.workspace.id, key)
    await dependencies.delete(session, ctx.actor, ctx.workspace.id, issue.id, dependency_id)
    return see_other(issue_url(ctx, issue, "dependencies"))


# Forms that start work carry a key drawn with the page, used as the REST API's Idempotency-Key:
# the same page's form sent twice (a double click, a resent form) does the work once.

_FORM_KEY = re.compile(r"[\x21-\x7e]+")
_FORM_KEY_ERRORS = {
    "idempotency_key_reused": "this form was already sent with a different choice: reload the "
    "page, then send it again",
    "idempotency_key_in_progress": "this form is still being sent: wait a moment and reload the "
    "page",
}


def new_form_key() -> str:
    return secrets.token_urlsafe(16)


def form_key(value: str | None) -> str | None:
    """The form's key; None from a page drawn before forms carried one."""
    if not value:
        return None
    if len(value) > nonces.MAX_KEY_LENGTH or not _FORM_KEY.fullmatch(value):
        raise ValidationFailed("the form is damaged: reload the page", code="invalid_form_key")
    return value


async def once_per_form(
    session: AsyncSession,
    ctx: WorkspaceContext,
    settings: RunSettings,
    key: str | None,
    operation: str,
    values: Mapping[str, Any],
    work: Callable[[], Awaitable[nonces.RecordedResponse]],
) -> nonces.RecordedResponse:
    """`work` once per form key, as the REST routes' Idempotency-Key: a key belongs to the person
    and the operation, the form's values must match, and a repeat answers the first outcome only
    if the caller may still queue runs in the workspace."""
    if key is None:
        return await work()
    try:
        return await nonces.once(
            session,
            scope=f"{ctx.actor.user_id}:{nonces.fingerprint('web', operation)[:40]}",
            key=key,
            request_hash=nonces.fingerprint(dict(values)),
            ttl=settings.nonce_ttl,
            work=work,
            recheck=may_queue(session, ctx.actor, ctx.workspace.id),
        )
    except (ValidationFailed, Conflict) as exc:
        # The store's refusals speak of an Idempotency-Key header the form's user never saw.
        detail = _FORM_KEY_ERRORS.get(exc.code)
        if detail is None:
            raise
        raise type(exc)(detail, code=exc.code) from None


@router.post("/w/{slug}/issues/{key}/delegate")
async def delegate_issue(
    key: str,
    request: Request,
    ctx: PageWorkspace,
    session: PageDb,
    billing: BillingConfig,
    settings: RunConfig,
) -> Response:
    """Queue a run of an agent on this issue (the chosen agent, or the one it is assigned to),
    once per form: sent again, the form goes to the run it queued the first time."""
    form = await form_values(request)
    body = validated(RunDelegate, {"agent_id": blank_to_none(form.get("agent"))})
    idempotency_key = form_key(form.get("idempotency_key"))
    issue = await issues.get(session, ctx.actor, ctx.workspace.id, key)

    async def work() -> nonces.RecordedResponse:
        run = await runs.delegate(
            session, ctx.actor, ctx.workspace.id, issue.id, billing=billing, agent_id=body.agent_id
        )
        return nonces.RecordedResponse(201, {"run_id": run.id})

    outcome = await once_per_form(
        session,
        ctx,
        settings,
        idempotency_key,
        f"delegate {ctx.workspace.id} {issue.id}",
        body.model_dump(mode="json"),
        work,
    )
    assert outcome.body is not None
    return see_other(issue_url(ctx, issue, f"run-{outcome.body['run_id']}"))
