"""Signing in with OAuth / OpenID Connect against local providers: who gets created or linked,
and what is refused (tampered state, replayed codes, bad ID tokens)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from joserfc.jwk import RSAKey
from sqlalchemy import func, select, update

from praisonai_platform.accounts.mail import MemoryMailer
from praisonai_platform.accounts.oauth.settings import load_oauth_config
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Nonce, User, UserProvider
from tests.accounts.conftest import Providers, link_walk, provider_environment, register_verified
from tests.registration import registrations_sign_in, sign_up

CALLBACK = "http://testserver/api/v1/auth/oauth/{}/callback"


@pytest.fixture(autouse=True)
def _registrations_sign_in(app: FastAPI) -> None:
    """These tests need password accounts signed in, not registration's own answers (those are
    tested in tests/api/test_auth.py and tests/security): no second argon2 run per sign-up."""
    registrations_sign_in(app)


async def counts() -> tuple[int, int]:
    async with session_scope(read_only=True) as session:
        people = await session.scalar(select(func.count()).select_from(User))
        identities = await session.scalar(select(func.count()).select_from(UserProvider))
    return people or 0, identities or 0


async def identities_of(user_id: str) -> list[UserProvider]:
    async with session_scope(read_only=True) as session:
        found = await session.scalars(
            select(UserProvider)
            .where(UserProvider.user_id == user_id)
            .order_by(UserProvider.provider)
        )
        return list(found)


def cookie_name(state: str) -> str:
    return "platform_oauth_" + hashlib.sha256(state.encode()).hexdigest()[:16]


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def test_the_providers_are_listed(client: httpx.AsyncClient, providers: Providers) -> None:
    response = await client.get("/api/v1/auth/oauth/providers")
    assert response.status_code == 200
    listed = {item["name"]: item for item in response.json()}
    assert set(listed) == {"corp", "github", "google"}
    assert listed["corp"]["display_name"] == "Corp SSO"
    assert listed["github"]["kind"] == "github"
    assert listed["google"]["authorize_url"] == "/api/v1/auth/oauth/google/authorize"


async def test_authorize_redirects_with_state_pkce_and_nonce(
    client: httpx.AsyncClient, providers: Providers
) -> None:
    response = await client.get("/api/v1/auth/oauth/google/authorize")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("http://google.test/authorize?")
    query = query_of(location)
    assert query["client_id"] == "platform-test-client"
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == CALLBACK.format("google")
    assert query["scope"] == "openid email profile"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 16
    cookie = response.headers["set-cookie"]
    assert f"{cookie_name(query['state'])}={query['state']}" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/api/v1/auth/oauth/google/callback" in cookie
    async with session_scope(read_only=True) as session:
        pending = (await session.scalars(select(Nonce))).all()
    assert [row.scope for row in pending] == ["oauth:google"]
    assert pending[0].key == hashlib.sha256(query["state"].encode()).hexdigest()
    assert query["state"] not in str(pending[0].response)


async def test_first_sign_in_creates_the_user_and_identity(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any
) -> None:
    response = await sign_in("google")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["new_user"] is True and body["provider"] == "google"
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["display_name"] == "Ada Lovelace"
    assert body["token"] == body["access_token"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["id"] == body["user"]["id"]
    assert await counts() == (1, 1)
    [identity] = await identities_of(body["user"]["id"])
    assert identity.id == body["identity_id"]
    assert (identity.provider, identity.provider_user_id) == ("google", "ada-123")
    assert identity.email == "ada@example.com" and identity.email_verified is True
    assert identity.raw_profile["id_token"]["sub"] == "ada-123"
    assert identity.raw_profile["userinfo"]["picture"] == "https://avatars.example.com/ada.png"
    assert identity.last_login_at is not None
    async with session_scope(read_only=True) as session:
        user = await session.get(User, body["user"]["id"])
        pending = await session.scalar(select(func.count()).select_from(Nonce))
    assert user is not None and user.password_hash is None and user.last_login_at is not None
    assert user.avatar_url == "https://avatars.example.com/ada.png"
    assert pending == 0  # the sign-in's state is spent
    assert "platform_oauth_" in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]  # the browser forgets it


async def test_a_second_sign_in_reuses_the_user_and_identity(
    providers: Providers, sign_in: Any
) -> None:
    first = (await sign_in("google")).json()
    [before] = await identities_of(first["user"]["id"])
    second = await sign_in("google")
    assert second.status_code == 200, second.text
    assert second.json()["user"]["id"] == first["user"]["id"]
    assert second.json()["identity_id"] == first["identity_id"]
    assert second.json()["new_user"] is False
    assert await counts() == (1, 1)
    [after] = await identities_of(first["user"]["id"])
    assert after.last_login_at is not None and before.last_login_at is not None
    assert after.last_login_at >= before.last_login_at


@pytest.mark.parametrize("second", ["corp", "github"])
async def test_a_second_provider_with_a_verified_email_links_to_the_same_user(
    providers: Providers, sign_in: Any, second: str
) -> None:
    first = (await sign_in("google")).json()
    response = await sign_in(second)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == first["user"]["id"]
    assert response.json()["new_user"] is False
    assert await counts() == (1, 2)
    linked = {i.provider: i for i in await identities_of(first["user"]["id"])}
    assert set(linked) == {"google", second}
    if second == "github":
        assert linked["github"].provider_user_id == "4242"
        assert linked["github"].raw_profile["user"]["login"] == "ada"
        assert linked["github"].email == "ada@example.com"  # the verified primary address


async def test_a_verified_email_joins_an_account_whose_address_we_verified(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any, outbox: MemoryMailer
) -> None:
    registered = await register_verified(client, outbox, "Ada@Example.com")
    response = await sign_in("github")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == registered["user"]["id"]
    assert response.json()["new_user"] is False


async def test_an_account_whose_address_nobody_verified_is_not_joined(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any
) -> None:
    await sign_up(client, "ada@example.com", "a long password")
    response = await sign_in("google")
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "account_exists_sign_in_to_link"
    assert await counts() == (1, 0)


async def test_the_signed_in_owner_links_explicitly(
    client: httpx.AsyncClient, providers: Providers, browser_at_providers: httpx.AsyncClient
) -> None:
    registered = await sign_up(client, "ada@example.com", "a long password")
    token = registered["token"]
    # Even an address the provider has not verified: the owner is signed in and asked.
    providers.corp.account.email_verified = False
    linked = await link_walk(client, browser_at_providers)("corp", token)
    assert linked.status_code == 200, linked.text
    assert linked.json()["user"]["id"] == registered["user"]["id"]
    assert [i.provider for i in await identities_of(registered["user"]["id"])] == ["corp"]
    # From now on the identity signs in to that account.
    again = await sign_in_walk(client, browser_at_providers, "corp")
    assert again.json()["user"]["id"] == registered["user"]["id"]


async def test_a_link_started_before_signing_out_is_refused(
    client: httpx.AsyncClient, providers: Providers, browser_at_providers: httpx.AsyncClient
) -> None:
    registered = await sign_up(client, "ada@example.com", "a long password")
    headers = {"Authorization": f"Bearer {registered['token']}"}
    started = await client.post("/api/v1/auth/oauth/google/link", headers=headers)
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    approved = await browser_at_providers.get(started.json()["authorize_url"])
    response = await client.get(approved.headers["location"])
    assert (response.status_code, response.json()["code"]) == (400, "invalid_oauth_state")
    assert await counts() == (1, 0)


async def test_an_unverified_email_never_joins_an_existing_account(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any, outbox: MemoryMailer
) -> None:
    await register_verified(client, outbox)
    providers.corp.account.email_verified = False
    response = await sign_in("corp")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "oauth_email_not_verified"
    assert await counts() == (1, 0)


async def test_an_unverified_email_of_nobody_makes_no_user(
    providers: Providers, sign_in: Any
) -> None:
    providers.corp.account.email_verified = False
    response = await sign_in("corp")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "oauth_email_not_verified"
    assert await counts() == (0, 0)


async def test_a_new_user_from_a_provider_has_a_verified_address(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any
) -> None:
    response = await sign_in("google")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email_verified"] is True
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {response.json()['token']}"}
    )
    assert me.status_code == 200 and me.json()["email_verified"] is True


async def test_new_users_get_unique_derived_names(
    client: httpx.AsyncClient, providers: Providers, sign_in: Any
) -> None:
    taken = await sign_up(client, "ada@elsewhere.org", "a long password")
    assert taken["user"]["name"] == "ada"
    response = await sign_in("google")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["name"] not in ("", "ada")
    assert response.json()["user"]["name"].startswith("ada")


async def test_a_tampered_state_is_refused(
    client: httpx.AsyncClient, providers: Providers, browser_at_providers: httpx.AsyncClient
) -> None:
    started = await client.get("/api/v1/auth/oauth/google/authorize")
    approved = await browser_at_providers.get(started.headers["location"])
    back = query_of(approved.headers["location"])
    tampered = back["state"][:-2] + ("AA" if not back["state"].endswith("AA") else "BB")
    response = await client.get(
        "/api/v1/auth/oauth/google/callback", params={"code": back["code"], "state": tampered}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_oauth_state"
    # A forged cookie to match does not help either: the state was never issued.
    client.cookies.clear()
    client.cookies.set(cookie_name(tampered), tampered)
    forged = await client.get(
        "/api/v1/auth/oauth/google/callback", params={"code": back["code"], "state": tampered}
    )
    assert (forged.status_code, forged.json()["code"]) == (400, "invalid_oauth_state")
    assert providers.google.token_requests == 0  # the code never reached the provider
    assert await counts() == (0, 0)


async def test_a_callback_in_another_browser_is_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    providers: Providers,
    browser_at_providers: httpx.AsyncClient,
) -> None:
    started = await client.get("/api/v1/auth/oauth/google/authorize")
    approved = await browser_at_providers.get(started.headers["location"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        response = await other.get(approved.headers["location"])  # no state cookie there
    assert (response.status_code, response.json()["code"]) == (400, "invalid_oauth_state")
    assert await counts() == (0, 0)


async def test_a_replayed_callback_is_refused(
    client: httpx.AsyncClient, providers: Providers, browser_at_providers: httpx.AsyncClient
) -> None:
    started = await client.get("/api/v1/auth/oauth/google/authorize")
    approved = await browser_at_providers.get(started.headers["location"])
    callback = approved.headers["location"]
    state = query_of(callback)["state"]
    assert (await client.get(callback)).status_code == 200
    client.cookies.set(cookie_name(state), state)  # even with the cookie put back
    replayed = await client.get(callback)
    assert (replayed.status_code, replayed.json()["code"]) == (400, "invalid_oauth_state")
    assert providers.google.token_requests == 1


async def test_a_replayed_code_with_a_fresh_state_is_refused(
    client: httpx.AsyncClient, providers: Providers, browser_at_providers: httpx.AsyncClient
) -> None:
    started = await client.get("/api/v1/auth/oauth/github/authorize")
    approved = await browser_at_providers.get(started.headers["location"])
    used_code = query_of(approved.headers["location"])["code"]
    assert (await client.get(approved.headers["location"])).status_code == 200
    again = await client.get("/api/v1/auth/oauth/github/authorize")
    fresh_state = query_of(again.headers["location"])["state"]
    replayed = await client.get(
        "/api/v1/auth/oauth/github/callback", params={"code": used_code, "state": fresh_state}
    )
    assert (replayed.status_code, replayed.json()["code"]) == (400, "oauth_code_rejected")
    assert providers.github.token_requests == 2
    assert await counts() == (1, 1)


async def test_a_code_meant_for_another_sign_in_fails_pkce(
    client: httpx.AsyncClient, providers: Providers, browser_at_providers: httpx.AsyncClient
) -> None:
    victim = await client.get("/api/v1/auth/oauth/corp/authorize")
    stolen = query_of(
        (await browser_at_providers.get(victim.headers["location"])).headers["location"]
    )["code"]
    attacker = await client.get("/api/v1/auth/oauth/corp/authorize")
    state = query_of(attacker.headers["location"])["state"]
    response = await client.get(
        "/api/v1/auth/oauth/corp/callback", params={"code": stolen, "state": state}
    )
    assert (response.status_code, response.json()["code"]) == (400, "oauth_code_rejected")


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"iss": "http://evil.test"},
        {"exp": 1_000_000_000},
        {"nonce": "not-the-nonce"},
        {"sub": None},
    ],
    ids=["audience", "issuer", "expired", "nonce", "no-subject"],
)
async def test_id_tokens_that_do_not_check_out_are_refused(
    providers: Providers, sign_in: Any, changes: dict[str, Any]
) -> None:
    providers.google.id_token_changes = changes
    response = await sign_in("google")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_id_token")
    assert await counts() == (0, 0)


async def test_an_id_token_signed_with_another_key_is_refused(
    providers: Providers, sign_in: Any
) -> None:
    providers.google.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    response = await sign_in("google")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_id_token")
    assert await counts() == (0, 0)


async def test_a_refusal_at_the_provider_is_reported(
    client: httpx.AsyncClient, providers: Providers
) -> None:
    started = await client.get("/api/v1/auth/oauth/google/authorize")
    state = query_of(started.headers["location"])["state"]
    response = await client.get(
        "/api/v1/auth/oauth/google/callback", params={"error": "access_denied", "state": state}
    )
    assert (response.status_code, response.json()["code"]) == (400, "oauth_denied")
    assert await counts() == (0, 0)


async def test_an_unreachable_provider_is_a_502(
    app: FastAPI, client: httpx.AsyncClient, providers: Providers
) -> None:
    providers.router.providers.clear()
    response = await client.get("/api/v1/auth/oauth/google/authorize")
    assert (response.status_code, response.json()["code"]) == (502, "oauth_provider_unavailable")


async def test_unknown_providers_are_404(client: httpx.AsyncClient, providers: Providers) -> None:
    for path in ("authorize", "callback"):
        response = await client.get(f"/api/v1/auth/oauth/gitlab/{path}")
        assert (response.status_code, response.json()["code"]) == (404, "unknown_provider")
    assert (await client.get("/api/v1/auth/oauth/Not%20a%20name/authorize")).status_code == 422


async def test_a_disabled_account_cannot_sign_in(providers: Providers, sign_in: Any) -> None:
    user_id = (await sign_in("google")).json()["user"]["id"]
    async with session_scope() as session:
        await session.execute(update(User).where(User.id == user_id).values(is_active=False))
    response = await sign_in("google")
    assert (response.status_code, response.json()["code"]) == (401, "account_disabled")


async def test_success_can_redirect_with_the_token_in_the_fragment(
    app: FastAPI, client: httpx.AsyncClient, providers: Providers, sign_in: Any
) -> None:
    app.state.oauth_config = load_oauth_config(
        {
            **provider_environment(),
            "PLATFORM_OAUTH_SUCCESS_REDIRECT_URL": "https://tracker.example.com/signed-in",
            "PLATFORM_OAUTH_PUBLIC_URL": "https://tracker.example.com/",
        }
    )
    started = await client.get("/api/v1/auth/oauth/google/authorize")
    redirect_uri = query_of(started.headers["location"])["redirect_uri"]
    assert redirect_uri == "https://tracker.example.com/api/v1/auth/oauth/google/callback"
    assert "Secure" in started.headers["set-cookie"]
    # The test client speaks plain http, so it hands the secure cookie over itself.
    state = query_of(started.headers["location"])["state"]
    client.cookies.set(cookie_name(state), state)
    approved = await providers_approve(providers, started.headers["location"])
    response = await client.get("/api/v1/auth/oauth/google/callback", params=query_of(approved))
    assert response.status_code == 302, response.text
    target, _, fragment = response.headers["location"].partition("#")
    assert target == "https://tracker.example.com/signed-in"
    values = parse_qs(fragment)
    assert values["token_type"] == ["bearer"] and values["new_user"] == ["true"]
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {values['access_token'][0]}"}
    )
    assert me.status_code == 200 and me.json()["email"] == "ada@example.com"


async def providers_approve(providers: Providers, location: str) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=providers.router)) as browser:
        return (await browser.get(location)).headers["location"]


async def test_concurrent_first_sign_ins_make_one_user(providers: Providers, sign_in: Any) -> None:
    responses = await asyncio.gather(*(sign_in("google") for _ in range(4)))
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    assert len({r.json()["user"]["id"] for r in responses}) == 1
    assert await counts() == (1, 1)


async def test_expired_pending_sign_ins_are_refused_and_purged(
    client: httpx.AsyncClient, providers: Providers, browser_at_providers: httpx.AsyncClient
) -> None:
    started = await client.get("/api/v1/auth/oauth/google/authorize")
    approved = await browser_at_providers.get(started.headers["location"])
    async with session_scope() as session:
        await session.execute(update(Nonce).values(expires_at=datetime(2000, 1, 1, tzinfo=UTC)))
    response = await client.get(approved.headers["location"])
    assert (response.status_code, response.json()["code"]) == (400, "invalid_oauth_state")
    async with session_scope() as session:
        await session.execute(update(Nonce).values(expires_at=datetime(2000, 1, 1, tzinfo=UTC)))
    started = await client.get("/api/v1/auth/oauth/corp/authorize")  # purges the stale ones
    async with session_scope(read_only=True) as session:
        scopes = (await session.scalars(select(Nonce.scope))).all()
    assert scopes == ["oauth:corp"]


async def sign_in_walk(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, provider: str
) -> httpx.Response:
    started = await client.get(f"/api/v1/auth/oauth/{provider}/authorize")
    approved = await browser.get(started.headers["location"])
    response = await client.get(approved.headers["location"])
    assert response.status_code == 200, response.text
    return response
