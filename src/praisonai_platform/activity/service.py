"""Writing the audit trail: one row per mutation, in the mutating transaction."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.actors import Actor
from praisonai_platform.db import change_feed
from praisonai_platform.db.models import ActivityLog
from praisonai_platform.db.rows import insert_row


def record(
    session: AsyncSession,
    actor: Actor | None,
    *,
    workspace_id: str,
    entity_type: str,
    entity_id: str,
    action: str,
    issue_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> ActivityLog:
    entry = _entry(actor, workspace_id, entity_type, entity_id, action, issue_id, details)
    session.add(entry)
    return entry


async def insert(
    session: AsyncSession,
    actor: Actor | None,
    *,
    workspace_id: str,
    entity_type: str,
    entity_id: str,
    action: str,
    issue_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Like `record`, written at once with one Core INSERT: for hot paths that flush nothing
    else. Nothing reads the row back in the transaction, so it stays out of the session."""
    entry = _entry(actor, workspace_id, entity_type, entity_id, action, issue_id, details)
    await insert_row(session, entry, keep=False)
    change_feed.add(session.sync_session, change_feed.activity_row(entry))


def _entry(
    actor: Actor | None,
    workspace_id: str,
    entity_type: str,
    entity_id: str,
    action: str,
    issue_id: str | None,
    details: dict[str, Any] | None,
) -> ActivityLog:
    return ActivityLog(
        workspace_id=workspace_id,
        entity_type=entity_type,
        entity_id=entity_id,
        issue_id=issue_id,
        action=action,
        actor_type=actor.type if actor else "system",
        actor_id=actor.id if actor else None,
        details=details or {},
    )


def apply_changes(target: object, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """Set each attribute that really changes; return `{field: [old, new]}` for the audit trail."""
    changed: dict[str, list[Any]] = {}
    for name, new in changes.items():
        old = getattr(target, name)
        if old != new:
            setattr(target, name, new)
            changed[name] = [_plain(old), _plain(new)]
    return changed


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value
