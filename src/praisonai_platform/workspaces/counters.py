"""The workspace's issue counter: numbers taken in the creating transaction, gap-free."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.errors import NotFound
from praisonai_platform.db.models import Workspace
from praisonai_platform.workspaces.permissions import WORKSPACE_NOT_FOUND

_workspaces = cast(Table, Workspace.__table__)
_TAKE_NUMBER = (
    update(_workspaces)
    .where(_workspaces.c.id == bindparam("workspace_id"))
    # updated_at is named only so that its onupdate does not fire: numbering an issue is not a
    # change of the workspace.
    .values(issue_counter=_workspaces.c.issue_counter + 1, updated_at=_workspaces.c.updated_at)
    .returning(_workspaces.c.issue_counter, _workspaces.c.issue_prefix)
)


async def take_issue_number(session: AsyncSession, workspace_id: str) -> tuple[int, str]:
    """The workspace's next issue number and the key it makes (PREFIX-N).

    One atomic UPDATE … RETURNING: concurrent creators queue on the workspace row (PostgreSQL) or
    for the writer (SQLite) instead of reading the same maximum, and a rolled-back create gives
    its number back.
    """
    connection = await session.connection()
    row = (await connection.execute(_TAKE_NUMBER, {"workspace_id": workspace_id})).one_or_none()
    if row is None:  # deleted since the caller's access was checked
        raise NotFound(WORKSPACE_NOT_FOUND)
    number, prefix = row
    return int(number), f"{prefix}-{number}"
