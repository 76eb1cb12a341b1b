"""The credit ledger: every change of a balance is one ledger row and one atomic update, together.

Amounts are integer micro-credits. A balance moves only through `post_entry`: one conditional
`UPDATE users SET credit_balance = credit_balance + :delta … RETURNING` and the INSERT of the
ledger row, in one savepoint of the caller's transaction. The database refuses to change or delete
ledger rows (see db/ledger_ddl.py), so the balance always equals the sum of its ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import InsufficientCredits, NotFound, ValidationFailed
from praisonai_platform.core.limits import MAX_AMOUNT
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import ActorType, CreditLedgerEntry, User

# A balance stays within ±2**62, far from overflow (an entry moves at most MAX_AMOUNT).
MAX_BALANCE = 2**62
RUN_SOURCE = "run"

_REASON_LENGTH, _SOURCE_LENGTH, _EXTERNAL_ID_LENGTH = 200, 50, 255


@dataclass(frozen=True, slots=True)
class LedgerResult:
    """The entry, and whether this call made it (False: its (source, external_id) existed, and
    nothing changed)."""

    entry: CreditLedgerEntry
    created: bool


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A user whose balance is not the sum of their ledger."""

    user_id: str
    email: str
    balance: int
    ledger_sum: int


async def post_entry(
    session: AsyncSession,
    *,
    user_id: str,
    delta: int,
    reason: str,
    source: str,
    external_id: str | None = None,
    actor: Actor | None = None,
    api_key_id: str | None = None,
    run_id: str | None = None,
    details: dict[str, Any] | None = None,
    allow_negative: bool = False,
) -> LedgerResult:
    """Move a balance by `delta` and record it. A debit below zero is refused (402) unless
    `allow_negative` (admin adjustments). An existing (source, external_id) is returned as is."""
    _check_entry(delta, reason, source, external_id)
    if external_id is not None:
        existing = await _find(session, source, external_id)
        if existing is not None:
            return LedgerResult(existing, created=False)
    try:
        async with session.begin_nested():
            new_balance = await _move_balance(
                session, user_id, delta, allow_negative=allow_negative
            )
            if new_balance is not None:
                entry = CreditLedgerEntry(
                    user_id=user_id,
                    delta=delta,
                    balance_after=new_balance,
                    reason=reason,
                    source=source,
                    external_id=external_id,
                    api_key_id=api_key_id or (actor.api_key_id if actor else None),
                    run_id=run_id,
                    actor_type=actor.type if actor else ActorType.SYSTEM,
                    actor_id=actor.id if actor else None,
                    details=details or {},
                )
                session.add(entry)
                await session.flush()
                return LedgerResult(entry, created=True)
    except IntegrityError:
        # A concurrent transaction recorded the same (source, external_id) first; the savepoint
        # took this call's balance change back.
        if external_id is None:
            raise
        existing = await _find(session, source, external_id)
        if existing is None:
            raise
        return LedgerResult(existing, created=False)
    # The guarded UPDATE matched nothing. The entry may have been committed by a concurrent
    # duplicate while this one waited for the row lock: that is still a replay, not a refusal.
    if external_id is not None:
        existing = await _find(session, source, external_id)
        if existing is not None:
            return LedgerResult(existing, created=False)
    raise await _refusal(session, user_id, delta, allow_negative=allow_negative)


async def balance(session: AsyncSession, user_id: str) -> int:
    value = await session.scalar(select(User.credit_balance).where(User.id == user_id))
    if value is None:
        raise NotFound("user not found")
    return value


async def ledger(session: AsyncSession, user_id: str, page: PageRequest) -> Page[CreditLedgerEntry]:
    """A user's entries, newest first."""
    statement = select(CreditLedgerEntry).where(CreditLedgerEntry.user_id == user_id)
    order = [
        SortKey("created_at", CreditLedgerEntry.created_at, descending=True, kind=datetime),
        SortKey("id", CreditLedgerEntry.id, descending=True),
    ]
    return await paginate(session, statement, order, page)


async def verify(session: AsyncSession) -> tuple[int, list[Mismatch]]:
    """How many users were checked, and every one whose balance differs from its ledger sum."""
    sums = (
        select(CreditLedgerEntry.user_id, func.sum(CreditLedgerEntry.delta).label("total"))
        .group_by(CreditLedgerEntry.user_id)
        .subquery()
    )
    ledger_sum = func.coalesce(sums.c.total, 0)
    rows = await session.execute(
        select(User.id, User.email, User.credit_balance, ledger_sum)
        .outerjoin(sums, sums.c.user_id == User.id)
        .where(User.credit_balance != ledger_sum)
        .order_by(User.id)
    )
    mismatches = [Mismatch(row[0], row[1], int(row[2]), int(row[3])) for row in rows]
    checked = await session.scalar(select(func.count()).select_from(User))
    return checked or 0, mismatches


async def charge_run_step(
    session: AsyncSession,
    *,
    user_id: str,
    run_id: str,
    step: str | int,
    amount: int,
    api_key_id: str | None = None,
    actor: Actor | None = None,
) -> LedgerResult | None:
    """Charge `amount` micro-credits for one step of a run, at most once per (run, step): a
    retried or resumed run reporting the same step again is not charged again, whatever amount it
    reports. A step costing nothing writes nothing (None). Refused (402) when the balance does
    not cover it; the caller decides what happens to the run then."""
    if amount == 0:
        return None
    if amount < 0:
        raise ValidationFailed("a run charge is a positive amount", code="invalid_amount")
    step_key = str(step)
    if not step_key or len(run_id) + 1 + len(step_key) > _EXTERNAL_ID_LENGTH:
        raise ValidationFailed("a run step is named by 1 to 200 characters", code="invalid_step")
    return await post_entry(
        session,
        user_id=user_id,
        delta=-amount,
        reason="run usage",
        source=RUN_SOURCE,
        external_id=f"{run_id}:{step_key}",
        actor=actor,
        api_key_id=api_key_id,
        run_id=run_id,
        details={"step": step_key},
    )


async def run_step_charge(
    session: AsyncSession, run_id: str, step: str | int
) -> CreditLedgerEntry | None:
    """The entry that charged this step of the run, if one did."""
    return await _find(session, RUN_SOURCE, f"{run_id}:{step}")


async def require_run_balance(
    session: AsyncSession, settings: BillingSettings, user_id: str
) -> None:
    """With billing enabled, starting a run needs PLATFORM_BILLING_MIN_BALANCE (402 otherwise)."""
    if not settings.billing_enabled:
        return
    held = await balance(session, user_id)
    if held < settings.billing_min_balance:
        raise InsufficientCredits(
            f"starting a run needs a balance of {settings.billing_min_balance} micro-credits; "
            f"you have {held}"
        )


def _check_entry(delta: int, reason: str, source: str, external_id: str | None) -> None:
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise ValidationFailed("an entry moves a non-zero whole number of micro-credits")
    if abs(delta) > MAX_AMOUNT:
        raise ValidationFailed(
            f"an entry moves at most {MAX_AMOUNT} micro-credits", code="invalid_amount"
        )
    if not reason.strip() or len(reason) > _REASON_LENGTH:
        raise ValidationFailed(f"a reason has 1 to {_REASON_LENGTH} characters")
    if not source or len(source) > _SOURCE_LENGTH:
        raise ValidationFailed(f"a source has 1 to {_SOURCE_LENGTH} characters")
    if external_id is not None and not 0 < len(external_id) <= _EXTERNAL_ID_LENGTH:
        raise ValidationFailed(f"an external id has 1 to {_EXTERNAL_ID_LENGTH} characters")


async def _move_balance(
    session: AsyncSession, user_id: str, delta: int, *, allow_negative: bool
) -> int | None:
    """The new balance, or None when the user does not exist or the guard refused the change."""
    statement = update(User).where(User.id == user_id)
    if delta > 0:
        statement = statement.where(User.credit_balance <= MAX_BALANCE - delta)
    elif allow_negative:
        statement = statement.where(User.credit_balance >= -MAX_BALANCE - delta)
    else:
        statement = statement.where(User.credit_balance >= -delta)
    statement = (
        # updated_at is named only so that its onupdate does not fire: spending credits is not
        # a change of the profile.
        statement.values(credit_balance=User.credit_balance + delta, updated_at=User.updated_at)
        .returning(User.credit_balance)
        .execution_options(synchronize_session=False)
    )
    return await session.scalar(statement)


async def _find(session: AsyncSession, source: str, external_id: str) -> CreditLedgerEntry | None:
    return await session.scalar(
        select(CreditLedgerEntry).where(
            CreditLedgerEntry.source == source, CreditLedgerEntry.external_id == external_id
        )
    )


async def _refusal(
    session: AsyncSession, user_id: str, delta: int, *, allow_negative: bool
) -> Exception:
    held = await session.scalar(select(User.credit_balance).where(User.id == user_id))
    if held is None:
        return NotFound("user not found")
    if delta > 0 or allow_negative:
        return ValidationFailed("the balance would leave its limits", code="balance_limit")
    return InsufficientCredits(
        f"not enough credits: the balance is {held} micro-credits, this needs {-delta}"
    )
