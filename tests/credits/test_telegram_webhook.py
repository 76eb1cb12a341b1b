"""Telegram webhooks: only deliveries with the configured secret token count; Telegram's own
update shapes; pre-checkout queries are answered in the webhook's reply.

What every payment webhook guarantees (credited once, concurrency, prices, unknown payers, an
unset secret) is tested for Telegram too, in test_webhook_payments.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.credits.conftest import count_payments
from tests.credits.webhooks import TELEGRAM_HEADER as HEADER
from tests.credits.webhooks import TELEGRAM_SECRET as SECRET
from tests.credits.webhooks import deliver_to_telegram as deliver
from tests.credits.webhooks import payment_update
from tests.factories import MakeUser

TELEGRAM = "/api/v1/payments/webhooks/telegram"


@pytest.fixture(autouse=True)
def telegram_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_TELEGRAM_WEBHOOK_SECRET", SECRET)


async def test_deliveries_without_the_secret_are_400_and_change_nothing(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    monkeypatch: pytest.MonkeyPatch,
    reload_billing: Callable[[], None],
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
    # With a blank secret configured (so none), a blank token matches nothing.
    monkeypatch.setenv("PLATFORM_TELEGRAM_WEBHOOK_SECRET", "   ")
    reload_billing()
    assert (await deliver(client, update, "   ")).json()["code"] == "webhook_not_configured"
    assert await count_payments() == 0


async def test_updates_other_than_payments_are_ignored(client: httpx.AsyncClient) -> None:
    for update in ({"update_id": 1, "message": {"text": "hi"}}, {"update_id": 2}):
        response = await deliver(client, update)
        assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert await count_payments() == 0


async def test_malformed_payments_are_400(
    client: httpx.AsyncClient,
    make_user: MakeUser,
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
    make_user: MakeUser,
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
