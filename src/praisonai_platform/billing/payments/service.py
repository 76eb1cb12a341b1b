"""Recording a payment and crediting it: once per (provider, provider payment id), in one
transaction.

The payment record and its ledger credit are written together in a savepoint of the caller's
transaction, so a crash between them is impossible and a redelivery finds the record. Concurrent
deliveries of the same payment meet at the unique constraint: one inserts, the others roll their
savepoint back and report a duplicate. What a payment is worth comes from the server's price
table (BillingSettings), never from the event.
"""

from __future__ import annotations

import enum
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.billing import service as credits
from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.core.errors import PlatformError
from praisonai_platform.core.schemas import check_text
from praisonai_platform.db.models import PaymentProvider, PaymentRecord, PaymentStatus, User

logger = logging.getLogger("praisonai_platform.payments")

MAX_PAYMENT_AMOUNT = 10**12  # minor units
_MAX_ID_LENGTH = 255
_MAX_CURRENCY_LENGTH = 10


class WebhookRejected(PlatformError):
    """A delivery that is not provably from the provider, or not readable: nothing recorded."""

    status_code = 400
    default_code = "webhook_rejected"


class WebhookOutcome(enum.StrEnum):
    CREDITED = "credited"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    IGNORED = "ignored"


@dataclass(slots=True)
class WebhookResult:
    outcome: WebhookOutcome
    detail: str
    payment: PaymentRecord | None = None
    # A reply the provider should act on (Telegram's Bot API method in the webhook answer).
    reply: dict[str, Any] | None = field(default=None)


@dataclass(frozen=True, slots=True)
class Payment:
    """What a provider's event says was paid, checked for size and type."""

    provider: PaymentProvider
    provider_payment_id: str
    user_id: str
    amount: int
    currency: str
    raw_event: dict[str, Any]


async def record(
    session: AsyncSession, settings: BillingSettings, payment: Payment
) -> WebhookResult:
    """Record `payment` and credit it, unless an earlier delivery did."""
    existing = await _find(session, payment.provider, payment.provider_payment_id)
    if existing is not None:
        return _duplicate(existing)
    micro_credits = settings.micro_credits_for(payment.currency, payment.amount)
    failure = _failure(payment, micro_credits)
    row = PaymentRecord(
        user_id=payment.user_id,
        provider=payment.provider,
        provider_payment_id=payment.provider_payment_id,
        status=PaymentStatus.FAILED if failure else PaymentStatus.COMPLETED,
        amount=payment.amount,
        currency=payment.currency.upper(),
        credits=0 if failure or micro_credits is None else micro_credits,
        raw_event=payment.raw_event,
        failure_message=failure,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
            if row.credits > 0:
                credited = await credits.post_entry(
                    session,
                    user_id=payment.user_id,
                    delta=row.credits,
                    reason=f"{payment.provider.value} payment",
                    source=payment.provider.value,
                    external_id=payment.provider_payment_id,
                    details={
                        "payment_id": row.id,
                        "amount": payment.amount,
                        "currency": row.currency,
                    },
                )
                row.ledger_entry_id = credited.entry.id
                await session.flush()
    except IntegrityError:
        existing = await _find(session, payment.provider, payment.provider_payment_id)
        if existing is None:
            raise
        return _duplicate(existing)
    if failure:
        logger.error(
            "%s payment %s recorded as failed, nothing credited: %s",
            payment.provider.value,
            payment.provider_payment_id,
            failure,
        )
        return WebhookResult(WebhookOutcome.FAILED, failure, row)
    logger.info(
        "%s payment %s credited %d micro-credits to user %s",
        payment.provider.value,
        payment.provider_payment_id,
        row.credits,
        payment.user_id,
    )
    return WebhookResult(WebhookOutcome.CREDITED, "payment recorded and credited", row)


async def user_by_id(session: AsyncSession, user_id: Any) -> str | None:
    if not isinstance(user_id, str) or not 0 < len(user_id) <= _MAX_ID_LENGTH:
        return None
    return await session.scalar(select(User.id).where(User.id == user_id))


async def user_by_email(session: AsyncSession, email: Any) -> str | None:
    if not isinstance(email, str) or not 0 < len(email) <= 320:
        return None
    return await session.scalar(select(User.id).where(User.email == email.strip().lower()))


def unknown_payer(provider: PaymentProvider, payment_id: str, who: str) -> WebhookResult:
    """A payment for nobody here. A payment record needs a user, so none is written; the 2xx
    answer stops the provider's retries, and the log is where an operator finds it."""
    logger.error(
        "%s payment %s names no user of this server (%s): recorded nothing, credited nothing; "
        "grant the credits by hand once the payer is known",
        provider.value,
        payment_id,
        who,
    )
    return WebhookResult(WebhookOutcome.IGNORED, "the payer is not a user of this server")


def parse_event(payload: bytes) -> dict[str, Any]:
    """The body as a JSON object whose text every database can store."""
    try:
        event = json.loads(payload)
        check_text(event)
    except (ValueError, RecursionError):
        raise WebhookRejected(
            "the body is not a valid JSON event", code="invalid_payload"
        ) from None
    if not isinstance(event, dict):
        raise WebhookRejected("the body is not a JSON object", code="invalid_payload")
    return event


def text_field(container: Any, name: str, *, max_length: int = _MAX_ID_LENGTH) -> str:
    value = container.get(name) if isinstance(container, dict) else None
    if not isinstance(value, str) or not 0 < len(value) <= max_length:
        raise WebhookRejected(f"the event has no valid {name}", code="invalid_payload")
    return value


def amount_field(container: Any, name: str) -> int:
    value = container.get(name) if isinstance(container, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise WebhookRejected(f"the event has no valid {name}", code="invalid_payload")
    return value


def currency_field(container: Any, name: str = "currency") -> str:
    return text_field(container, name, max_length=_MAX_CURRENCY_LENGTH).upper()


def _failure(payment: Payment, micro_credits: int | None) -> str | None:
    if micro_credits is None:
        return f"currency {payment.currency.upper()} is not accepted by this server"
    if payment.amount > MAX_PAYMENT_AMOUNT or micro_credits > credits.MAX_AMOUNT:
        return "the amount is larger than this server credits automatically"
    return None


def _duplicate(existing: PaymentRecord) -> WebhookResult:
    return WebhookResult(WebhookOutcome.DUPLICATE, "this payment was recorded before", existing)


async def _find(
    session: AsyncSession, provider: PaymentProvider, provider_payment_id: str
) -> PaymentRecord | None:
    return await session.scalar(
        select(PaymentRecord).where(
            PaymentRecord.provider == provider,
            PaymentRecord.provider_payment_id == provider_payment_id,
        )
    )
