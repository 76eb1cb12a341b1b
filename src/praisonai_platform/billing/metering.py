"""Metering: the worker holding a run reports what each step of it cost, and the run's creator
pays for it once per (run, step).

A retried or resumed run reports its steps again: a step already charged is not charged twice,
whatever amount it names now, and a step it had not reached is charged like any other. Who pays
comes from who queued the run, never from what the run carries in its parameters. With billing
off, runs run without looking at balances: usage is accepted and nothing is charged.

Money moves only by its owner's leave. Usage is charged to a run only when reported by a worker
the payer authorised: one signed in as the payer (their session or one of their keys), one
acting through a key of the run's agent, or the server's own worker processes. Anyone else
holding the run (a member whose worker took it) may work on it but not charge it (403
`not_authorised_to_charge`), billing on or off. A run queued with a budget is never charged more
than it: the report that would pass it charges nothing and fails the run (`budget_exceeded`).
The payer's balance is shown to the payer, administrators and the server's own workers only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.billing import service as credits
from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Conflict, Forbidden, ValidationFailed
from praisonai_platform.core.limits import MAX_STEP_AMOUNT, MAX_STEP_NAME
from praisonai_platform.db.models import ActorType, Agent, Run
from praisonai_platform.runs import checks as run_values
from praisonai_platform.runs.reports import service as run_reports
from praisonai_platform.runs.reports.service import authorize_worker, lock_held_run

BUDGET_EXCEEDED = "budget_exceeded"
"""The failure reason of a run whose usage would have passed its budget, and the error code its
reporter gets."""


@dataclass(frozen=True, slots=True)
class UsageCharge:
    """Whether this report charged anything; the payer's balance after it (None for a reporter
    who may not see it); and whether it would have passed the run's budget (then nothing was
    charged and the run failed)."""

    charged: bool
    balance: int | None
    billing_enabled: bool
    budget_exceeded: bool = False


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
    otherwise) to its payer; 403 `not_authorised_to_charge` when the reporter is not one the payer
    authorised; 402 when the payer's balance does not cover it. A charge that would pass the
    run's budget charges nothing, fails the run and answers `budget_exceeded` (the caller
    commits that: the run's failure must stand)."""
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
    # Locked: reports on one run queue here, so what it spent is read and raised by one at a time.
    run = await lock_held_run(session, run_id, worker_id)
    payer = await payer_id(session, run.created_by_type, run.created_by_id)
    if not may_charge(actor, run, payer):
        raise Forbidden(
            "only the person who pays for this run, a key of its agent or the server's own "
            "workers may charge it",
            code="not_authorised_to_charge",
        )

    async def outcome(charged: bool, *, exceeded: bool = False) -> UsageCharge:
        held = await credits.balance(session, payer) if may_see_balance(actor, payer) else None
        return UsageCharge(charged, held, settings.billing_enabled, budget_exceeded=exceeded)

    if not settings.billing_enabled or amount == 0:
        return await outcome(False)
    if await credits.run_step_charge(session, run.id, step_key) is not None:
        return await outcome(False)  # charged before, whatever it costs now
    if run.budget is not None and run.spent + amount > run.budget:
        await run_reports.end_attempt(
            session,
            actor,
            run,
            worker_id,
            reason=BUDGET_EXCEEDED,
            message=f"step {step_key} would cost {amount} micro-credits; the run spent "
            f"{run.spent} of its budget of {run.budget}",
            retry=False,
        )
        return await outcome(False, exceeded=True)
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
    if charged:
        await _spend(session, run.id, amount)
    return await outcome(charged)


def may_charge(actor: Actor, run: Run, payer: str) -> bool:
    """Whether `actor` may charge the run's payer: the server's own workers, a key of the run's
    agent, or the payer's own session or (user) key."""
    if actor.is_system:
        return True
    if actor.is_agent:
        return actor.id == run.agent_id
    return actor.user_id == payer


def may_see_balance(actor: Actor, user_id: str) -> bool:
    """The payer sees their balance, and so do administrators (never through an agent's or a
    workspace-limited key) and the server's own workers; nobody else."""
    if actor.is_system:
        return True
    if actor.is_agent:
        return False
    return actor.user_id == user_id or (actor.user.is_admin and actor.workspace_id is None)


async def _spend(session: AsyncSession, run_id: str, amount: int) -> None:
    """Add `amount` to what the run spent, in one statement that never passes its budget."""
    spent = await session.scalar(
        update(Run)
        .where(Run.id == run_id, Run.budget.is_(None) | (Run.spent + amount <= Run.budget))
        .values(spent=Run.spent + amount)
        .returning(Run.spent)
        .execution_options(synchronize_session=False)
    )
    if spent is None:  # the run's row is locked: only a concurrent writer ignoring that gets here
        raise Conflict("this charge would pass the run's budget", code=BUDGET_EXCEEDED)


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
