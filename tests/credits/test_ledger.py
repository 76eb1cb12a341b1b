"""The ledger service: one row and one atomic balance change per entry, idempotent, not negative."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from praisonai_platform.billing import service as credits
from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.core.errors import InsufficientCredits, NotFound, ValidationFailed
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActorType, User
from tests.credits.conftest import CREDIT, assert_balanced, balance_of, fund, ledger_of


async def post(user_id: str, delta: int, **fields):  # type: ignore[no-untyped-def]
    async with session_scope() as session:
        return await credits.post_entry(
            session,
            user_id=user_id,
            delta=delta,
            reason=fields.pop("reason", "test"),
            source=fields.pop("source", "test"),
            **fields,
        )


async def test_each_entry_moves_the_balance_and_records_it(client, make_user) -> None:  # type: ignore[no-untyped-def]
    ada = await make_user("ada")
    first = await post(ada.id, 5 * CREDIT, reason="welcome", external_id="w-1")
    second = await post(ada.id, -2 * CREDIT, run_id="run-1", api_key_id="key-1")
    assert first.created and second.created
    assert await balance_of(ada.id) == 3 * CREDIT
    rows = {row.id: row for row in await ledger_of(ada.id)}
    assert rows[first.entry.id].balance_after == 5 * CREDIT
    assert (rows[first.entry.id].reason, rows[first.entry.id].external_id) == ("welcome", "w-1")
    assert rows[second.entry.id].delta == -2 * CREDIT
    assert rows[second.entry.id].balance_after == 3 * CREDIT
    assert (rows[second.entry.id].run_id, rows[second.entry.id].api_key_id) == ("run-1", "key-1")
    assert rows[second.entry.id].actor_type is ActorType.SYSTEM
    await assert_balanced()


async def test_a_debit_beyond_the_balance_is_refused_and_changes_nothing(
    client,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    await fund(ada.id, CREDIT)
    with pytest.raises(InsufficientCredits) as refused:
        await post(ada.id, -CREDIT - 1)
    assert refused.value.code == "insufficient_credits" and refused.value.status_code == 402
    assert await balance_of(ada.id) == CREDIT
    assert len(await ledger_of(ada.id)) == 1
    # Exactly the balance is fine, and leaves zero.
    await post(ada.id, -CREDIT)
    assert await balance_of(ada.id) == 0


async def test_only_an_explicit_adjustment_may_go_below_zero(client, make_user) -> None:  # type: ignore[no-untyped-def]
    ada = await make_user("ada")
    result = await post(ada.id, -3, allow_negative=True)
    assert result.entry.balance_after == -3
    assert await balance_of(ada.id) == -3
    await assert_balanced()


async def test_an_existing_source_and_external_id_is_a_no_op_returning_the_original(
    client,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    first = await post(ada.id, 7, source="stripe", external_id="cs_1")
    again = await post(ada.id, 7, source="stripe", external_id="cs_1")
    different_amount = await post(ada.id, 9, source="stripe", external_id="cs_1")
    assert again.created is False and different_amount.created is False
    assert again.entry.id == first.entry.id == different_amount.entry.id
    # Another source may use the same external id.
    assert (await post(ada.id, 1, source="telegram", external_id="cs_1")).created
    assert await balance_of(ada.id) == 8
    assert len(await ledger_of(ada.id)) == 2


async def test_a_replayed_debit_is_a_no_op_even_when_the_balance_no_longer_covers_it(
    client,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    await fund(ada.id, 5)
    first = await post(ada.id, -5, external_id="once")
    replay = await post(ada.id, -5, external_id="once")
    assert replay.created is False and replay.entry.id == first.entry.id
    assert await balance_of(ada.id) == 0


async def test_an_unknown_user_is_not_found(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        await post("no-such-user", 5)
    with pytest.raises(NotFound):
        await post("no-such-user", -5)


@pytest.mark.parametrize(
    ("delta", "fields"),
    [
        (0, {}),
        (credits.MAX_AMOUNT + 1, {}),
        (-credits.MAX_AMOUNT - 1, {}),
        (1, {"reason": " "}),
        (1, {"reason": "r" * 201}),
        (1, {"source": ""}),
        (1, {"external_id": "x" * 256}),
        (1, {"external_id": ""}),
    ],
)
async def test_malformed_entries_are_refused(client, make_user, delta: int, fields) -> None:  # type: ignore[no-untyped-def]
    ada = await make_user("ada")
    with pytest.raises(ValidationFailed):
        await post(ada.id, delta, **fields)
    assert await ledger_of(ada.id) == []


async def test_a_balance_cannot_overflow(client, make_user) -> None:  # type: ignore[no-untyped-def]
    ada = await make_user("ada")
    async with session_scope() as session:
        await session.execute(
            User.__table__.update()
            .where(User.id == ada.id)
            .values(credit_balance=credits.MAX_BALANCE - 1)
        )
    with pytest.raises(ValidationFailed) as refused:
        await post(ada.id, 2)
    assert refused.value.code == "balance_limit"
    assert await balance_of(ada.id) == credits.MAX_BALANCE - 1


async def test_spending_credits_does_not_touch_the_profile_updated_at(client, make_user) -> None:  # type: ignore[no-untyped-def]
    ada = await make_user("ada")
    async with session_scope(read_only=True) as session:
        before = await session.scalar(select(User.updated_at).where(User.id == ada.id))
    await fund(ada.id, 10)
    async with session_scope(read_only=True) as session:
        assert await session.scalar(select(User.updated_at).where(User.id == ada.id)) == before


async def test_verify_lists_every_balance_that_differs_from_its_ledger(client, make_user) -> None:  # type: ignore[no-untyped-def]
    ada, bob, eve = await make_user("ada"), await make_user("bob"), await make_user("eve")
    await fund(ada.id, 10)
    await fund(bob.id, 20)
    async with session_scope() as session:
        await session.execute(
            User.__table__.update().where(User.id == bob.id).values(credit_balance=25)
        )
        await session.execute(
            User.__table__.update().where(User.id == eve.id).values(credit_balance=-1)
        )
    async with session_scope(read_only=True) as session:
        checked, mismatches = await credits.verify(session)
    assert checked == 3
    assert sorted((m.user_id, m.balance, m.ledger_sum) for m in mismatches) == sorted(
        [(bob.id, 25, 20), (eve.id, -1, 0)]
    )


# Run metering: what the run queue calls as workers report usage.


async def charge(user_id: str, run_id: str, step: str | int, amount: int):  # type: ignore[no-untyped-def]
    async with session_scope() as session:
        return await credits.charge_run_step(
            session, user_id=user_id, run_id=run_id, step=step, amount=amount
        )


async def test_the_same_run_step_is_charged_once(client, make_user) -> None:  # type: ignore[no-untyped-def]
    ada = await make_user("ada")
    await fund(ada.id, 100)
    first = await charge(ada.id, "run-1", 1, 10)
    again = await charge(ada.id, "run-1", 1, 10)
    assert first is not None and again is not None
    assert first.created and not again.created and again.entry.id == first.entry.id
    assert first.entry.run_id == "run-1" and first.entry.source == "run"
    assert first.entry.external_id == "run-1:1" and first.entry.details == {"step": "1"}
    assert await balance_of(ada.id) == 90


async def test_a_retried_run_pays_once_for_each_step_it_ran(client, make_user) -> None:  # type: ignore[no-untyped-def]
    ada = await make_user("ada")
    await fund(ada.id, 100)
    for step in (1, 2):  # the first attempt, whose lease was then reclaimed
        await charge(ada.id, "run-1", step, 10)
    for step in (1, 2, 3, "final"):  # the retry reports every step again, and new ones
        await charge(ada.id, "run-1", step, 10)
    await charge(ada.id, "run-2", 1, 10)  # another run's step 1 is other work
    assert await balance_of(ada.id) == 50
    charged = sorted(e.external_id or "" for e in await ledger_of(ada.id) if e.source == "run")
    assert charged == ["run-1:1", "run-1:2", "run-1:3", "run-1:final", "run-2:1"]


async def test_run_charges_cost_nothing_for_free_steps_and_refuse_overdrafts(
    client,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    await fund(ada.id, 5)
    assert await charge(ada.id, "run-1", 1, 0) is None
    with pytest.raises(InsufficientCredits):
        await charge(ada.id, "run-1", 2, 6)
    with pytest.raises(ValidationFailed):
        await charge(ada.id, "run-1", 3, -1)
    with pytest.raises(ValidationFailed):
        await charge(ada.id, "run-1", "s" * 300, 1)
    assert await balance_of(ada.id) == 5
    assert len(await ledger_of(ada.id)) == 1


async def test_starting_a_run_needs_the_minimum_balance_only_while_billing(
    client,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    await fund(ada.id, CREDIT - 1)
    async with session_scope(read_only=True) as session:
        await credits.require_run_balance(session, BillingSettings(), ada.id)
        billing = BillingSettings(billing_enabled=True, billing_min_balance=CREDIT)
        with pytest.raises(InsufficientCredits):
            await credits.require_run_balance(session, billing, ada.id)
    await fund(ada.id, 1)
    async with session_scope(read_only=True) as session:
        await credits.require_run_balance(session, billing, ada.id)
