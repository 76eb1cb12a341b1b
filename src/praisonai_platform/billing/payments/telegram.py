"""Telegram Bot API payments: a `successful_payment` credits the user its invoice names.

The bot creates invoices whose `invoice_payload` is our user id. Deliveries prove they come from
Telegram by the secret token given to setWebhook, sent back in every request's
X-Telegram-Bot-Api-Secret-Token header. A pre-checkout query is answered in the webhook's reply
(Telegram runs a Bot API method returned there), accepting only a known user and a currency this
server prices.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.billing.payments import service as payments
from praisonai_platform.billing.payments.service import (
    WebhookOutcome,
    WebhookRejected,
    WebhookResult,
)
from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.db.models import PaymentProvider

logger = logging.getLogger("praisonai_platform.payments")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def handle(
    session: AsyncSession, settings: BillingSettings, payload: bytes, token: str | None
) -> WebhookResult:
    _verify(settings, token)
    update = payments.parse_event(payload)
    if isinstance(update.get("pre_checkout_query"), dict):
        return await _answer_pre_checkout(session, settings, update["pre_checkout_query"])
    message = update.get("message")
    paid = message.get("successful_payment") if isinstance(message, dict) else None
    if not isinstance(paid, dict):
        return WebhookResult(WebhookOutcome.IGNORED, "the update holds no payment")
    charge_id = payments.text_field(paid, "telegram_payment_charge_id")
    amount = payments.amount_field(paid, "total_amount")
    currency = payments.currency_field(paid)
    user_id = await payments.user_by_id(session, paid.get("invoice_payload"))
    if user_id is None:
        who = f"invoice_payload={str(paid.get('invoice_payload'))[:100]!r}"
        return payments.unknown_payer(PaymentProvider.TELEGRAM, charge_id, who)
    payment = payments.Payment(
        provider=PaymentProvider.TELEGRAM,
        provider_payment_id=charge_id,
        user_id=user_id,
        amount=amount,
        currency=currency,
        raw_event=update,
    )
    return await payments.record(session, settings, payment)


def _verify(settings: BillingSettings, token: str | None) -> None:
    secret = settings.telegram_webhook_secret
    if secret is None:
        logger.error(
            "Telegram webhook refused: PLATFORM_TELEGRAM_WEBHOOK_SECRET is not set, so no "
            "delivery can be verified"
        )
        raise WebhookRejected(
            "Telegram webhooks are not configured on this server", code="webhook_not_configured"
        )
    if not token:
        logger.warning("Telegram webhook refused: no %s header", SECRET_HEADER)
        raise WebhookRejected(f"the {SECRET_HEADER} header is missing", code="missing_secret_token")
    if not hmac.compare_digest(token.encode(), secret.get_secret_value().encode()):
        logger.warning("Telegram webhook refused: wrong %s", SECRET_HEADER)
        raise WebhookRejected(f"the {SECRET_HEADER} header is wrong", code="invalid_secret_token")


async def _answer_pre_checkout(
    session: AsyncSession, settings: BillingSettings, query: dict[str, Any]
) -> WebhookResult:
    query_id = payments.text_field(query, "id")
    problem = None
    if await payments.user_by_id(session, query.get("invoice_payload")) is None:
        problem = "This invoice is not for an account of this service."
    elif settings.micro_credits_for(payments.currency_field(query), 0) is None:
        problem = "This currency is not accepted."
    reply: dict[str, Any] = {
        "method": "answerPreCheckoutQuery",
        "pre_checkout_query_id": query_id,
        "ok": problem is None,
    }
    if problem is not None:
        reply["error_message"] = problem
    outcome_detail = problem or "pre-checkout query accepted"
    return WebhookResult(WebhookOutcome.IGNORED, outcome_detail, reply=reply)
