"""Writing the audit trail: one row per mutation, in the mutating transaction."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.actors import Actor
from praisonai_platform.db.models import ActivityLog


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
    entry = ActivityLog(
        workspace_id=workspace_id,
        entity_type=entity_type,
        entity_id=entity_id,
        issue_id=issue_id,
        action=action,
        actor_type=actor.type if actor else "system",
        actor_id=actor.id if actor else None,
        details=details or {},
    )
    session.add(entry)
    return entry


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
