"""Workspaces: create one, and the settings pages (general, members and invitations, labels,
agents and their runs, API keys).

Every change goes through the same service as the REST API, with the same `Actor` (a signed-in
session with its membership), so the permission table decides here exactly as it does there:
a member who is not an admin is refused the admin forms (403), someone who is not a member of a
workspace is told it does not exist (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.accounts.api_keys import service as api_keys
from praisonai_platform.accounts.api_keys.schemas import ApiKeyCreate, ApiKeyScope
from praisonai_platform.agents import service as agents
from praisonai_platform.agents.schemas import AgentCreate
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Forbidden, PlatformError, ValidationFailed
from praisonai_platform.core.paging import PageRequest
from praisonai_platform.db.models import Agent, MemberRole, Run, RunState
from praisonai_platform.issues.labels import service as labels
from praisonai_platform.issues.labels.schemas import DEFAULT_COLOR, LabelCreate, LabelUpdate
from praisonai_platform.runs import service as runs
from praisonai_platform.runs.service import RunFilter
from praisonai_platform.web.session import (
    PageDb,
    PageUser,
    PageWorkspace,
    WorkspaceContext,
    workspace_actor,
)
from praisonai_platform.web.templating import render
from praisonai_platform.workspaces import service as workspaces
from praisonai_platform.workspaces.invitations import service as invitations
from praisonai_platform.workspaces.members import service as members
from praisonai_platform.workspaces.members.settings import MembershipSettings
from praisonai_platform.workspaces.permissions import ROLE_RANK
from praisonai_platform.workspaces.schemas import WorkspaceCreate, WorkspaceUpdate

router = APIRouter()

SHOWN = 200  # rows on a settings page; more are rare and the API lists them all
Id = Annotated[str, Path(max_length=64)]
Short = Annotated[str, Form(max_length=200)]
LongField = Annotated[str, Form(max_length=20_000)]
NOTICES = {
    "saved": "Saved.",
    "invited": "Invitation sent.",
    "revoked": "Revoked.",
    "removed": "Removed.",
    "created": "Created.",
    "deleted": "Deleted.",
}


def problem(exc: Exception) -> tuple[str, int]:
    """What to tell the person about a refused form, and the status to answer with."""
    if isinstance(exc, PlatformError):
        return exc.detail, exc.status_code
    if isinstance(exc, ValidationError):
        parts = []
        for error in exc.errors()[:3]:
            where = ".".join(str(part) for part in error.get("loc", ()))
            parts.append(f"{where}: {error.get('msg', 'not valid')}" if where else error["msg"])
        return "; ".join(parts), 422
    raise exc


async def after_failure(
    request: Request, session: AsyncSession, context: WorkspaceContext
) -> WorkspaceContext:
    """Roll the refused change back and load the caller's context again (the rollback expired
    what was loaded), to show the page with the reason."""
    await session.rollback()
    await session.refresh(context.user)
    actor, workspace = await workspace_actor(session, context.user, request.path_params["slug"])
    return WorkspaceContext(user=context.user, actor=actor, workspace=workspace)


def is_admin(context: WorkspaceContext) -> bool:
    membership = context.actor.membership
    member = membership.member if membership else None
    return member is not None and ROLE_RANK[member.role] >= ROLE_RANK[MemberRole.ADMIN]


def _require_admin(context: WorkspaceContext) -> None:
    if not is_admin(context):
        raise Forbidden("only the workspace's admins and owners can change its settings")


def _base(request: Request, context: WorkspaceContext, section: str) -> dict[str, Any]:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return {
        "workspace": context.workspace,
        "nav": "settings",
        "section": section,
        "is_admin": is_admin(context),
        "notice": notice,
        "error": None,
    }


def _back(context: WorkspaceContext, section: str, notice: str) -> RedirectResponse:
    return RedirectResponse(
        f"/w/{context.workspace.slug}/settings/{section}?notice={notice}", status_code=303
    )


# Creating a workspace.


@router.get("/workspaces/new")
async def new_workspace(request: Request, user: PageUser) -> Response:
    return render(request, "workspaces/new.html", {"name": "", "issue_prefix": "", "error": None})


@router.post("/workspaces")
async def create_workspace(
    request: Request,
    user: PageUser,
    session: PageDb,
    name: Short,
    issue_prefix: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        body = WorkspaceCreate(name=name, issue_prefix=issue_prefix.strip() or None)
        workspace = await workspaces.create(session, Actor.for_user(user), **body.model_dump())
    except (PlatformError, ValidationError) as exc:
        await session.rollback()
        detail, status = problem(exc)
        context = {"name": name, "issue_prefix": issue_prefix, "error": detail}
        return render(request, "workspaces/new.html", context, status_code=status)
    return RedirectResponse(f"/w/{workspace.slug}", status_code=303)


# Settings: general.


@router.get("/w/{slug}/settings")
async def settings_index(context: PageWorkspace) -> Response:
    section = "general" if is_admin(context) else "members"
    return RedirectResponse(f"/w/{context.workspace.slug}/settings/{section}", status_code=303)


@router.get("/w/{slug}/settings/general")
async def general(request: Request, context: PageWorkspace) -> Response:
    _require_admin(context)
    page = _base(request, context, "general")
    page["form"] = {"name": context.workspace.name, "issue_prefix": context.workspace.issue_prefix}
    return render(request, "workspaces/general.html", page)


@router.post("/w/{slug}/settings/general")
async def save_general(
    request: Request,
    context: PageWorkspace,
    session: PageDb,
    name: Short,
    issue_prefix: Annotated[str, Form(max_length=20)],
) -> Response:
    _require_admin(context)
    try:
        body = WorkspaceUpdate(name=name, issue_prefix=issue_prefix.strip())
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        await workspaces.update(session, context.actor, context.workspace.id, changes)
    except (PlatformError, ValidationError) as exc:
        detail, status = problem(exc)
        context = await after_failure(request, session, context)
        page = _base(request, context, "general")
        page.update(form={"name": name, "issue_prefix": issue_prefix}, error=detail)
        return render(request, "workspaces/general.html", page, status_code=status)
    return _back(context, "general", "saved")


# Settings: members and invitations.


async def _members_page(
    request: Request, context: WorkspaceContext, session: AsyncSession
) -> dict[str, Any]:
    page = _base(request, context, "members")
    listed = await members.list_members(
        session, context.actor, context.workspace.id, PageRequest(limit=SHOWN)
    )
    page["members"] = listed.items
    page["me"] = context.actor.membership.member if context.actor.membership else None
    page["is_owner"] = page["me"] is not None and page["me"].role is MemberRole.OWNER
    page["roles"] = [role.value for role in MemberRole]
    page["invitations"] = []
    if page["is_admin"]:
        pending = await invitations.list_for_workspace(
            session,
            context.actor,
            context.workspace.id,
            PageRequest(limit=SHOWN),
            status=invitations.PENDING,
        )
        page["invitations"] = pending.items
    return page


@router.get("/w/{slug}/settings/members")
async def members_page(request: Request, context: PageWorkspace, session: PageDb) -> Response:
    return render(
        request, "workspaces/members.html", await _members_page(request, context, session)
    )


async def _members_form(
    request: Request,
    context: WorkspaceContext,
    session: AsyncSession,
    change: Callable[[], Any],
    notice: str,
) -> Response:
    """Run a change of the members page; a refusal shows the page again with the reason."""
    try:
        await change()
    except (PlatformError, ValidationError) as exc:
        detail, status = problem(exc)
        context = await after_failure(request, session, context)
        page = await _members_page(request, context, session)
        page["error"] = detail
        return render(request, "workspaces/members.html", page, status_code=status)
    return _back(context, "members", notice)


def _membership_settings(request: Request) -> MembershipSettings:
    settings: MembershipSettings | None = getattr(request.app.state, "membership_settings", None)
    if settings is None:
        from praisonai_platform.workspaces.members.settings import load_membership_settings

        settings = request.app.state.membership_settings = load_membership_settings()
    return settings


@router.post("/w/{slug}/settings/invitations")
async def invite(
    request: Request,
    context: PageWorkspace,
    session: PageDb,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[str, Form(max_length=20)] = "member",
) -> Response:
    async def change() -> None:
        chosen = MemberRole(role) if role in {r.value for r in MemberRole} else None
        if chosen is None:
            raise Forbidden("choose member, admin or owner", code="invalid_role")
        await invitations.invite(
            session,
            context.actor,
            context.workspace.id,
            email,
            chosen,
            _membership_settings(request),
        )

    return await _members_form(request, context, session, change, "invited")


@router.post("/w/{slug}/settings/invitations/{invitation_id}/revoke")
async def revoke_invitation(
    request: Request, invitation_id: Id, context: PageWorkspace, session: PageDb
) -> Response:
    async def change() -> None:
        await invitations.revoke(session, context.actor, context.workspace.id, invitation_id)

    return await _members_form(request, context, session, change, "revoked")


@router.post("/w/{slug}/settings/members/{member_id}/role")
async def change_role(
    request: Request,
    member_id: Id,
    context: PageWorkspace,
    session: PageDb,
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    async def change() -> None:
        await members.change_role(session, context.actor, context.workspace.id, member_id, role)

    return await _members_form(request, context, session, change, "saved")


@router.post("/w/{slug}/settings/members/{member_id}/remove")
async def remove_member(
    request: Request, member_id: Id, context: PageWorkspace, session: PageDb
) -> Response:
    leaving = (
        context.actor.membership is not None
        and context.actor.membership.member is not None
        and member_id in (context.actor.membership.member.id, context.user.id)
    )

    async def change() -> None:
        await members.remove(session, context.actor, context.workspace.id, member_id)

    response = await _members_form(request, context, session, change, "removed")
    if leaving and response.status_code == 303:
        return RedirectResponse("/", status_code=303)
    return response


# Settings: labels.


async def _labels_page(
    request: Request, context: WorkspaceContext, session: AsyncSession
) -> dict[str, Any]:
    page = _base(request, context, "labels")
    listed = await labels.list_for(
        session, context.actor, context.workspace.id, PageRequest(limit=SHOWN)
    )
    page["labels"] = listed.items
    page["default_color"] = DEFAULT_COLOR
    page["form"] = {"name": "", "color": DEFAULT_COLOR, "description": ""}
    return page


@router.get("/w/{slug}/settings/labels")
async def labels_page(request: Request, context: PageWorkspace, session: PageDb) -> Response:
    return render(request, "workspaces/labels.html", await _labels_page(request, context, session))


async def _labels_form(
    request: Request,
    context: WorkspaceContext,
    session: AsyncSession,
    change: Callable[[], Any],
    notice: str,
    form: dict[str, str] | None = None,
) -> Response:
    try:
        await change()
    except (PlatformError, ValidationError) as exc:
        detail, status = problem(exc)
        context = await after_failure(request, session, context)
        page = await _labels_page(request, context, session)
        page["error"] = detail
        if form is not None:
            page["form"] = form
        return render(request, "workspaces/labels.html", page, status_code=status)
    return _back(context, "labels", notice)


@router.post("/w/{slug}/settings/labels")
async def create_label(
    request: Request,
    context: PageWorkspace,
    session: PageDb,
    name: Short,
    color: Annotated[str, Form(max_length=20)] = DEFAULT_COLOR,
    description: LongField = "",
) -> Response:
    async def change() -> None:
        body = LabelCreate(name=name, color=color, description=description.strip() or None)
        await labels.create(session, context.actor, context.workspace.id, **body.model_dump())

    form = {"name": name, "color": color, "description": description}
    return await _labels_form(request, context, session, change, "created", form)


@router.post("/w/{slug}/settings/labels/{label_id}")
async def update_label(
    request: Request,
    label_id: Id,
    context: PageWorkspace,
    session: PageDb,
    name: Short,
    color: Annotated[str, Form(max_length=20)],
    description: LongField = "",
) -> Response:
    async def change() -> None:
        body = LabelUpdate(name=name, color=color, description=description.strip() or None)
        changes = body.model_dump(exclude_unset=True)
        await labels.update(session, context.actor, context.workspace.id, label_id, changes)

    return await _labels_form(request, context, session, change, "saved")


@router.post("/w/{slug}/settings/labels/{label_id}/delete")
async def delete_label(
    request: Request, label_id: Id, context: PageWorkspace, session: PageDb
) -> Response:
    async def change() -> None:
        await labels.delete(session, context.actor, context.workspace.id, label_id)

    return await _labels_form(request, context, session, change, "deleted")


# Settings: agents and their runs.

ACTIVE_RUN_STATES = (RunState.PENDING, RunState.PROCESSING)
RUNS_SHOWN = 50


async def _agents_page(
    request: Request, context: WorkspaceContext, session: AsyncSession
) -> dict[str, Any]:
    page = _base(request, context, "agents")
    listed = await agents.list_for(
        session, context.actor, context.workspace.id, PageRequest(limit=SHOWN)
    )
    page["agents"] = listed.items
    counts: dict[str, int] = {}
    if listed.items:
        rows = await session.execute(
            select(Run.agent_id, func.count())
            .where(
                Run.workspace_id == context.workspace.id,
                Run.agent_id.in_([agent.id for agent in listed.items]),
                Run.state.in_(ACTIVE_RUN_STATES),
            )
            .group_by(Run.agent_id)
        )
        counts = {agent_id: count for agent_id, count in rows}
    page["active_runs"] = counts
    page["form"] = {"name": "", "description": ""}
    return page


@router.get("/w/{slug}/settings/agents")
async def agents_page(request: Request, context: PageWorkspace, session: PageDb) -> Response:
    return render(request, "workspaces/agents.html", await _agents_page(request, context, session))


@router.post("/w/{slug}/settings/agents")
async def create_agent(
    request: Request,
    context: PageWorkspace,
    session: PageDb,
    name: Short,
    description: LongField = "",
) -> Response:
    try:
        body = AgentCreate(name=name, description=description.strip() or None)
        await agents.create(
            session, context.actor, context.workspace.id, **body.model_dump(exclude_none=True)
        )
    except (PlatformError, ValidationError) as exc:
        detail, status = problem(exc)
        context = await after_failure(request, session, context)
        page = await _agents_page(request, context, session)
        page.update(error=detail, form={"name": name, "description": description})
        return render(request, "workspaces/agents.html", page, status_code=status)
    return _back(context, "agents", "created")


@router.get("/w/{slug}/settings/agents/{agent_id}")
async def agent_page(
    request: Request, agent_id: Id, context: PageWorkspace, session: PageDb
) -> Response:
    agent = await agents.get(session, context.actor, context.workspace.id, agent_id)
    listed = await runs.list_runs(
        session,
        context.actor,
        context.workspace.id,
        PageRequest(limit=RUNS_SHOWN),
        RunFilter(agent_ids=[agent.id]),
    )
    page = _base(request, context, "agents")
    page.update(agent=agent, runs=listed.items)
    return render(request, "workspaces/agent.html", page)


@router.post("/w/{slug}/settings/agents/{agent_id}/delete")
async def delete_agent(
    request: Request, agent_id: Id, context: PageWorkspace, session: PageDb
) -> Response:
    await agents.delete(session, context.actor, context.workspace.id, agent_id)
    return _back(context, "agents", "deleted")


# Settings: your API keys (a person's own; they may be limited to this workspace or act as one
# of its agents).

KEYS_SHOWN = 100


async def _keys_page(
    request: Request, context: WorkspaceContext, session: AsyncSession
) -> dict[str, Any]:
    page = _base(request, context, "api-keys")
    listed = await api_keys.list_for(session, context.actor, PageRequest(limit=KEYS_SHOWN))
    page["keys"] = listed.items
    page["is_active"] = api_keys.is_active
    agent_rows = await session.execute(
        select(Agent.id, Agent.name)
        .where(
            Agent.workspace_id == context.workspace.id,
            Agent.owner_id == context.actor.user_id,  # only an agent's owner makes its keys
        )
        .order_by(Agent.name)
        .limit(SHOWN)
    )
    page["agent_choices"] = [{"id": row.id, "name": row.name} for row in agent_rows]
    page["created"] = None
    page["form"] = {"label": "", "write": True, "scope": "workspace", "agent_id": ""}
    return page


@router.get("/w/{slug}/settings/api-keys")
async def keys_page(request: Request, context: PageWorkspace, session: PageDb) -> Response:
    return render(request, "workspaces/api_keys.html", await _keys_page(request, context, session))


@router.post("/w/{slug}/settings/api-keys")
async def create_key(
    request: Request,
    context: PageWorkspace,
    session: PageDb,
    label: Annotated[str, Form(max_length=200)] = "",
    write: Annotated[str, Form(max_length=10)] = "",
    scope: Annotated[str, Form(max_length=20)] = "workspace",
    agent_id: Annotated[str, Form(max_length=64)] = "",
    expires_in_days: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A new key; its secret is on the answer, this once (the page is not stored by browsers)."""
    form = {"label": label, "write": bool(write), "scope": scope, "agent_id": agent_id}
    try:
        days = expires_in_days.strip()
        if days and not (days.isascii() and days.isdigit()):
            raise ValidationFailed("expires in: a whole number of days", code="invalid_expiry")
        body = ApiKeyCreate(
            label=label.strip() or None,
            scopes=[ApiKeyScope.READ, ApiKeyScope.WRITE] if write else [ApiKeyScope.READ],
            workspace_id=context.workspace.id if scope == "workspace" or agent_id else None,
            agent_id=agent_id or None,
            expires_in_days=int(days) if days else None,
        )
        key, secret = await api_keys.create(session, context.actor, **body.model_dump())
    except (PlatformError, ValidationError) as exc:
        detail, status = problem(exc)
        context = await after_failure(request, session, context)
        page = await _keys_page(request, context, session)
        page.update(error=detail, form=form)
        return render(request, "workspaces/api_keys.html", page, status_code=status)
    page = await _keys_page(request, context, session)
    page["created"] = {"key": key, "secret": secret}
    return render(request, "workspaces/api_keys.html", page, status_code=201)


@router.post("/w/{slug}/settings/api-keys/{key_id}/revoke")
async def revoke_key(
    request: Request, key_id: Id, context: PageWorkspace, session: PageDb
) -> Response:
    await api_keys.revoke(session, context.actor, key_id)
    return _back(context, "api-keys", "revoked")
