"""Concurrent balance changes: nothing lost, nothing doubled, never below zero."""

from __future__ import annotations

import asyncio

import httpx

from praisonai_platform.billing import service as credits
from praisonai_platform.core.errors import InsufficientCredits
from praisonai_platform.db import session_scope
from tests.credits.conftest import CREDIT, assert_balanced, balance_of, fund, ledger_of

DEBITS, FUNDS = 200, 150


async def test_200_concurrent_debits_from_150_credits(client, make_user) -> None:  # type: ignore[no-untyped-def]
    ada = await make_user("ada")
    await fund(ada.id, FUNDS * CREDIT)

    async def debit(i: int) -> str:
        try:
            async with session_scope() as session:
                await credits.post_entry(
                    session, user_id=ada.id, delta=-CREDIT, reason=f"debit {i}", source="test"
                )
        except InsufficientCredits:
            return "refused"
        return "debited"

    outcomes = await asyncio.gather(*(debit(i) for i in range(DEBITS)))
    assert outcomes.count("debited") == FUNDS
    assert outcomes.count("refused") == DEBITS - FUNDS
    assert await balance_of(ada.id) == 0
    entries = await ledger_of(ada.id)
    assert len(entries) == FUNDS + 1
    # Each debit saw its own balance: the balances after are exactly 0 … 149, once each.
    assert sorted(e.balance_after for e in entries if e.delta < 0) == [
        n * CREDIT for n in range(FUNDS)
    ]
    await assert_balanced()


async def test_200_concurrent_admin_debits_through_the_api(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    admin, ada = await make_user("admin", is_admin=True), await make_user("ada")
    await fund(ada.id, FUNDS * CREDIT)
    body = {"user_id": ada.id, "amount": CREDIT, "reason": "usage"}

    responses = await asyncio.gather(
        *(
            client.post("/api/v1/admin/credits/debit", json=body, headers=admin.headers)
            for _ in range(DEBITS)
        )
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == FUNDS, {s: statuses.count(s) for s in set(statuses)}
    assert statuses.count(402) == DEBITS - FUNDS
    assert {r.json()["code"] for r in responses if r.status_code == 402} == {"insufficient_credits"}
    assert await balance_of(ada.id) == 0
    await assert_balanced()


async def test_concurrent_entries_with_one_external_id_count_once(client, make_user) -> None:  # type: ignore[no-untyped-def]
    ada = await make_user("ada")

    async def credit() -> bool:
        async with session_scope() as session:
            result = await credits.post_entry(
                session,
                user_id=ada.id,
                delta=CREDIT,
                reason="payment",
                source="stripe",
                external_id="cs_same",
            )
            return result.created

    created = await asyncio.gather(*(credit() for _ in range(30)))
    assert created.count(True) == 1
    assert await balance_of(ada.id) == CREDIT
    assert len(await ledger_of(ada.id)) == 1
    await assert_balanced()
