"""Telegram webhooks: only deliveries with the configured secret token count; a payment is
credited exactly once; pre-checkout queries are answered in the webhook's reply."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from tests.credits.conftest import (
    CREDIT,
    assert_balanced,
    balance_of,
    count_payments,
    ledger_of,
    payments_of,
)

TELEGRAM = "/api/v1/payments/webhooks/telegram"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET = "telegram-secret_0123456789"


@pytest.fixture(autouse=True)
def telegram_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_TELEGRAM_WEBHOOK_SECRET", SECRET)


def payment_update(
    user_id: str, *, charge_id: str = "tg_charge_1", amount: int = 300, currency: str = "USD"
) -> dict[str, Any]:
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


async def deliver(
    client: httpx.AsyncClient, update: dict[str, Any], token: str | None = SECRET
) -> httpx.Response:
    headers = {HEADER: token} if token is not None else {}
    return await client.post(TELEGRAM, json=update, headers=headers)


async def test_a_successful_payment_is_credited_once(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    response = await deliver(client, payment_update(ada.id))
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["credits"]) == ("credited", 3 * CREDIT)
    (payment,) = await payments_of(ada.id)
    (entry,) = await ledger_of(ada.id)
    assert (payment.provider.value, payment.provider_payment_id) == ("telegram", "tg_charge_1")
    assert (payment.amount, payment.currency, payment.ledger_entry_id) == (300, "USD", entry.id)
    assert (entry.source, entry.external_id) == ("telegram", "tg_charge_1")
    slash = await client.post(f"{TELEGRAM}/", json=payment_update(ada.id), headers={HEADER: SECRET})
    assert slash.json()["status"] == "duplicate"
    assert await balance_of(ada.id) == 3 * CREDIT


async def test_20_concurrent_deliveries_credit_once(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    update = payment_update(ada.id)
    responses = await asyncio.gather(*(deliver(client, update) for _ in range(20)))
    assert sorted(r.json()["status"] for r in responses) == ["credited"] + ["duplicate"] * 19
    assert await balance_of(ada.id) == 3 * CREDIT
    assert await count_payments() == 1
    await assert_balanced()


async def test_deliveries_without_the_secret_are_400_and_change_nothing(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ada = await make_user("ada")
    update = payment_update(ada.id)
    for token, code in (
        (None, "missing_secret_token"),
        ("", "missing_secret_token"),
        ("wrong", "invalid_secret_token"),
        (SECRET + "x", "invalid_secret_token"),
        (SECRET.upper(), "invalid_secret_token"),
    ):
        response = await deliver(client, update, token)
        assert (response.status_code, response.json()["code"]) == (400, code), token
    monkeypatch.delenv("PLATFORM_TELEGRAM_WEBHOOK_SECRET")
    with caplog.at_level(logging.ERROR, logger="praisonai_platform.payments"):
        unconfigured = await deliver(client, update)
    assert (unconfigured.status_code, unconfigured.json()["code"]) == (
        400,
        "webhook_not_configured",
    )
    assert "PLATFORM_TELEGRAM_WEBHOOK_SECRET is not set" in caplog.text
    monkeypatch.setenv("PLATFORM_TELEGRAM_WEBHOOK_SECRET", "   ")  # blank counts as unset
    assert (await deliver(client, update, "   ")).json()["code"] == "webhook_not_configured"
    assert await balance_of(ada.id) == 0
    assert await count_payments() == 0


async def test_currencies_are_priced_by_the_server(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ada = await make_user("ada")
    stars = await deliver(client, payment_update(ada.id, charge_id="stars", currency="XTR"))
    assert stars.json()["status"] == "failed"
    monkeypatch.setenv("PLATFORM_BILLING_MICRO_CREDITS_PER_UNIT", '{"XTR": 20000}')
    paid = await deliver(client, payment_update(ada.id, charge_id="stars-2", currency="XTR"))
    assert (paid.json()["status"], paid.json()["credits"]) == ("credited", 300 * 20_000)
    assert await balance_of(ada.id) == 300 * 20_000


async def test_unknown_payers_and_other_updates_are_ignored(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    await make_user("ada")
    stranger = await deliver(client, payment_update("no-such-user"))
    assert (stranger.status_code, stranger.json()["status"]) == (200, "ignored")
    for update in ({"update_id": 1, "message": {"text": "hi"}}, {"update_id": 2}):
        response = await deliver(client, update)
        assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert await count_payments() == 0


async def test_malformed_payments_are_400(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    for change in (
        {"telegram_payment_charge_id": None},
        {"total_amount": "300"},
        {"total_amount": -1},
        {"currency": 5},
    ):
        update = payment_update(ada.id)
        update["message"]["successful_payment"].update(change)
        response = await deliver(client, update)
        assert (response.status_code, response.json()["code"]) == (400, "invalid_payload")
    bad_json = await client.post(TELEGRAM, content=b"{", headers={HEADER: SECRET})
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, "invalid_payload")
    assert await count_payments() == 0


async def test_pre_checkout_queries_are_answered_in_the_reply(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")

    def query(payload: str, currency: str = "USD") -> dict[str, Any]:
        return {
            "update_id": 5,
            "pre_checkout_query": {
                "id": "pcq_1",
                "from": {"id": 42},
                "currency": currency,
                "total_amount": 300,
                "invoice_payload": payload,
            },
        }

    accepted = await deliver(client, query(ada.id))
    assert accepted.json() == {
        "method": "answerPreCheckoutQuery",
        "pre_checkout_query_id": "pcq_1",
        "ok": True,
    }
    for refused in (query("nobody"), query(ada.id, currency="JPY")):
        body = (await deliver(client, refused)).json()
        assert (body["ok"], body["pre_checkout_query_id"]) == (False, "pcq_1")
        assert body["error_message"]
    without_secret = await deliver(client, query(ada.id), token="wrong")
    assert without_secret.status_code == 400
    assert await count_payments() == 0
