"""The credits API: your balance and ledger; administrators grant, debit and adjust."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.credits.conftest import CREDIT, assert_balanced, balance_of, fund, ledger_of
from tests.factories import create_api_key, key_headers

ADMIN = "/api/v1/admin/credits"


async def test_a_user_sees_their_balance(
    client: httpx.AsyncClient,
    make_user,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    reload_billing: Callable[[], None],
) -> None:
    ada = await make_user("ada")
    await fund(ada.id, 1_500_001)
    response = await client.get("/api/v1/credits", headers=ada.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user_id": ada.id,
        "balance": 1_500_001,
        "credits": "1.500001",
        "billing_enabled": False,
        "min_balance_to_start_runs": CREDIT,
    }
    monkeypatch.setenv("PLATFORM_BILLING_ENABLED", "true")
    monkeypatch.setenv("PLATFORM_BILLING_MIN_BALANCE", "250")
    reload_billing()
    slash = await client.get("/api/v1/credits/", headers=ada.headers)
    assert (slash.json()["billing_enabled"], slash.json()["min_balance_to_start_runs"]) == (
        True,
        250,
    )
    anonymous = await client.get("/api/v1/credits")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")


async def test_the_ledger_is_paged_newest_first_and_private(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    ada, bob = await make_user("ada"), await make_user("bob")
    for amount in range(1, 6):
        await fund(ada.id, amount)
    await fund(bob.id, 100)
    first = await client.get(
        "/api/v1/credits/ledger?limit=2", headers={**ada.headers, "Prefer": "count=exact"}
    )
    assert first.status_code == 200, first.text
    assert first.headers["X-Total-Count"] == "5"
    assert 'rel="next"' in first.headers["Link"]
    seen = [entry["delta"] for entry in first.json()]
    next_url = first.headers["Link"].split(">")[0].lstrip("<")
    while next_url:
        page = await client.get(next_url, headers=ada.headers)
        seen += [entry["delta"] for entry in page.json()]
        link = page.headers.get("Link")
        next_url = link.split(">")[0].lstrip("<") if link else ""
    assert sorted(seen) == [1, 2, 3, 4, 5]  # each once, none of Bob's
    entry = first.json()[0]
    assert entry["user_id"] == ada.id and entry["source"] == "test"
    assert {"balance_after", "reason", "external_id", "run_id", "api_key_id"} <= set(entry)
    slash = await client.get("/api/v1/credits/ledger/", headers=bob.headers)
    assert [e["delta"] for e in slash.json()] == [100]
    assert (await client.get("/api/v1/credits/ledger")).status_code == 401


async def test_an_admin_grants_debits_and_adjusts_with_a_reason(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    admin, ada = await make_user("admin", is_admin=True), await make_user("ada")
    granted = await client.post(
        f"{ADMIN}/grant",
        json={"user_id": ada.id, "amount": 10 * CREDIT, "reason": "welcome"},
        headers=admin.headers,
    )
    assert granted.status_code == 201, granted.text
    body = granted.json()
    assert (body["delta"], body["balance_after"], body["reason"]) == (
        10 * CREDIT,
        10 * CREDIT,
        "welcome",
    )
    assert (body["source"], body["actor_type"], body["actor_id"]) == ("admin", "user", admin.id)
    assert body["details"] == {"operation": "grant"}

    debited = await client.post(
        f"{ADMIN}/debit",
        json={"user_id": ada.id, "amount": 4 * CREDIT, "reason": "usage"},
        headers=admin.headers,
    )
    assert (debited.status_code, debited.json()["delta"]) == (201, -4 * CREDIT)
    overdrawn = await client.post(
        f"{ADMIN}/debit",
        json={"user_id": ada.id, "amount": 7 * CREDIT, "reason": "usage"},
        headers=admin.headers,
    )
    assert (overdrawn.status_code, overdrawn.json()["code"]) == (402, "insufficient_credits")

    adjusted = await client.post(
        f"{ADMIN}/adjust",
        json={"user_id": ada.id, "amount": -7 * CREDIT, "reason": "refund"},
        headers=admin.headers,
    )
    assert adjusted.status_code == 201, adjusted.text
    assert adjusted.json()["balance_after"] == -1 * CREDIT
    assert await balance_of(ada.id) == -1 * CREDIT
    assert len(await ledger_of(ada.id)) == 3
    await assert_balanced()


async def test_only_administrators_change_balances(
    client: httpx.AsyncClient,
    make_user,
    make_workspace,  # type: ignore[no-untyped-def]
) -> None:
    owner, ada = await make_user("owner"), await make_user("ada")
    await make_workspace(owner)  # owning a workspace does not make anyone a site administrator
    admin = await make_user("admin", is_admin=True)
    body = {"user_id": ada.id, "amount": CREDIT, "reason": "gift"}
    for path in ("grant", "debit", "adjust"):
        anonymous = await client.post(f"{ADMIN}/{path}", json=body)
        assert anonymous.status_code == 401
        for person in (owner, ada):
            refused = await client.post(f"{ADMIN}/{path}", json=body, headers=person.headers)
            assert (refused.status_code, refused.json()["code"]) == (403, "admin_only")
    read_only = key_headers((await create_api_key(client, admin, scopes=["read"]))["key"])
    refused = await client.post(f"{ADMIN}/grant", json=body, headers=read_only)
    assert (refused.status_code, refused.json()["code"]) == (403, "admin_only")
    assert await ledger_of(ada.id) == []

    full_key = key_headers((await create_api_key(client, admin))["key"])
    granted = await client.post(f"{ADMIN}/grant", json=body, headers=full_key)
    assert granted.status_code == 201, granted.text
    assert granted.json()["api_key_id"] is not None
    assert await balance_of(ada.id) == CREDIT


async def test_an_agent_key_of_an_administrator_cannot_change_balances(
    client: httpx.AsyncClient,
    make_user,
    make_workspace,  # type: ignore[no-untyped-def]
) -> None:
    admin = await make_user("admin", is_admin=True)
    workspace = await make_workspace(admin)
    agent = await client.post(
        f"/api/v1/workspaces/{workspace['id']}/agents/", json={"name": "Bot"}, headers=admin.headers
    )
    key = key_headers((await create_api_key(client, admin, agent_id=agent.json()["id"]))["key"])
    body = {"user_id": admin.id, "amount": CREDIT, "reason": "self-service"}
    refused = await client.post(f"{ADMIN}/grant", json=body, headers=key)
    assert (refused.status_code, refused.json()["code"]) == (403, "admin_only")
    # An agent key still reads its owner's balance (usage is charged to the owner).
    assert (await client.get("/api/v1/credits", headers=key)).json()["user_id"] == admin.id


async def test_an_external_id_makes_admin_changes_idempotent(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    admin, ada = await make_user("admin", is_admin=True), await make_user("ada")
    body = {"user_id": ada.id, "amount": CREDIT, "reason": "promo", "external_id": "promo-42"}
    first = await client.post(f"{ADMIN}/grant", json=body, headers=admin.headers)
    again = await client.post(f"{ADMIN}/grant", json=body, headers=admin.headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    reused = await client.post(
        f"{ADMIN}/grant", json={**body, "amount": 2 * CREDIT}, headers=admin.headers
    )
    assert (reused.status_code, reused.json()["code"]) == (409, "external_id_reused")
    assert await balance_of(ada.id) == CREDIT


MALFORMED: list[tuple[str, dict[str, Any]]] = [
    ("grant", {"amount": 0}),
    ("grant", {"amount": -5}),
    ("debit", {"amount": 0}),
    ("adjust", {"amount": 0}),
    ("grant", {"amount": "5"}),
    ("grant", {"amount": 1.5}),
    ("grant", {"amount": True}),
    ("grant", {"amount": 10**15 + 1}),
    ("adjust", {"amount": -(10**15) - 1}),
    ("grant", {"amount": 2**70}),
    ("grant", {"reason": ""}),
    ("grant", {"reason": "   "}),
    ("grant", {"reason": "r" * 201}),
    ("grant", {"reason": "nul\x00"}),
    ("grant", {"reason": None}),
    ("grant", {"user_id": ""}),
    ("grant", {"user_id": "u" * 65}),
    ("grant", {"external_id": "x" * 256}),
    ("grant", {"external_id": ""}),
]


async def test_malformed_admin_requests_are_422(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    admin, ada = await make_user("admin", is_admin=True), await make_user("ada")
    for path, changes in MALFORMED:
        body = {"user_id": ada.id, "amount": CREDIT, "reason": "gift", **changes}
        response = await client.post(f"{ADMIN}/{path}", json=body, headers=admin.headers)
        assert response.status_code == 422, (path, changes, response.text)
        assert response.json()["code"] == "validation_failed", (path, changes)
    assert await ledger_of(ada.id) == []


async def test_an_unknown_user_in_the_body_is_an_invalid_reference(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    admin = await make_user("admin", is_admin=True)
    for path in ("grant", "debit", "adjust"):
        response = await client.post(
            f"{ADMIN}/{path}",
            json={"user_id": "no-such-user", "amount": 5, "reason": "gift"},
            headers=admin.headers,
        )
        assert (response.status_code, response.json()["code"]) == (422, "invalid_reference")
