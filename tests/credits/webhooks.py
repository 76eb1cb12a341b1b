"""The payment providers as the webhook tests see them: how each one shapes, signs and posts a
delivery of a successful payment. tests/credits/test_webhook_payments.py runs the rules every
provider shares against each; provider-specific rules stay in test_{stripe,telegram}_webhook.py.
"""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

import httpx

from praisonai_platform.billing.payments.stripe_signature import sign

STRIPE_SECRET = "whsec_test_0123456789abcdef"
TELEGRAM_SECRET = "telegram-secret_0123456789"
TELEGRAM_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookProvider:
    """One payment provider's webhook: its path, its secret, and what a delivery looks like."""

    name: ClassVar[str]  # the payment record's provider and the ledger entry's source
    path: ClassVar[str]
    secret_variable: ClassVar[str]  # the environment variable holding the webhook secret
    secret: ClassVar[str]
    unpriced_currency: ClassVar[str]  # a currency the default price table does not know

    def payment(
        self,
        user_id: str,
        *,
        payment_id: str = "pay_1",
        amount: int = 500,
        currency: str = "USD",
    ) -> dict[str, Any]:
        """A delivery saying `user_id` paid `amount` (minor units of `currency`)."""
        raise NotImplementedError

    async def deliver(
        self, client: httpx.AsyncClient, event: dict[str, Any], *, path: str | None = None
    ) -> httpx.Response:
        """Post `event` the way the provider would, authenticated with `secret`."""
        raise NotImplementedError


class Stripe(WebhookProvider):
    name = "stripe"
    path = "/api/v1/payments/webhooks/stripe"
    secret_variable = "PLATFORM_STRIPE_WEBHOOK_SECRET"
    secret = STRIPE_SECRET
    unpriced_currency = "JPY"

    def payment(
        self,
        user_id: str,
        *,
        payment_id: str = "pay_1",
        amount: int = 500,
        currency: str = "USD",
    ) -> dict[str, Any]:
        return checkout_event(user_id, session_id=payment_id, amount=amount, currency=currency)

    async def deliver(
        self, client: httpx.AsyncClient, event: dict[str, Any], *, path: str | None = None
    ) -> httpx.Response:
        return await deliver_to_stripe(client, event, path=path or self.path)


class Telegram(WebhookProvider):
    name = "telegram"
    path = "/api/v1/payments/webhooks/telegram"
    secret_variable = "PLATFORM_TELEGRAM_WEBHOOK_SECRET"
    secret = TELEGRAM_SECRET
    unpriced_currency = "XTR"

    def payment(
        self,
        user_id: str,
        *,
        payment_id: str = "pay_1",
        amount: int = 500,
        currency: str = "USD",
    ) -> dict[str, Any]:
        return payment_update(user_id, charge_id=payment_id, amount=amount, currency=currency)

    async def deliver(
        self, client: httpx.AsyncClient, event: dict[str, Any], *, path: str | None = None
    ) -> httpx.Response:
        return await deliver_to_telegram(client, event, path=path or self.path)


PROVIDERS: dict[str, WebhookProvider] = {"stripe": Stripe(), "telegram": Telegram()}


def checkout_event(
    user_id: str | None,
    *,
    session_id: str = "cs_test_1",
    amount: int = 500,
    currency: str = "usd",
    payment_status: str = "paid",
    event_type: str = "checkout.session.completed",
    **fields: Any,
) -> dict[str, Any]:
    """A Stripe event about a Checkout Session (Stripe writes currencies in lower case)."""
    return {
        "id": f"evt_{session_id}_{event_type}",
        "object": "event",
        "type": event_type,
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "client_reference_id": user_id,
                "amount_total": amount,
                "currency": currency.lower() if isinstance(currency, str) else currency,
                "payment_status": payment_status,
                # What a tampered checkout might claim; the server's price table decides.
                "metadata": {"credits": "999999999"},
                **fields,
            }
        },
    }


async def deliver_to_stripe(
    client: httpx.AsyncClient,
    event: dict[str, Any] | bytes,
    *,
    secret: str = STRIPE_SECRET,
    timestamp: int | None = None,
    header: str | bytes | None = None,
    path: str = Stripe.path,
) -> httpx.Response:
    """Post `event` signed like Stripe does (or with the `Stripe-Signature` header given)."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    signature = header if header is not None else sign(body, secret, timestamp or int(time.time()))
    headers: dict[str, Any] = {"Stripe-Signature": signature, "Content-Type": "application/json"}
    return await client.post(path, content=body, headers=headers)


def payment_update(
    user_id: str, *, charge_id: str = "tg_charge_1", amount: int = 300, currency: str = "USD"
) -> dict[str, Any]:
    """A Telegram update with a successful payment; the invoice payload names the payer."""
    return {
        "update_id": 1000,
        "message": {
            "message_id": 7,
            "chat": {"id": 42, "type": "private"},
            "successful_payment": {
                "currency": currency,
                "total_amount": amount,
                "invoice_payload": user_id,
                "telegram_payment_charge_id": charge_id,
                "provider_payment_charge_id": "provider_1",
            },
        },
    }


async def deliver_to_telegram(
    client: httpx.AsyncClient,
    update: dict[str, Any],
    token: str | None = TELEGRAM_SECRET,
    *,
    path: str = Telegram.path,
) -> httpx.Response:
    """Post `update` with Telegram's secret-token header (none when `token` is None)."""
    headers = {TELEGRAM_HEADER: token} if token is not None else {}
    return await client.post(path, json=update, headers=headers)
