"""Fixtures of the API tests, and quick ways to move and read balances in credits tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from praisonai_platform.billing import service as credits
from praisonai_platform.billing.schemas import MICRO_CREDITS_PER_CREDIT
from praisonai_platform.billing.settings import BillingSettings, load_billing_settings
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import CreditLedgerEntry, PaymentRecord
from tests.api.conftest import *  # noqa: F403

CREDIT = MICRO_CREDITS_PER_CREDIT


@pytest.fixture(autouse=True)
def no_billing_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's billing settings or webhook secrets."""
    for name in BillingSettings.model_fields:
        monkeypatch.delenv(f"PLATFORM_{name.upper()}", raising=False)
    yield


@pytest.fixture
def reload_billing(app: FastAPI) -> Callable[[], None]:
    """The app reads its billing settings once, when created: a test that changes the
    environment afterwards calls this to have them read again (as a restart would)."""

    def reload() -> None:
        app.state.billing_settings = load_billing_settings()

    return reload


async def fund(user_id: str, amount: int) -> None:
    async with session_scope() as session:
        await credits.post_entry(
            session, user_id=user_id, delta=amount, reason="test funds", source="test"
        )


async def balance_of(user_id: str) -> int:
    async with session_scope(read_only=True) as session:
        return await credits.balance(session, user_id)


async def ledger_of(user_id: str) -> list[CreditLedgerEntry]:
    async with session_scope(read_only=True) as session:
        rows = await session.scalars(
            select(CreditLedgerEntry).where(CreditLedgerEntry.user_id == user_id)
        )
        return list(rows)


async def payments_of(user_id: str) -> list[PaymentRecord]:
    async with session_scope(read_only=True) as session:
        rows = await session.scalars(select(PaymentRecord).where(PaymentRecord.user_id == user_id))
        return list(rows)


async def count_payments() -> int:
    async with session_scope(read_only=True) as session:
        return await session.scalar(select(func.count()).select_from(PaymentRecord)) or 0


async def assert_balanced() -> None:
    """Every balance equals the sum of its ledger."""
    async with session_scope(read_only=True) as session:
        _, mismatches = await credits.verify(session)
    assert mismatches == []
