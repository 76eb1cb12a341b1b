"""Workspaces: the top-level container; its creator becomes its owner."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Conflict, Forbidden, ValidationFailed
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import Member, MemberRole, Workspace
from praisonai_platform.workspaces.permissions import Action, workspace_access

DEFAULT_ISSUE_PREFIX = "ISSUE"
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")
_SLUG_BASE_LENGTH = 80  # leaves room for a "-NNN" suffix within the 100-character column
# The web app finds a workspace by its slug or its id: no slug may read as another's id.
_ID_SHAPED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SLUG_ATTEMPTS = 1000


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    slug: str | None = None,
    description: str | None = None,
    issue_prefix: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Workspace:
    # A credential pinned to one workspace, or a read-only one, cannot make new workspaces.
    if actor.workspace_id is not None or (actor.scopes is not None and "write" not in actor.scopes):
        raise Forbidden("this credential cannot create workspaces")
    workspace = Workspace(
        name=name,
        description=description,
        settings=settings or {},
        issue_prefix=(issue_prefix or DEFAULT_ISSUE_PREFIX).upper(),
    )
    if slug is not None:
        await _insert_with_explicit_slug(session, workspace, slug)
    else:
        await _insert_with_derived_slug(session, workspace)
    session.add(Member(workspace_id=workspace.id, user_id=actor.user_id, role=MemberRole.OWNER))
    activity.record(
        session,
        actor,
        workspace_id=workspace.id,
        entity_type="workspace",
        entity_id=workspace.id,
        action="created",
        details={"name": name, "slug": workspace.slug, "issue_prefix": workspace.issue_prefix},
    )
    await session.flush()
    return workspace


async def get(session: AsyncSession, actor: Actor, workspace_id: str) -> Workspace:
    return (await workspace_access(session, actor, workspace_id, Action.WORKSPACE_READ)).workspace


async def list_for(session: AsyncSession, actor: Actor, page: PageRequest) -> Page[Workspace]:
    statement = (
        select(Workspace)
        .join(Member, Member.workspace_id == Workspace.id)
        .where(Member.user_id == actor.user_id)
    )
    if actor.workspace_id is not None:
        statement = statement.where(Workspace.id == actor.workspace_id)
    order = [
        SortKey("created_at", Workspace.created_at, kind=datetime),
        SortKey("id", Workspace.id),
    ]
    return await paginate(session, statement, order, page)


async def update(
    session: AsyncSession, actor: Actor, workspace_id: str, changes: dict[str, Any]
) -> Workspace:
    """Change name, description, settings or issue prefix. A new prefix applies to issues created
    from now on; existing issues keep the key they were born with (and answer to the new one)."""
    access = await workspace_access(session, actor, workspace_id, Action.WORKSPACE_UPDATE)
    workspace = access.workspace
    if changes.get("issue_prefix"):
        changes = {**changes, "issue_prefix": changes["issue_prefix"].upper()}
    changed = activity.apply_changes(workspace, changes)
    if changed:
        activity.record(
            session,
            actor,
            workspace_id=workspace.id,
            entity_type="workspace",
            entity_id=workspace.id,
            action="updated",
            details={"changes": changed},
        )
        await session.flush()
    return workspace


async def delete(session: AsyncSession, actor: Actor, workspace_id: str) -> None:
    """Delete the workspace; the database cascades to everything in it, its activity included,
    so no activity row is written."""
    await workspace_access(session, actor, workspace_id, Action.WORKSPACE_DELETE)
    await session.execute(sql_delete(Workspace).where(Workspace.id == workspace_id))


def derive_slug(name: str) -> str:
    """`Research & Development` → `research-development`; accents folded, never empty."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _SLUG_UNSAFE.sub("-", ascii_name.lower())[:_SLUG_BASE_LENGTH].strip("-")
    if _ID_SHAPED.fullmatch(slug):
        return f"workspace-{slug}"
    return slug or "workspace"


async def _insert_with_explicit_slug(
    session: AsyncSession, workspace: Workspace, slug: str
) -> None:
    if _ID_SHAPED.fullmatch(slug):
        raise ValidationFailed("a slug may not have the shape of an id", code="invalid_slug")
    if await session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise Conflict("a workspace with this slug exists", code="slug_taken")
    workspace.slug = slug
    if not await _try_insert(session, workspace):  # taken by a concurrent create
        raise Conflict("a workspace with this slug exists", code="slug_taken")


async def _insert_with_derived_slug(session: AsyncSession, workspace: Workspace) -> None:
    base = derive_slug(workspace.name)
    taken = set(
        (
            await session.scalars(
                select(Workspace.slug).where(
                    (Workspace.slug == base) | Workspace.slug.startswith(f"{base}-")
                )
            )
        ).all()
    )
    for attempt in range(1, _SLUG_ATTEMPTS):
        candidate = base if attempt == 1 else f"{base}-{attempt}"
        if candidate in taken:
            continue
        workspace.slug = candidate
        if await _try_insert(session, workspace):
            return
        # else taken by a concurrent create: try the next suffix
    raise Conflict("could not find a free slug; choose one", code="slug_taken")


async def _try_insert(session: AsyncSession, workspace: Workspace) -> bool:
    """Insert in a savepoint; False if the slug's unique index refused it."""
    try:
        async with session.begin_nested():
            session.add(workspace)
            await session.flush()
    except IntegrityError:
        return False
    return True
