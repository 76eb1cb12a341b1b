"""Metering: the worker holding a run reports what each step of it cost, and the run's creator
pays for it once per (run, step).

A retried or resumed run reports its steps again: a step already charged is not charged twice,
whatever amount it names now, and a step it had not reached is charged like any other. Who pays
comes from who queued the run, never from what the run carries in its parameters. With billing
off, runs run without looking at balances: usage is accepted and nothing is charged.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.billing import service as credits
from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Conflict, ValidationFailed
from praisonai_platform.core.limits import MAX_STEP_AMOUNT, MAX_STEP_NAME
from praisonai_platform.db.models import ActorType, Agent
from praisonai_platform.runs import checks as run_values
from praisonai_platform.runs.reports.service import authorize_worker, lock_held_run


@dataclass(frozen=True, slots=True)
class UsageCharge:
    """Whether this report charged anything, and the payer's balance after it."""

    charged: bool
    balance: int
    billing_enabled: bool


async def payer_id(
    session: AsyncSession, created_by_type: ActorType, created_by_id: str | None
) -> str:
    """The user who pays for a run: the person who queued it, or the owner of the agent that did.
    A run nobody can pay for is refused (409 `run_has_no_payer`)."""
    payer = None
    if created_by_type is ActorType.USER:
        payer = created_by_id
    elif created_by_type is ActorType.AGENT and created_by_id is not None:
        payer = await session.scalar(select(Agent.owner_id).where(Agent.id == created_by_id))
    if payer is None:
        raise Conflict(
            "nobody pays for this run: neither a person nor an agent with an owner queued it",
            code="run_has_no_payer",
        )
    return payer


async def require_start_balance(
    session: AsyncSession, actor: Actor, settings: BillingSettings
) -> None:
    """With billing enabled, whoever would pay for a run the actor queues needs the minimum
    balance to start it (402 otherwise)."""
    if not settings.billing_enabled:
        return
    payer = await payer_id(session, actor.type, actor.id)
    await credits.require_run_balance(session, settings, payer)


async def charge(
    session: AsyncSession,
    actor: Actor,
    run_id: str,
    worker_id: str,
    *,
    step: str | int,
    amount: int,
    settings: BillingSettings,
) -> UsageCharge:
    """Charge `amount` micro-credits for `step` of the run this worker holds (409 `run_not_held`
    otherwise); 402 when the payer's balance does not cover it."""
    step_key = _step_key(step)
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int)
        or not 0 <= amount <= MAX_STEP_AMOUNT
    ):
        raise ValidationFailed(
            f"amount: whole micro-credits from 0 to {MAX_STEP_AMOUNT}", code="invalid_amount"
        )
    await authorize_worker(session, actor, run_id, worker_id)
    run = await lock_held_run(session, run_id, worker_id)
    payer = await payer_id(session, run.created_by_type, run.created_by_id)
    if not settings.billing_enabled:
        return UsageCharge(False, await credits.balance(session, payer), billing_enabled=False)
    result = await credits.charge_run_step(
        session,
        user_id=payer,
        run_id=run.id,
        step=step_key,
        amount=amount,
        # The ledger writes the system as no actor.
        actor=None if actor.is_system else actor,
    )
    charged = result is not None and result.created
    return UsageCharge(charged, await credits.balance(session, payer), billing_enabled=True)


def _step_key(step: str | int) -> str:
    if isinstance(step, int) and not isinstance(step, bool):
        return str(run_values.count(step, "step"))
    key = run_values.text(step, "step", MAX_STEP_NAME) if isinstance(step, str) else ""
    if not key.strip():
        raise ValidationFailed(
            f"step: a name of 1 to {MAX_STEP_NAME} characters or a whole number",
            code="invalid_step",
        )
    return key
