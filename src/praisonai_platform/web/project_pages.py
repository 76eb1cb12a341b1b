"""Projects with their progress (`/w/{slug}/projects`), and a member's own work
(`/w/{slug}/my-work`).

A project's progress is its issues counted by status: one GROUP BY for the projects on the page
(read after the projects service has checked the caller may see them), never a query per project.
"My work" is two keyset pages of the issue list query: what is assigned to the member and still
open, and what they created lately.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from praisonai_platform.core.paging import PageRequest
from praisonai_platform.db.models import Issue, IssueStatus, Project
from praisonai_platform.issues import service as issues
from praisonai_platform.issues.queries import IssueFilters
from praisonai_platform.issues.schemas import IssueSort
from praisonai_platform.projects import service as projects
from praisonai_platform.projects.schemas import ProjectCreate
from praisonai_platform.web import markdown
from praisonai_platform.web.issue_pages import (
    blank_to_none,
    form_values,
    issue_rows,
    load_directory,
    see_other,
    validated,
    workspace_url,
)
from praisonai_platform.web.session import PageDb, PageWorkspace
from praisonai_platform.web.templating import render

router = APIRouter()

PROJECTS_PAGE = 100
MY_WORK_PAGE = 50
OPEN_STATUSES = tuple(s for s in IssueStatus if s not in (IssueStatus.DONE, IssueStatus.CANCELLED))


@dataclass(slots=True)
class Progress:
    """A project's issues counted by status; cancelled issues do not count towards done."""

    project: Project
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def done(self) -> int:
        return self.by_status.get(IssueStatus.DONE.value, 0)

    @property
    def countable(self) -> int:
        return self.total - self.by_status.get(IssueStatus.CANCELLED.value, 0)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.countable) if self.countable else 0


@router.get("/w/{slug}/projects")
async def project_list(request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    page = await projects.list_for(
        session,
        ctx.actor,
        ctx.workspace.id,
        PageRequest(limit=PROJECTS_PAGE, cursor=request.query_params.get("cursor") or None),
    )
    progress = {project.id: Progress(project) for project in page.items}
    if progress:
        rows = await session.execute(
            select(Issue.project_id, Issue.status, func.count())
            .where(Issue.workspace_id == ctx.workspace.id, Issue.project_id.in_(list(progress)))
            .group_by(Issue.project_id, Issue.status)
        )
        for project_id, status, count in rows:
            if project_id is not None:
                progress[project_id].by_status[status.value] = count
    context = {
        "workspace": ctx.workspace,
        "nav": "projects",
        "projects": list(progress.values()),
        "next_cursor": page.next_cursor,
        "base_url": workspace_url(ctx, "/projects"),
        "issues_url": workspace_url(ctx, "/issues"),
        "render_markdown": await markdown.render_page(p.description for p in page.items),
    }
    return render(request, "projects/list.html", context)


@router.post("/w/{slug}/projects")
async def create_project(request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    form = await form_values(request)
    body = validated(
        ProjectCreate,
        {"name": form.get("name", ""), "description": blank_to_none(form.get("description"))},
    )
    await projects.create(
        session,
        ctx.actor,
        ctx.workspace.id,
        name=body.project_name,
        description=body.description,
    )
    return see_other(workspace_url(ctx, "/projects"))


@router.get("/w/{slug}/my-work")
async def my_work(request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    """Open issues assigned to me, most urgent first; and the issues I created, newest first."""
    me = ctx.user.id
    assigned = await issues.list_issues(
        session,
        ctx.actor,
        ctx.workspace.id,
        IssueFilters(assignee_id=me, status=OPEN_STATUSES),
        PageRequest(limit=MY_WORK_PAGE),
        sort=IssueSort.PRIORITY_DESC.value,
    )
    created = await issues.list_issues(
        session,
        ctx.actor,
        ctx.workspace.id,
        IssueFilters(creator_id=me),
        PageRequest(limit=MY_WORK_PAGE),
        sort=IssueSort.NUMBER_DESC.value,
    )
    directory = await load_directory(session, ctx)
    context = {
        "workspace": ctx.workspace,
        "nav": "my-work",
        "assigned": await issue_rows(session, directory, assigned.items),
        "more_assigned": assigned.next_cursor is not None,
        "created": await issue_rows(session, directory, created.items),
        "more_created": created.next_cursor is not None,
        "directory": directory,
        "issues_url": workspace_url(ctx, "/issues"),
    }
    return render(request, "projects/my_work.html", context)
