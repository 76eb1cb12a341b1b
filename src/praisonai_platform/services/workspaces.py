"""Workspaces: the top-level container; its creator becomes its owner."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.db.models import Member, MemberRole, Workspace
from praisonai_platform.errors import Conflict
from praisonai_platform.services import activity
from praisonai_platform.services.actors import Actor
from praisonai_platform.services.pagination import Page, PageRequest, SortKey, paginate
from praisonai_platform.services.permissions import Action, workspace_access

_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


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
    workspace = Workspace(
        name=name,
        description=description,
        settings=settings or {},
        issue_prefix=(issue_prefix or "ISSUE").upper(),
    )
    await _insert_with_slug(session, workspace, slug)
    session.add(Member(workspace_id=workspace.id, user_id=actor.user_id, role=MemberRole.OWNER))
    activity.record(
        session,
        actor,
        workspace_id=workspace.id,
        entity_type="workspace",
        entity_id=workspace.id,
        action="created",
        details={"name": name, "slug": workspace.slug},
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
    access = await workspace_access(session, actor, workspace_id, Action.WORKSPACE_UPDATE)
    workspace = access.workspace
    if changes.get("issue_prefix"):
        changes["issue_prefix"] = changes["issue_prefix"].upper()
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
    access = await workspace_access(session, actor, workspace_id, Action.WORKSPACE_DELETE)
    await session.delete(access.workspace)
    await session.flush()


async def _insert_with_slug(session: AsyncSession, workspace: Workspace, slug: str | None) -> None:
    if slug is not None:
        if await session.scalar(select(Workspace.id).where(Workspace.slug == slug)):
            raise Conflict("a workspace with this slug exists", code="slug_taken")
        workspace.slug = slug
        session.add(workspace)
        await session.flush()
        return
    base = _SLUG_UNSAFE.sub("-", workspace.name.lower()).strip("-")[:80] or "workspace"
    taken = set(
        (
            await session.execute(
                select(Workspace.slug).where(
                    (Workspace.slug == base) | Workspace.slug.startswith(f"{base}-")
                )
            )
        ).scalars()
    )
    for attempt in range(1, 1000):
        candidate = base if attempt == 1 else f"{base}-{attempt}"
        if candidate in taken:
            continue
        workspace.slug = candidate
        try:
            async with session.begin_nested():
                session.add(workspace)
                await session.flush()
        except IntegrityError:
            continue  # taken by a concurrent create
        return
    raise Conflict("could not find a free slug; choose one", code="slug_taken")
