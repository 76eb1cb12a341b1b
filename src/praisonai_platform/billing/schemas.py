"""Balances, ledger entries and what administrators send to change them.

Amounts are integer micro-credits (1 credit = 1,000,000): no rounding anywhere. Balances are also
shown in credits, as a decimal string with six places.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, Strict

from praisonai_platform.core.limits import MAX_AMOUNT
from praisonai_platform.core.schemas import EntityId, Name, ResponseSchema, Schema, StoredJsonObject

MICRO_CREDITS_PER_CREDIT = 1_000_000


def _not_zero(value: int) -> int:
    if value == 0:
        raise ValueError("must not be zero")
    return value


NonZeroMicroCredits = Annotated[
    int,
    Strict(),
    Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Micro-credits, not zero."),
    AfterValidator(_not_zero),
]
PositiveMicroCredits = Annotated[
    int, Strict(), Field(gt=0, le=MAX_AMOUNT, description="Micro-credits, more than zero.")
]
ExternalId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        description="Your idempotency key: a retry with the same key changes nothing and "
        "returns the first entry.",
    ),
]


def as_credits(micro_credits: int) -> str:
    """`150000000` → `"150.000000"`."""
    credits = Decimal(micro_credits) / MICRO_CREDITS_PER_CREDIT
    return f"{credits.quantize(Decimal('0.000001')):f}"


class CreditGrant(Schema):
    """Adds credits (grant) or takes them, never below zero (debit)."""

    user_id: EntityId
    amount: PositiveMicroCredits
    reason: Name
    external_id: ExternalId | None = None


class CreditAdjustment(Schema):
    """Moves a balance either way, below zero included; `amount` is signed and not zero."""

    user_id: EntityId
    amount: NonZeroMicroCredits
    reason: Name
    external_id: ExternalId | None = None


class BalanceResponse(ResponseSchema):
    user_id: str
    balance: int = Field(description="Micro-credits.")
    credits: str = Field(description="The balance in credits, six decimal places.")
    billing_enabled: bool
    min_balance_to_start_runs: int = Field(description="Micro-credits; applies while billing.")


class LedgerEntryResponse(ResponseSchema):
    id: str
    user_id: str
    delta: int = Field(description="Micro-credits; negative for debits.")
    balance_after: int
    reason: str
    source: str
    external_id: str | None = None
    api_key_id: str | None = None
    run_id: str | None = None
    actor_type: str | None = None
    actor_id: str | None = None
    details: StoredJsonObject = Field(default_factory=dict)
    created_at: datetime
