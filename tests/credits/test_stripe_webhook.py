"""Stripe webhooks: only signed, fresh deliveries count; Stripe's own event shapes.

What every payment webhook guarantees (credited once, concurrency, prices, unknown payers, an
unset secret) is tested for Stripe too, in test_webhook_payments.py.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
import pytest

from praisonai_platform.billing.payments.stripe_signature import sign
from tests.credits.conftest import CREDIT, balance_of, count_payments
from tests.credits.webhooks import STRIPE_SECRET as SECRET
from tests.credits.webhooks import checkout_event
from tests.credits.webhooks import deliver_to_stripe as deliver
from tests.factories import MakeUser


@pytest.fixture(autouse=True)
def stripe_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_STRIPE_WEBHOOK_SECRET", SECRET)


async def test_unverifiable_deliveries_are_400_and_change_nothing(
    client: httpx.AsyncClient,
    make_user: MakeUser,
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
    assert await balance_of(ada.id) == 0
    assert await count_payments() == 0


async def test_a_fresh_signature_within_five_minutes_is_accepted(
    client: httpx.AsyncClient,
    make_user: MakeUser,
) -> None:
    ada = await make_user("ada")
    response = await deliver(client, checkout_event(ada.id), timestamp=int(time.time()) - 280)
    assert (response.status_code, response.json()["status"]) == (200, "credited")


async def test_the_payer_is_found_by_reference_or_else_by_email(
    client: httpx.AsyncClient,
    make_user: MakeUser,
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
    make_user: MakeUser,
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
    make_user: MakeUser,
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
    make_user: MakeUser,
) -> None:
    ada = await make_user("ada")
    broken: list[dict[str, Any] | bytes] = [
        b"not json",
        b"[1, 2]",
        b'{"type": "checkout.session.completed", "x": NaN}',
        b'{"type": "checkout.session.completed", "data": {"object": {"id": "a\\u0000b"}}}',
        b"\xff\xfe",
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
    # Nesting beyond what any JSON body may have is refused before the webhook reads it.
    deep = await deliver(client, b"[" * 5000 + b"]" * 5000)
    assert (deep.status_code, deep.json()["code"]) == (422, "json_too_deep")
    assert await count_payments() == 0


async def test_an_amount_too_large_to_credit_is_recorded_as_failed(
    client: httpx.AsyncClient,
    make_user: MakeUser,
) -> None:
    ada = await make_user("ada")
    response = await deliver(client, checkout_event(ada.id, amount=10**18))
    assert (response.status_code, response.json()["status"]) == (200, "failed")
    assert await balance_of(ada.id) == 0
