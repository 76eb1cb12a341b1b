"""What every payment webhook (Stripe, Telegram) guarantees: a payment is credited exactly once,
however often and however concurrently it is delivered; prices come from the server; unknown
payers, unpriced currencies and a missing secret credit nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
import pytest

from praisonai_platform.db.models import ActorType
from tests.credits.conftest import (
    CREDIT,
    assert_balanced,
    balance_of,
    count_payments,
    ledger_of,
    payments_of,
)
from tests.credits.webhooks import PROVIDERS, WebhookProvider
from tests.factories import MakeUser


@pytest.fixture(params=sorted(PROVIDERS))
def provider(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    reload_billing: Callable[[], None],
) -> WebhookProvider:
    """Each provider in turn, with its webhook secret configured."""
    provider = PROVIDERS[request.param]
    monkeypatch.setenv(provider.secret_variable, provider.secret)
    reload_billing()
    return provider


async def test_a_payment_is_credited_once_and_a_replay_is_a_duplicate(
    client: httpx.AsyncClient, make_user: MakeUser, provider: WebhookProvider
) -> None:
    ada = await make_user("ada")
    event = provider.payment(ada.id, amount=500)
    response = await provider.deliver(client, event)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["credits"]) == ("credited", 5 * CREDIT)  # $5.00 at $1/credit
    assert await balance_of(ada.id) == 5 * CREDIT
    (payment,) = await payments_of(ada.id)
    (entry,) = await ledger_of(ada.id)
    assert payment.id == body["payment_id"]
    assert (payment.provider.value, payment.provider_payment_id) == (provider.name, "pay_1")
    assert (payment.amount, payment.currency, payment.credits) == (500, "USD", 5 * CREDIT)
    assert (payment.status.value, payment.ledger_entry_id) == ("completed", entry.id)
    assert payment.raw_event == event
    assert (entry.source, entry.external_id, entry.delta) == (provider.name, "pay_1", 5 * CREDIT)
    assert (entry.actor_type, entry.actor_id) == (ActorType.SYSTEM, None)

    replay = await provider.deliver(client, event, path=f"{provider.path}/")
    assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")
    assert replay.json()["payment_id"] == payment.id
    assert await balance_of(ada.id) == 5 * CREDIT


async def test_the_same_payment_delivered_20_times_at_once_credits_once(
    client: httpx.AsyncClient, make_user: MakeUser, provider: WebhookProvider
) -> None:
    ada = await make_user("ada")
    event = provider.payment(ada.id, amount=1234)
    responses = await asyncio.gather(*(provider.deliver(client, event) for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["credited"] + ["duplicate"] * 19
    assert len({r.json()["payment_id"] for r in responses}) == 1
    assert await balance_of(ada.id) == 1234 * 10_000
    assert len(await ledger_of(ada.id)) == 1
    assert await count_payments() == 1
    await assert_balanced()


async def test_a_currency_not_priced_here_is_recorded_as_failed(
    client: httpx.AsyncClient, make_user: MakeUser, provider: WebhookProvider
) -> None:
    ada = await make_user("ada")
    currency = provider.unpriced_currency
    response = await provider.deliver(client, provider.payment(ada.id, currency=currency))
    assert (response.status_code, response.json()["status"]) == (200, "failed")
    assert currency in response.json()["detail"]
    (payment,) = await payments_of(ada.id)
    assert (payment.status.value, payment.credits, payment.currency) == ("failed", 0, currency)
    assert payment.ledger_entry_id is None and payment.failure_message
    assert await ledger_of(ada.id) == []
    again = await provider.deliver(client, provider.payment(ada.id, currency=currency))
    assert again.json()["status"] == "duplicate"
    assert await count_payments() == 1


async def test_prices_come_from_the_server_configuration(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    provider: WebhookProvider,
    monkeypatch: pytest.MonkeyPatch,
    reload_billing: Callable[[], None],
) -> None:
    ada = await make_user("ada")
    currency = provider.unpriced_currency

    async def pay(payment_id: str, currency: str) -> httpx.Response:
        event = provider.payment(ada.id, payment_id=payment_id, currency=currency)
        return await provider.deliver(client, event)

    assert (await pay("before", currency)).json()["status"] == "failed"
    # Configured in lower case: currency codes are matched regardless of case.
    prices = f'{{"{currency.lower()}": 12000}}'
    monkeypatch.setenv("PLATFORM_BILLING_MICRO_CREDITS_PER_UNIT", prices)
    reload_billing()
    priced = await pay("after", currency)
    assert (priced.json()["status"], priced.json()["credits"]) == ("credited", 500 * 12_000)
    dollars = await pay("dollars", "USD")
    assert dollars.json()["status"] == "failed"  # no longer accepted
    assert await balance_of(ada.id) == 500 * 12_000


async def test_a_payment_naming_no_user_is_acknowledged_and_ignored(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    provider: WebhookProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await make_user("ada")
    with caplog.at_level(logging.ERROR, logger="praisonai_platform.payments"):
        stranger = await provider.deliver(
            client, provider.payment("no-such-user", payment_id="pay_nobody")
        )
    assert (stranger.status_code, stranger.json()["status"]) == (200, "ignored")
    assert "pay_nobody" in caplog.text and "names no user" in caplog.text
    assert await count_payments() == 0


@pytest.mark.parametrize("configured", [None, "   "], ids=["unset", "blank"])
async def test_without_a_configured_secret_every_delivery_is_refused(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    provider: WebhookProvider,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    reload_billing: Callable[[], None],
    configured: str | None,
) -> None:
    ada = await make_user("ada")
    if configured is None:
        monkeypatch.delenv(provider.secret_variable)
    else:
        monkeypatch.setenv(provider.secret_variable, configured)  # blank counts as unset
    reload_billing()
    with caplog.at_level(logging.ERROR, logger="praisonai_platform.payments"):
        response = await provider.deliver(client, provider.payment(ada.id))
    assert (response.status_code, response.json()["code"]) == (400, "webhook_not_configured")
    assert f"{provider.secret_variable} is not set" in caplog.text
    assert await balance_of(ada.id) == 0
    assert await count_payments() == 0
