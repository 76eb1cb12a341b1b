"""Signing in to the web app with a provider: the buttons, the round trip, the session cookie."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import User
from praisonai_platform.web.session import SESSION_COOKIE
from tests.accounts.conftest import Providers, providers  # noqa: F401  (the fixture)
from tests.web.conftest import Browser, NewBrowser


async def test_sign_in_with_a_provider_sets_the_session(
    browser: Browser,
    providers: Providers,  # noqa: F811
) -> None:
    page = await browser.get("/sign-in")
    assert 'href="/sign-in/oauth/google"' in page.text and "Corp SSO" in page.text
    started = await browser.http.get("/sign-in/oauth/google")
    assert started.status_code == 302
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=providers.router)) as there:
        approved = await there.get(started.headers["location"])
    assert approved.status_code == 302
    back = approved.headers["location"]
    assert back.startswith("http://testserver/sign-in/oauth/google/callback?")
    signed_in = await browser.http.get(back)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    assert browser.http.cookies.get(SESSION_COOKIE)
    assert (await browser.get("/workspaces/new")).status_code == 200
    async with session_scope(read_only=True) as session:
        user = await session.scalar(select(User).where(User.email == "ada@example.com"))
    assert user is not None
    # The sign-in is spent: replaying the provider's answer is refused.
    replayed = await browser.get(back.removeprefix("http://testserver"))
    assert replayed.status_code == 400


async def test_a_callback_not_started_in_this_browser_is_refused(
    new_browser: NewBrowser,
    providers: Providers,  # noqa: F811
) -> None:
    victim, attacker = await new_browser(), await new_browser()
    started = await attacker.http.get("/sign-in/oauth/google")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=providers.router)) as there:
        approved = await there.get(started.headers["location"])
    # The attacker's finished sign-in, opened in the victim's browser: no session for them.
    forced = await victim.get(approved.headers["location"].removeprefix("http://testserver"))
    assert forced.status_code == 400
    assert SESSION_COOKIE not in victim.http.cookies
    assert (await victim.get("/sign-in/oauth/nope")).status_code == 404
