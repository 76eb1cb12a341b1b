"""Payment webhooks of Stripe and Telegram: unauthenticated, proven by their signature or secret.

Every delivery that proves its origin gets a 2xx, whatever became of it (see WebhookResponse), so
the provider stops retrying; one that does not, or that cannot be read, gets a 400 and changes
nothing.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse

from praisonai_platform.api.deps import BillingConfig, DbSession
from praisonai_platform.api.routing import APIRouter
from praisonai_platform.billing.payments import stripe as stripe_payments
from praisonai_platform.billing.payments import telegram as telegram_payments
from praisonai_platform.billing.payments.schemas import TelegramMethodReply, WebhookResponse
from praisonai_platform.billing.payments.service import WebhookResult
from praisonai_platform.core.schemas import ErrorResponse

router = APIRouter(prefix="/payments/webhooks", tags=["payments"])

Billing = BillingConfig  # read once, when the app starts
_REFUSED: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorResponse,
        "description": "Not provably from the provider (signature or secret missing, wrong or "
        "stale; webhook not configured), or not a readable event. Nothing was recorded.",
    }
}
_JSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def _answer(result: WebhookResult) -> WebhookResponse:
    payment = result.payment
    return WebhookResponse(
        status=result.outcome.value,
        detail=result.detail,
        payment_id=payment.id if payment is not None else None,
        credits=payment.credits if payment is not None else None,
    )


@router.post(
    "/stripe", response_model=WebhookResponse, responses=_REFUSED, openapi_extra=_JSON_BODY
)
async def stripe_webhook(
    request: Request,
    session: DbSession,
    billing: Billing,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> WebhookResponse:
    """Credit a paid Checkout Session once. The Stripe-Signature header is checked against the
    raw body with PLATFORM_STRIPE_WEBHOOK_SECRET."""
    payload = await request.body()
    result = await stripe_payments.handle(
        session, billing, payload, stripe_signature, now=time.time()
    )
    return _answer(result)


@router.post(
    "/telegram",
    response_model=WebhookResponse | TelegramMethodReply,
    responses=_REFUSED,
    openapi_extra=_JSON_BODY,
)
async def telegram_webhook(
    request: Request,
    session: DbSession,
    billing: Billing,
    secret_token: Annotated[str | None, Header(alias=telegram_payments.SECRET_HEADER)] = None,
) -> WebhookResponse | JSONResponse:
    """Credit a `successful_payment` once; answer pre-checkout queries. The
    X-Telegram-Bot-Api-Secret-Token header must equal PLATFORM_TELEGRAM_WEBHOOK_SECRET."""
    payload = await request.body()
    result = await telegram_payments.handle(session, billing, payload, secret_token)
    if result.reply is not None:
        return JSONResponse(result.reply)
    return _answer(result)
