"""Attacks on accounts and sessions, replayed against the API: each asserts the safe outcome.

- Takeover before sign-up: an attacker registers the victim's address with a password; the
  victim's later provider sign-in must not join the attacker's account.
- Takeover through a provider that reports the address as unverified.
- Registration that tells which addresses have accounts.
- A token after logout, a token after a password change, an admin cookie after logout.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from praisonai_platform.accounts import passwords
from praisonai_platform.accounts.mail import MemoryMailer
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import User, UserProvider
from tests.accounts.conftest import (  # noqa: F401  (fixtures)
    Providers,
    app,
    browser_at_providers,
    client,
    make_user,
    outbox,
    providers,
    server_settings,
    sign_in,
)
from tests.accounts.test_admin import SAME_SITE, admin_login
from tests.factories import PASSWORD, TEST_SECRET, Person
from tests.registration import registrations_sign_in, sign_up

AUTH = "/api/v1/auth"
VICTIM = "ada@example.com"  # the address the local providers vouch for
ATTACKER_PASSWORD = "attacker's own password"


async def counts() -> tuple[int, int]:
    async with session_scope(read_only=True) as session:
        people = await session.scalar(select(func.count()).select_from(User))
        identities = await session.scalar(select(func.count()).select_from(UserProvider))
    return people or 0, identities or 0


async def test_an_account_registered_in_the_victims_name_does_not_capture_their_sign_in(
    client: httpx.AsyncClient,  # noqa: F811
    providers: Providers,  # noqa: F811
    sign_in: Any,  # noqa: F811
    outbox: MemoryMailer,  # noqa: F811
) -> None:
    squatted = await sign_up(client, VICTIM, ATTACKER_PASSWORD)
    attacker_token = squatted["token"]

    # The victim signs in with a provider that vouches for the address: refused, not joined.
    victim = await sign_in("google")
    assert victim.status_code == 409, victim.text
    assert victim.json()["code"] == "account_exists_sign_in_to_link"
    assert "token" not in victim.json()
    assert await counts() == (1, 0)

    # The victim takes the address back by mail; the attacker's password and session die.
    asked = await client.post(f"{AUTH}/password-reset", json={"email": VICTIM})
    assert asked.status_code == 202
    token = outbox.last(VICTIM, "reset_password").token
    reset = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": token, "password": "the victim's own"}
    )
    assert reset.status_code == 200, reset.text
    stale = await client.get(f"{AUTH}/me", headers={"Authorization": f"Bearer {attacker_token}"})
    assert stale.status_code == 401
    old = await client.post(f"{AUTH}/login", json={"email": VICTIM, "password": ATTACKER_PASSWORD})
    assert old.status_code == 401
    # Now the address is ours to vouch for, and the provider's sign-in joins the victim.
    joined = await sign_in("google")
    assert joined.status_code == 200, joined.text
    assert joined.json()["user"]["id"] == reset.json()["user"]["id"]


async def test_an_identity_the_squatter_linked_is_dropped_when_the_owner_resets(
    client: httpx.AsyncClient,  # noqa: F811
    providers: Providers,  # noqa: F811
    browser_at_providers: httpx.AsyncClient,  # noqa: F811
    sign_in: Any,  # noqa: F811
    outbox: MemoryMailer,  # noqa: F811
) -> None:
    squatted = await sign_up(client, VICTIM, ATTACKER_PASSWORD)
    # The attacker links their own provider account while signed in to the squatted one.
    providers.corp.account.email = "attacker@evil.example"
    started = await client.post(
        f"{AUTH}/oauth/corp/link",
        headers={"Authorization": f"Bearer {squatted['token']}"},
    )
    approved = await browser_at_providers.get(started.json()["authorize_url"])
    linked = await client.get(approved.headers["location"])
    assert linked.status_code == 200, linked.text
    await client.post(f"{AUTH}/password-reset", json={"email": VICTIM})
    token = outbox.last(VICTIM, "reset_password").token
    reset = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": token, "password": "the victim's own"}
    )
    assert reset.status_code == 200
    assert await counts() == (1, 0)  # the attacker's way back in is gone
    again = await sign_in("corp")  # a new account of the attacker's own, not the victim's
    assert again.status_code == 200
    assert again.json()["user"]["id"] != reset.json()["user"]["id"]


async def test_a_provider_that_does_not_vouch_for_the_address_creates_and_joins_nothing(
    client: httpx.AsyncClient,  # noqa: F811
    providers: Providers,  # noqa: F811
    sign_in: Any,  # noqa: F811
    outbox: MemoryMailer,  # noqa: F811
) -> None:
    providers.corp.account.email_verified = False  # the attacker's provider account
    first = await sign_in("corp")
    assert (first.status_code, first.json()["code"]) == (400, "oauth_email_not_verified")
    assert await counts() == (0, 0)
    # The victim registers and verifies; the unverified sign-in still joins nothing.
    registered = await client.post(
        f"{AUTH}/register", json={"email": VICTIM, "password": "the victim's own"}
    )
    token = outbox.last(VICTIM, "verify_email").token
    assert (await client.post(f"{AUTH}/verify-email", json={"token": token})).status_code == 200
    later = await sign_in("corp")
    assert (later.status_code, later.json()["code"]) == (400, "oauth_email_not_verified")
    assert await counts() == (1, 0)
    assert registered.status_code == 202


# Headers that differ between any two requests, whatever they ask.
PER_REQUEST_HEADERS = {"date", "x-request-id"}


def comparable(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    """What a registration's answer shows: status, headers and body. Left out: what differs
    between any two requests (the date; the rate limits' remaining counts and reset times,
    which move with each request and with the clock)."""
    headers = {
        name: value
        for name, value in response.headers.items()
        if name not in PER_REQUEST_HEADERS and not name.endswith(("-remaining", "-reset"))
    }
    return response.status_code, headers, response.content


async def hashes_while(run: Any, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many passwords `run()` hashed: the slow step, which both answers must take once."""
    counted = []
    real = passwords.hash_password

    async def counting(password: str) -> str:
        counted.append(password)
        return await real(password)

    monkeypatch.setattr(passwords, "hash_password", counting)
    await run()
    monkeypatch.setattr(passwords, "hash_password", real)
    return len(counted)


@pytest.mark.parametrize("signs_in", [None, False], ids=["default", "signs-in-false"])
async def test_registration_answers_the_same_whether_or_not_the_address_has_an_account(
    client: httpx.AsyncClient,  # noqa: F811
    app: FastAPI,  # noqa: F811
    make_user: Any,  # noqa: F811
    outbox: MemoryMailer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    signs_in: bool | None,
) -> None:
    registrations_sign_in(app, signs_in)
    existing: Person = await make_user()
    answers: dict[str, httpx.Response] = {}

    async def register(label: str, email: str) -> None:
        json = {"email": email, "password": "a long password"}
        answers[label] = await client.post(f"{AUTH}/register", json=json)

    assert await hashes_while(lambda: register("taken", existing.email.upper()), monkeypatch) == 1
    assert await hashes_while(lambda: register("new", "fresh@example.com"), monkeypatch) == 1
    taken, new = answers["taken"], answers["new"]
    assert taken.status_code == 202, taken.text
    assert comparable(taken) == comparable(new)
    assert existing.name not in taken.text and existing.id not in taken.text
    # Each address's owner learns what happened, by mail only.
    assert outbox.last(existing.email).kind == "reset_password"
    assert outbox.last("fresh@example.com").kind == "verify_email"
    if signs_in is None:
        # The newcomer signs in with their password, as the SDK and the CLI do next.
        signed_in = await client.post(
            f"{AUTH}/login", json={"email": "fresh@example.com", "password": "a long password"}
        )
        assert signed_in.status_code == 200, signed_in.text


async def test_a_refused_name_does_not_tell_whether_the_address_has_an_account(
    client: httpx.AsyncClient,  # noqa: F811
    make_user: Any,  # noqa: F811
) -> None:
    existing: Person = await make_user()
    for name, status in ((existing.name, 409), ("   ", 422)):
        answers = [
            await client.post(
                f"{AUTH}/register",
                json={"email": email, "password": "a long password", "name": name},
            )
            for email in (existing.email, "fresh@example.com")
        ]
        assert [a.status_code for a in answers] == [status, status], answers[0].text
        assert comparable(answers[0]) == comparable(answers[1])
    assert await counts() == (1, 0)


@pytest.mark.parametrize(
    "server_settings",
    [ServerSettings(jwt_secret=TEST_SECRET, env="test", api_compat="0.1.9")],
    ids=["0.1.9"],
)
async def test_the_019_dialect_signs_a_new_address_in_and_so_tells_it_from_a_taken_one(
    client: httpx.AsyncClient,  # noqa: F811
    make_user: Any,  # noqa: F811
) -> None:
    # 0.1.9's clients take the token from the registration: the trade its operators accept.
    existing: Person = await make_user()
    new = await client.post(
        f"{AUTH}/register", json={"email": "fresh@example.com", "password": "a long password"}
    )
    assert new.status_code == 201, new.text
    assert new.json()["user"]["email"] == "fresh@example.com" and new.json()["token"]
    taken = await client.post(
        f"{AUTH}/register", json={"email": existing.email, "password": "a long password"}
    )
    assert taken.status_code == 202 and "token" not in taken.json()


async def test_a_token_is_useless_after_logout(
    client: httpx.AsyncClient,  # noqa: F811
    make_user: Any,  # noqa: F811
) -> None:
    person: Person = await make_user()
    assert (await client.get(f"{AUTH}/me", headers=person.headers)).status_code == 200
    assert (await client.post(f"{AUTH}/logout", headers=person.headers)).status_code == 204
    for path in (f"{AUTH}/me", "/api/v1/workspaces/"):
        replayed = await client.get(path, headers=person.headers)
        assert (replayed.status_code, replayed.json()["code"]) == (401, "token_revoked")
    again = await client.post(f"{AUTH}/logout", headers=person.headers)
    assert again.status_code == 401


async def test_an_old_token_is_useless_after_a_password_change(
    client: httpx.AsyncClient,  # noqa: F811
    make_user: Any,  # noqa: F811
) -> None:
    person: Person = await make_user()
    stolen = person.headers
    changed = await client.post(
        f"{AUTH}/password",
        json={"current_password": PASSWORD, "new_password": "a fresh long password"},
        headers=person.headers,
    )
    assert changed.status_code == 200
    replayed = await client.post("/api/v1/workspaces/", json={"name": "Loot"}, headers=stolen)
    assert (replayed.status_code, replayed.json()["code"]) == (401, "token_revoked")


async def test_an_admin_cookie_is_useless_after_logout(
    client: httpx.AsyncClient,  # noqa: F811
    make_user: Any,  # noqa: F811
) -> None:
    admin: Person = await make_user("root", is_admin=True)
    assert (await admin_login(client, admin)).status_code == 302
    stolen = client.cookies.get("platform_admin")
    assert stolen and (await client.get("/admin/")).status_code == 200
    out = await client.get("/admin/logout", headers=SAME_SITE)
    assert out.status_code == 302
    client.cookies.set("platform_admin", stolen)
    replayed = await client.get("/admin/")
    assert replayed.status_code == 302 and replayed.headers["location"].endswith("/admin/login")


async def test_an_admin_cookie_dies_with_an_api_logout_or_password_change(
    client: httpx.AsyncClient,  # noqa: F811
    make_user: Any,  # noqa: F811
) -> None:
    admin: Person = await make_user("root", is_admin=True)
    assert (await admin_login(client, admin)).status_code == 302
    assert (await client.get("/admin/")).status_code == 200
    changed = await client.post(
        f"{AUTH}/password",
        json={"current_password": PASSWORD, "new_password": "a fresh long password"},
        headers=admin.headers,
    )
    assert changed.status_code == 200
    assert (await client.get("/admin/")).status_code == 302
