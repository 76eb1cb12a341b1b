"""Stripe webhooks: a paid Checkout Session credits its payer once.

The session names the payer by `client_reference_id` (our user id, set when the session is
created), else by the customer's email. `checkout.session.completed` credits a session that is
paid; one paid later (bank debits and the like) is credited by
`checkout.session.async_payment_succeeded`. Both carry the session's id, which is the payment's
id here, so however many of them arrive, it is credited once.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.billing.payments import service as payments
from praisonai_platform.billing.payments import stripe_signature
from praisonai_platform.billing.payments.service import (
    WebhookOutcome,
    WebhookRejected,
    WebhookResult,
)
from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.db.models import PaymentProvider

logger = logging.getLogger("praisonai_platform.payments")

CREDITING_EVENTS = frozenset(
    {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
)


async def handle(
    session: AsyncSession,
    settings: BillingSettings,
    payload: bytes,
    signature: str | None,
    *,
    now: float,
) -> WebhookResult:
    """Verify the delivery, then credit what it reports (or explain why not)."""
    _verify(settings, payload, signature, now=now)
    event = payments.parse_event(payload)
    event_type = event.get("type")
    if not isinstance(event_type, str) or event_type not in CREDITING_EVENTS:
        return WebhookResult(
            WebhookOutcome.IGNORED, f"event type {str(event_type)[:100]} is not used"
        )
    data = event.get("data")
    checkout = data.get("object") if isinstance(data, dict) else None
    if not isinstance(checkout, dict):
        raise WebhookRejected("the event holds no checkout session", code="invalid_payload")
    session_id = payments.text_field(checkout, "id")
    if checkout.get("payment_status") != "paid":
        return WebhookResult(WebhookOutcome.IGNORED, "the checkout session is not paid yet")
    amount = payments.amount_field(checkout, "amount_total")
    currency = payments.currency_field(checkout)
    user_id = await _payer(session, checkout)
    if user_id is None:
        return payments.unknown_payer(PaymentProvider.STRIPE, session_id, _who(checkout))
    payment = payments.Payment(
        provider=PaymentProvider.STRIPE,
        provider_payment_id=session_id,
        user_id=user_id,
        amount=amount,
        currency=currency,
        raw_event=event,
    )
    return await payments.record(session, settings, payment)


def _verify(
    settings: BillingSettings, payload: bytes, signature: str | None, *, now: float
) -> None:
    secret = settings.stripe_webhook_secret
    if secret is None:
        logger.error(
            "Stripe webhook refused: PLATFORM_STRIPE_WEBHOOK_SECRET is not set, so no delivery "
            "can be verified"
        )
        raise WebhookRejected(
            "Stripe webhooks are not configured on this server", code="webhook_not_configured"
        )
    try:
        stripe_signature.verify(payload, signature, secret.get_secret_value(), now=now)
    except stripe_signature.SignatureError as exc:
        logger.warning("Stripe webhook refused (%s): %s", exc.code, exc)
        raise WebhookRejected(str(exc), code=exc.code) from None


async def _payer(session: AsyncSession, checkout: dict[str, Any]) -> str | None:
    user_id = await payments.user_by_id(session, checkout.get("client_reference_id"))
    if user_id is not None:
        return user_id
    details = checkout.get("customer_details")
    email = details.get("email") if isinstance(details, dict) else None
    return await payments.user_by_email(session, email or checkout.get("customer_email"))


def _who(checkout: dict[str, Any]) -> str:
    reference = checkout.get("client_reference_id")
    return f"client_reference_id={str(reference)[:100]!r}"
