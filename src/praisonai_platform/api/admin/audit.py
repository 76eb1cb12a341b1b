"""Changes made in the admin UI land in the workspace's audit trail like any other: one activity
row per edit or deletion, in the same transaction, attributed to the signed-in admin."""

from __future__ import annotations

from typing import Any, ClassVar

from sqladmin.authentication import get_current_user_id
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_object_session
from starlette.requests import Request

from praisonai_platform.activity import service as activity
from praisonai_platform.api.admin.base import PlatformView
from praisonai_platform.db.models import ActivityLog, ActorType, Issue


class AuditedView(PlatformView):
    """An editable view of something that belongs to a workspace. Nothing is created here: the
    API creates things with their numbering, membership and permissions."""

    can_create = False
    entity_type: ClassVar[str]

    async def trail_of(self, session: AsyncSession, model: Any) -> tuple[str, str | None]:
        """(workspace id, issue id) of the activity row about `model`."""
        return model.workspace_id, None

    async def check_change(self, model: Any, data: dict[str, Any]) -> None:
        """Refuse (raise) a change that would break a rule the API keeps; nothing is saved."""

    def audit_details(self, model: Any) -> dict[str, Any]:
        """What the activity rows about `model` carry besides the change, as the API's do."""
        return {}

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        await super().on_model_change(data, model, is_created, request)
        await self.check_change(model, data)
        changes = activity.apply_changes(model, data)
        if changes:
            details = {**self.audit_details(model), "changes": changes, "via": "admin"}
            await self._record(model, request, "updated", details)

    async def on_model_delete(self, model: Any, request: Request) -> None:
        await self._record(model, request, "deleted", {**self.audit_details(model), "via": "admin"})

    async def _record(
        self,
        model: Any,
        request: Request,
        action: str,
        details: dict[str, Any],
        *,
        about: tuple[str, str] | None = None,
    ) -> None:
        """One activity row; `about` is (entity type, id) when it is not the model itself."""
        session = async_object_session(model)
        assert session is not None
        workspace_id, issue_id = await self.trail_of(session, model)
        session.add(
            ActivityLog(
                workspace_id=workspace_id,
                entity_type=about[0] if about else self.entity_type,
                entity_id=about[1] if about else model.id,
                issue_id=issue_id,
                action=action,
                actor_type=ActorType.USER,
                actor_id=get_current_user_id(request),
                details=details,
            )
        )


class IssuePartView(AuditedView):
    """Something that hangs off an issue (comment, label link, dependency)."""

    async def trail_of(self, session: AsyncSession, model: Any) -> tuple[str, str | None]:
        workspace_id = await session.scalar(
            select(Issue.workspace_id).where(Issue.id == model.issue_id)
        )
        return str(workspace_id), model.issue_id
