"""Users list their provider identities and unlink them, but never their last way to sign in."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from praisonai_platform.accounts.mail import MemoryMailer
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import UserProvider
from tests.accounts.conftest import Providers, register_verified


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def linked_twice(sign_in: Any) -> dict[str, Any]:
    """An account made by signing in with Google, then linked to GitHub: no password."""
    first = (await sign_in("google")).json()
    assert (await sign_in("github")).status_code == 200
    return first


async def test_identities_are_listed_oldest_first(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any
) -> None:
    account = await linked_twice(sign_in)
    response = await client.get(
        "/api/v1/auth/identities", headers={**bearer(account["token"]), "Prefer": "count=exact"}
    )
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "2"
    listed = response.json()
    assert [item["provider"] for item in listed] == ["google", "github"]
    assert listed[0]["id"] == account["identity_id"]
    assert listed[0]["provider_user_id"] == "ada-123"
    assert listed[0]["email"] == "ada@example.com" and listed[0]["email_verified"] is True
    assert listed[0]["last_login_at"] is not None
    assert "raw_profile" not in listed[0]
    paged = await client.get(
        "/api/v1/auth/identities", params={"limit": 1}, headers=bearer(account["token"])
    )
    assert len(paged.json()) == 1 and 'rel="next"' in paged.headers["Link"]


async def test_identities_need_a_signed_in_caller(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/auth/identities")).status_code == 401
    assert (await client.delete("/api/v1/auth/identities/some-id")).status_code == 401


async def test_others_see_none_of_your_identities(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any, make_user: Any
) -> None:
    account = await linked_twice(sign_in)
    stranger = await make_user("stranger")
    listed = await client.get("/api/v1/auth/identities", headers=stranger.headers)
    assert listed.status_code == 200 and listed.json() == []
    response = await client.delete(
        f"/api/v1/auth/identities/{account['identity_id']}", headers=stranger.headers
    )
    assert response.status_code == 404  # someone else's identity is not revealed
    unknown = await client.delete("/api/v1/auth/identities/no-such-id", headers=stranger.headers)
    assert unknown.status_code == 404


async def test_an_identity_can_be_unlinked_but_not_the_last_way_in(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any
) -> None:
    account = await linked_twice(sign_in)
    headers = bearer(account["token"])
    removed = await client.delete(
        f"/api/v1/auth/identities/{account['identity_id']}", headers=headers
    )
    assert removed.status_code == 204
    [left] = (await client.get("/api/v1/auth/identities", headers=headers)).json()
    assert left["provider"] == "github"
    last = await client.delete(f"/api/v1/auth/identities/{left['id']}", headers=headers)
    assert last.status_code == 409 and last.json()["code"] == "last_sign_in_method"
    async with session_scope(read_only=True) as session:
        remaining = (await session.scalars(select(UserProvider.provider))).all()
    assert remaining == ["github"]
    # Signing in with Google again links it anew (the email is verified).
    again = await sign_in("google")
    assert again.json()["user"]["id"] == account["user"]["id"]


async def test_with_a_password_the_last_identity_can_go(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any, outbox: MemoryMailer
) -> None:
    registered = await register_verified(client, outbox)
    linked = (await sign_in("google")).json()
    assert linked["user"]["id"] == registered["user"]["id"]
    response = await client.delete(
        f"/api/v1/auth/identities/{linked['identity_id']}",
        headers=bearer(registered["token"]),
    )
    assert response.status_code == 204
    async with session_scope(read_only=True) as session:
        assert (await session.scalars(select(UserProvider))).all() == []


async def test_api_keys_may_list_but_not_unlink(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any
) -> None:
    account = await linked_twice(sign_in)
    created = await client.post(
        "/api/v1/api-keys", json={"label": "ci"}, headers=bearer(account["token"])
    )
    assert created.status_code == 201, created.text
    key_headers = {"X-API-Key": created.json()["key"]}
    listed = await client.get("/api/v1/auth/identities", headers=key_headers)
    assert listed.status_code == 200 and len(listed.json()) == 2
    response = await client.delete(
        f"/api/v1/auth/identities/{account['identity_id']}", headers=key_headers
    )
    assert response.status_code == 403 and response.json()["code"] == "api_key_not_allowed"
