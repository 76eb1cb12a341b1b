"""The board (`/w/{slug}`): a workspace's issues in columns by status.

Each column is one keyset page of the issue list query (highest priority first, the index on
workspace, status and priority serves it), so a board costs the same whatever the workspace's
size. Dragging a card to another column posts the card's version with the new status: if someone
changed the issue meanwhile, the service's optimistic check refuses it and the card says so (409)
instead of overwriting their change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fastapi import APIRouter, Request
from fastapi.responses import Response

from praisonai_platform.core.errors import Conflict, PreconditionFailed, ValidationFailed
from praisonai_platform.core.paging import PageRequest
from praisonai_platform.core.schemas import Schema
from praisonai_platform.db.models import IssueStatus
from praisonai_platform.issues import service as issues
from praisonai_platform.issues.schemas import IssueSort, StatusInput
from praisonai_platform.web.issue_pages import (
    IssueRow,
    ListView,
    form_values,
    form_version,
    is_htmx,
    issue_rows,
    load_directory,
    see_other,
    validated,
    workspace_url,
)
from praisonai_platform.web.session import PageDb, PageWorkspace
from praisonai_platform.web.templating import render

router = APIRouter()

# A column shows its most urgent cards; the rest are a link away, in the list.
CARDS_PER_COLUMN = 25
BOARD_SORT = IssueSort.PRIORITY_DESC.value
CONFLICT = (
    "Someone changed this issue since the board was loaded, so it was not moved. "
    "The card shows it as it is now."
)


class StatusHolder(Schema):
    status: StatusInput


@dataclass(slots=True)
class Column:
    status: IssueStatus
    rows: list[IssueRow]
    more: bool
    list_url: str


@router.get("/w/{slug}")
async def board(request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    """The board: a column per status, filtered like the list (the status filter aside)."""
    view = replace(ListView.from_query(request.query_params), status=[], cursor="", sort=BOARD_SORT)
    filters, _ = view.filters(ctx.user.id)
    directory = await load_directory(session, ctx)
    pages = []
    for status in IssueStatus:
        page = await issues.list_issues(
            session,
            ctx.actor,
            ctx.workspace.id,
            replace(filters, status=(status,)),
            PageRequest(limit=CARDS_PER_COLUMN),
            sort=BOARD_SORT,
        )
        pages.append((status, page))
    # Labels and names of every card on the board at once.
    rows = iter(await issue_rows(session, directory, [i for _, p in pages for i in p.items]))
    list_base = workspace_url(ctx, "/issues")
    columns = [
        Column(
            status=status,
            rows=[next(rows) for _ in page.items],
            more=page.next_cursor is not None,
            list_url=f"{list_base}?{view.query(status=[status.value], sort=BOARD_SORT)}",
        )
        for status, page in pages
    ]
    context = {
        "workspace": ctx.workspace,
        "nav": "board",
        "view": view,
        "columns": columns,
        "directory": directory,
        "base_url": workspace_url(ctx),
    }
    return render(request, "board/board.html", context)


@router.post("/w/{slug}/board/move")
async def move_card(request: Request, ctx: PageWorkspace, session: PageDb) -> Response:
    """Move an issue to another column: form fields `issue` (id or key), `version` (the one the
    card was drawn with) and `status`. htmx/fetch get the card back (409 with the issue as it is
    now when the version is stale); a plain form post goes back to the board."""
    form = await form_values(request)
    ref = (form.get("issue") or "").strip()
    if not ref:
        raise ValidationFailed("issue: which issue to move", code="invalid_value")
    status = validated(StatusHolder, {"status": form.get("status", "")}).status
    version = form_version(form.get("version"))
    try:
        issue = await issues.update(
            session,
            ctx.actor,
            ctx.workspace.id,
            ref,
            {"status": status},
            expected_versions={version},
        )
    except PreconditionFailed:
        # Refused before anything changed: the issue is read as it is now.
        current = await issues.get(session, ctx.actor, ctx.workspace.id, ref)
        if not is_htmx(request):
            raise Conflict(CONFLICT, code="version_conflict") from None
        directory = await load_directory(session, ctx)
        (row,) = await issue_rows(session, directory, [current])
        context = {"workspace": ctx.workspace, "row": row, "problem": CONFLICT}
        return render(request, "board/_card.html", context, status_code=409)
    if not is_htmx(request):
        return see_other(workspace_url(ctx))
    directory = await load_directory(session, ctx)
    (row,) = await issue_rows(session, directory, [issue])
    return render(request, "board/_card.html", {"workspace": ctx.workspace, "row": row})
