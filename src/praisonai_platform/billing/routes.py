"""Credits: your balance and ledger; administrators grant, debit and adjust."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from praisonai_platform.api.deps import BillingConfig, CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.billing import admin as credit_admin
from praisonai_platform.billing import service as credits
from praisonai_platform.billing.admin import AdminOperation
from praisonai_platform.billing.schemas import (
    BalanceResponse,
    CreditAdjustment,
    CreditGrant,
    LedgerEntryResponse,
    as_credits,
)
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.schemas import ErrorResponse

router = APIRouter(tags=["credits"])

Billing = BillingConfig  # read once, when the app starts
_INSUFFICIENT: dict[int | str, dict[str, Any]] = {
    402: {"model": ErrorResponse, "description": "The balance does not cover it"}
}


@router.get("/credits", response_model=BalanceResponse)
async def get_balance(actor: CurrentActor, session: DbSession, billing: Billing) -> BalanceResponse:
    """Your balance, in micro-credits and in credits."""
    held = await credits.balance(session, actor.user_id)
    return BalanceResponse(
        user_id=actor.user_id,
        balance=held,
        credits=as_credits(held),
        billing_enabled=billing.billing_enabled,
        min_balance_to_start_runs=billing.billing_min_balance,
    )


@router.get("/credits/ledger", response_model=list[LedgerEntryResponse])
async def get_ledger(
    actor: CurrentActor, session: DbSession, listing: ListPaging
) -> list[LedgerEntryResponse]:
    """Every change of your balance, newest first."""
    page = await credits.ledger(session, actor.user_id, listing.page)
    return [LedgerEntryResponse.model_validate(e) for e in listing.items(page)]


async def _apply(
    operation: AdminOperation,
    body: CreditGrant | CreditAdjustment,
    actor: Actor,
    session: DbSession,
    response: Response,
) -> LedgerEntryResponse:
    result = await credit_admin.apply(session, actor, operation, **body.model_dump())
    if not result.created:
        response.status_code = 200  # a retry with the same external_id: nothing changed
    return LedgerEntryResponse.model_validate(result.entry)


@router.post("/admin/credits/grant", status_code=201, response_model=LedgerEntryResponse)
async def grant_credits(
    body: CreditGrant, actor: CurrentActor, session: DbSession, response: Response
) -> LedgerEntryResponse:
    """Add `amount` micro-credits to a user's balance (administrators)."""
    return await _apply(AdminOperation.GRANT, body, actor, session, response)


@router.post(
    "/admin/credits/debit",
    status_code=201,
    response_model=LedgerEntryResponse,
    responses=_INSUFFICIENT,
)
async def debit_credits(
    body: CreditGrant, actor: CurrentActor, session: DbSession, response: Response
) -> LedgerEntryResponse:
    """Take `amount` micro-credits from a user's balance, never below zero (administrators)."""
    return await _apply(AdminOperation.DEBIT, body, actor, session, response)


@router.post("/admin/credits/adjust", status_code=201, response_model=LedgerEntryResponse)
async def adjust_credits(
    body: CreditAdjustment, actor: CurrentActor, session: DbSession, response: Response
) -> LedgerEntryResponse:
    """Move a balance by a signed `amount`, below zero if need be (administrators)."""
    return await _apply(AdminOperation.ADJUST, body, actor, session, response)
