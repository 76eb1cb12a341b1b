"""Stripe webhooks: only signed, fresh deliveries count, and a payment is credited exactly once."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx
import pytest

from praisonai_platform.billing.payments.stripe_signature import sign
from tests.credits.conftest import (
    CREDIT,
    assert_balanced,
    balance_of,
    count_payments,
    ledger_of,
    payments_of,
)

STRIPE = "/api/v1/payments/webhooks/stripe"
SECRET = "whsec_test_0123456789abcdef"


@pytest.fixture(autouse=True)
def stripe_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_STRIPE_WEBHOOK_SECRET", SECRET)


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
                "currency": currency,
                "payment_status": payment_status,
                # What a tampered checkout might claim; the server's price table decides.
                "metadata": {"credits": "999999999"},
                **fields,
            }
        },
    }


async def deliver(
    client: httpx.AsyncClient,
    event: dict[str, Any] | bytes,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    header: str | bytes | None = None,
    path: str = STRIPE,
) -> httpx.Response:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    signature = header if header is not None else sign(body, secret, timestamp or int(time.time()))
    return await client.post(
        path,
        content=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


async def test_a_signed_checkout_credits_the_server_price_once(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    response = await deliver(client, checkout_event(ada.id, amount=500))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["credits"]) == ("credited", 5 * CREDIT)  # $5.00 at $1/credit
    assert await balance_of(ada.id) == 5 * CREDIT
    (payment,) = await payments_of(ada.id)
    (entry,) = await ledger_of(ada.id)
    assert payment.id == body["payment_id"]
    assert (payment.provider.value, payment.provider_payment_id) == ("stripe", "cs_test_1")
    assert (payment.amount, payment.currency, payment.credits) == (500, "USD", 5 * CREDIT)
    assert (payment.status.value, payment.ledger_entry_id) == ("completed", entry.id)
    assert payment.raw_event["data"]["object"]["id"] == "cs_test_1"
    assert (entry.source, entry.external_id, entry.delta) == ("stripe", "cs_test_1", 5 * CREDIT)
    assert (entry.actor_type.value, entry.actor_id) == ("system", None)

    replay = await deliver(client, checkout_event(ada.id, amount=500), path=f"{STRIPE}/")
    assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")
    assert replay.json()["payment_id"] == payment.id
    assert await balance_of(ada.id) == 5 * CREDIT


async def test_the_same_event_delivered_20_times_at_once_credits_once(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    event = checkout_event(ada.id, amount=1234)
    responses = await asyncio.gather(*(deliver(client, event) for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["credited"] + ["duplicate"] * 19
    assert len({r.json()["payment_id"] for r in responses}) == 1
    assert await balance_of(ada.id) == 1234 * 10_000
    assert len(await ledger_of(ada.id)) == 1
    assert await count_payments() == 1
    await assert_balanced()


async def test_unverifiable_deliveries_are_400_and_change_nothing(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ada = await make_user("ada")
    event = checkout_event(ada.id)
    body = json.dumps(event).encode()
    now = int(time.time())
    good = sign(body, SECRET, now)
    tampered = json.dumps(checkout_event(ada.id, amount=500_000)).encode()
    cases = [
        ("wrong secret", {"secret": "whsec_someone_else"}, "invalid_signature"),
        ("old timestamp", {"timestamp": now - 305}, "stale_signature"),
        ("future timestamp", {"timestamp": now + 310}, "stale_signature"),
        ("no header", {"header": ""}, "missing_signature"),
        ("garbage header", {"header": "nonsense"}, "invalid_signature"),
        ("no v1", {"header": f"t={now},v0=abc"}, "invalid_signature"),
        ("non-ascii", {"header": f"t={now},v1=é".encode()}, "invalid_signature"),
        ("replayed signature on another body", {"header": good}, "invalid_signature"),
    ]
    for name, options, code in cases:
        payload = tampered if name.startswith("replayed") else body
        response = await deliver(client, payload, **options)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["code"] == code, name
    # The signature covers the timestamp: moving it invalidates the signature.
    moved = good.replace(f"t={now}", f"t={now + 1}")
    assert (await deliver(client, body, header=moved)).json()["code"] == "invalid_signature"

    monkeypatch.delenv("PLATFORM_STRIPE_WEBHOOK_SECRET")
    with caplog.at_level(logging.ERROR, logger="praisonai_platform.payments"):
        unconfigured = await deliver(client, body)
    assert (unconfigured.status_code, unconfigured.json()["code"]) == (
        400,
        "webhook_not_configured",
    )
    assert "PLATFORM_STRIPE_WEBHOOK_SECRET is not set" in caplog.text
    assert await balance_of(ada.id) == 0
    assert await count_payments() == 0


async def test_a_fresh_signature_within_five_minutes_is_accepted(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    response = await deliver(client, checkout_event(ada.id), timestamp=int(time.time()) - 280)
    assert (response.status_code, response.json()["status"]) == (200, "credited")


async def test_a_currency_not_priced_here_is_recorded_as_failed(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    response = await deliver(client, checkout_event(ada.id, currency="jpy"))
    assert (response.status_code, response.json()["status"]) == (200, "failed")
    assert "JPY" in response.json()["detail"]
    (payment,) = await payments_of(ada.id)
    assert (payment.status.value, payment.credits, payment.currency) == ("failed", 0, "JPY")
    assert payment.ledger_entry_id is None and payment.failure_message
    assert await ledger_of(ada.id) == []
    again = await deliver(client, checkout_event(ada.id, currency="jpy"))
    assert again.json()["status"] == "duplicate"
    assert await count_payments() == 1


async def test_prices_come_from_the_server_configuration(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLATFORM_BILLING_MICRO_CREDITS_PER_UNIT", '{"eur": 12000}')
    ada = await make_user("ada")
    euros = await deliver(client, checkout_event(ada.id, session_id="cs_eur", currency="eur"))
    assert euros.json()["credits"] == 500 * 12_000
    dollars = await deliver(client, checkout_event(ada.id, session_id="cs_usd", currency="usd"))
    assert dollars.json()["status"] == "failed"  # no longer accepted
    assert await balance_of(ada.id) == 500 * 12_000


async def test_the_payer_is_found_by_reference_or_else_by_email(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    ada = await make_user("ada")
    by_email = checkout_event(
        None, session_id="cs_mail", customer_details={"email": ada.email.upper()}
    )
    assert (await deliver(client, by_email)).json()["status"] == "credited"
    legacy = checkout_event("not-a-user", session_id="cs_legacy", customer_email=ada.email)
    assert (await deliver(client, legacy)).json()["status"] == "credited"
    assert await balance_of(ada.id) == 10 * CREDIT

    with caplog.at_level(logging.ERROR, logger="praisonai_platform.payments"):
        stranger = await deliver(
            client,
            checkout_event("nobody", session_id="cs_nobody", customer_email="x@example.com"),
        )
    assert (stranger.status_code, stranger.json()["status"]) == (200, "ignored")
    assert "cs_nobody" in caplog.text and "names no user" in caplog.text
    assert await count_payments() == 2


async def test_a_session_paid_later_is_credited_when_its_payment_succeeds(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    pending = await deliver(client, checkout_event(ada.id, payment_status="unpaid"))
    assert pending.json()["status"] == "ignored"
    assert await count_payments() == 0
    succeeded = checkout_event(ada.id, event_type="checkout.session.async_payment_succeeded")
    assert (await deliver(client, succeeded)).json()["status"] == "credited"
    # A completed event for the same session (delivered late, now paid) is the same payment.
    assert (await deliver(client, checkout_event(ada.id))).json()["status"] == "duplicate"
    assert await balance_of(ada.id) == 5 * CREDIT


async def test_other_events_are_acknowledged_and_ignored(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    for event in (
        checkout_event(ada.id, event_type="checkout.session.expired"),
        {"type": "invoice.paid", "data": {"object": {}}},
        {"type": ["not", "a", "string"]},
        {"no": "type"},
    ):
        response = await deliver(client, event)
        assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert await count_payments() == 0


async def test_signed_but_unreadable_events_are_400(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    broken: list[dict[str, Any] | bytes] = [
        b"not json",
        b"[1, 2]",
        b'{"type": "checkout.session.completed", "x": NaN}',
        b'{"type": "checkout.session.completed", "data": {"object": {"id": "a\\u0000b"}}}',
        b"\xff\xfe",
        b"[" * 5000 + b"]" * 5000,
        {"type": "checkout.session.completed", "data": "nope"},
        checkout_event(ada.id, session_id=""),
        checkout_event(ada.id, session_id="x" * 256),
        checkout_event(ada.id, amount=-1),
        checkout_event(ada.id, amount="500"),  # type: ignore[arg-type]
        checkout_event(ada.id, amount=True),  # type: ignore[arg-type]
        checkout_event(ada.id, currency=None),  # type: ignore[arg-type]
        checkout_event(ada.id, currency="x" * 11),
    ]
    for event in broken:
        response = await deliver(client, event)
        assert response.status_code == 400, (event, response.text)
        assert response.json()["code"] == "invalid_payload"
    assert await count_payments() == 0


async def test_an_amount_too_large_to_credit_is_recorded_as_failed(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada = await make_user("ada")
    response = await deliver(client, checkout_event(ada.id, amount=10**18))
    assert (response.status_code, response.json()["status"]) == (200, "failed")
    assert await balance_of(ada.id) == 0
