"""What administrators do to balances: grant, debit and adjust, always with a reason.

The ledger row is the audit record of these changes (it names the admin as actor); activity
logs belong to workspaces and balances to users, so none is written here.
"""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.billing import service as credits
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Conflict, NotFound, ValidationFailed
from praisonai_platform.workspaces.permissions import Action, require_credential

ADMIN_SOURCE = "admin"


class AdminOperation(enum.StrEnum):
    GRANT = "grant"  # adds credits
    DEBIT = "debit"  # takes credits, never below zero (402)
    ADJUST = "adjust"  # either way, and may take the balance below zero


async def apply(
    session: AsyncSession,
    actor: Actor,
    operation: AdminOperation,
    *,
    user_id: str,
    amount: int,
    reason: str,
    external_id: str | None = None,
) -> credits.LedgerResult:
    """Apply one admin change. `external_id` makes a retry a no-op returning the first entry;
    reusing it for a different user or amount is a conflict."""
    require_admin(actor)
    delta = _delta(operation, amount)
    try:
        result = await credits.post_entry(
            session,
            user_id=user_id,
            delta=delta,
            reason=reason,
            source=ADMIN_SOURCE,
            external_id=external_id,
            actor=actor,
            details={"operation": operation.value},
            allow_negative=operation is AdminOperation.ADJUST,
        )
    except NotFound:
        raise ValidationFailed("user_id: no user has this id", code="invalid_reference") from None
    entry = result.entry
    if not result.created and (entry.user_id, entry.delta) != (user_id, delta):
        raise Conflict(
            "external_id was already used for a different entry", code="external_id_reused"
        )
    return result


def require_admin(actor: Actor) -> None:
    """A signed-in administrator, or a full-access API key of one; never an agent
    (the permission table's `credits.manage`)."""
    require_credential(actor, Action.CREDITS_MANAGE)


def _delta(operation: AdminOperation, amount: int) -> int:
    if operation is AdminOperation.ADJUST:
        if amount == 0:
            raise ValidationFailed("an adjustment is not zero", code="invalid_amount")
        return amount
    if amount <= 0:
        raise ValidationFailed(f"a {operation.value} is a positive amount", code="invalid_amount")
    return amount if operation is AdminOperation.GRANT else -amount
