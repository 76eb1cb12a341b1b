"""The pages behind the account mails' links: forgot your password, choose a new one, verify
your address; and asking for a new verification link on the account page."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from praisonai_platform.accounts.mail import MemoryMailer
from praisonai_platform.accounts.settings import load_account_settings
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import User
from praisonai_platform.web.session import SESSION_COOKIE
from tests.factories import API, PASSWORD, MakeUser
from tests.web.conftest import Browser, NewBrowser

NEW_PASSWORD = "another horse battery staple"


@pytest.fixture
def outbox(app: FastAPI) -> MemoryMailer:
    mailer = app.state.mailer = MemoryMailer()
    return mailer


async def verified_at(user_id: str) -> object:
    async with session_scope(read_only=True) as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user.email_verified_at


async def signs_in(client: httpx.AsyncClient, email: str, password: str) -> bool:
    response = await client.post(f"{API}/auth/login", json={"email": email, "password": password})
    return response.status_code == 200


async def test_forgot_password_then_the_mailed_link_sets_a_new_one_and_signs_in(
    new_browser: NewBrowser, make_user: MakeUser, client: httpx.AsyncClient, outbox: MemoryMailer
) -> None:
    person = await make_user()
    elsewhere = await new_browser()
    await elsewhere.sign_in(person)
    browser = await new_browser()
    sign_in_page = await browser.get("/sign-in")
    assert 'href="/forgot-password"' in sign_in_page.text
    assert (await browser.get("/forgot-password")).status_code == 200
    asked = await browser.post("/forgot-password", {"email": person.email.upper()})
    assert asked.status_code == 200 and "is on its way" in asked.text
    mail = outbox.last(person.email, "reset_password")
    assert f"/reset-password?token={mail.token}" in mail.text

    form = await browser.get("/reset-password", params={"token": mail.token})
    assert form.status_code == 200 and 'name="token"' in form.text
    weak = await browser.post("/reset-password", {"token": mail.token, "password": "password"})
    assert weak.status_code == 422 and 'role="alert"' in weak.text
    assert await signs_in(client, person.email, PASSWORD)  # nothing changed yet

    done = await browser.post("/reset-password", {"token": mail.token, "password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert SESSION_COOKIE in browser.http.cookies
    assert (await browser.get("/account")).status_code == 200
    assert (await elsewhere.get("/account")).status_code == 303  # every other session ended
    assert not await signs_in(client, person.email, PASSWORD)
    assert await signs_in(client, person.email, NEW_PASSWORD)
    assert await verified_at(person.id) is not None  # the mail reached its owner

    again = await browser.post("/reset-password", {"token": mail.token, "password": PASSWORD})
    assert again.status_code == 422 and 'role="alert"' in again.text
    assert await signs_in(client, person.email, NEW_PASSWORD)


async def test_forgot_password_answers_the_same_whatever_the_address(
    browser: Browser, make_user: MakeUser, outbox: MemoryMailer
) -> None:
    person = await make_user()
    await browser.get("/forgot-password")
    answers = []
    for email in (person.email, "nobody@example.com", "not an address"):
        response = await browser.post("/forgot-password", {"email": email})
        answers.append((response.status_code, "is on its way" in response.text))
    assert answers == [(200, True)] * 3
    assert [mail.to for mail in outbox.outbox] == [person.email]
    too_long = await browser.post("/forgot-password", {"email": "a" * 400 + "@example.com"})
    assert too_long.status_code == 422
    control = await browser.post("/forgot-password", {"email": "x\x00@example.com"})
    assert control.status_code in (200, 422) and "Traceback" not in control.text


async def test_reset_links_that_are_not_ours_are_refused_with_the_reason(
    browser: Browser, make_user: MakeUser, client: httpx.AsyncClient
) -> None:
    person = await make_user()
    incomplete = await browser.get("/reset-password")
    assert incomplete.status_code == 400 and "incomplete" in incomplete.text
    assert (await browser.get("/reset-password", params={"token": "x" * 201})).status_code == 422
    for token in ("forged", "a.b.c", "<script>alert(1)</script>"):
        refused = await browser.post("/reset-password", {"token": token, "password": NEW_PASSWORD})
        assert refused.status_code == 422 and 'role="alert"' in refused.text
        assert "<script>alert(1)" not in refused.text
    assert await signs_in(client, person.email, PASSWORD)
    no_csrf = await browser.post(
        "/reset-password", {"token": "forged", "password": NEW_PASSWORD}, csrf=False
    )
    assert no_csrf.status_code == 403


async def test_the_verification_link_asks_before_it_verifies(
    new_browser: NewBrowser, make_user: MakeUser, outbox: MemoryMailer
) -> None:
    person = await make_user()
    assert await verified_at(person.id) is None
    browser = await new_browser()
    await browser.sign_in(person)
    account = await browser.get("/account")
    assert 'action="/account/verification"' in account.text
    sent = await browser.post("/account/verification")
    assert sent.status_code == 303
    assert "new link is on its way" in (await browser.get(sent.headers["location"])).text
    mail = outbox.last(person.email, "verify_email")
    assert f"/verify-email?token={mail.token}" in mail.text

    # Opening the link (as a mail scanner would) verifies nothing; the button does.
    stranger = await new_browser()
    page = await stranger.get("/verify-email", params={"token": mail.token})
    assert page.status_code == 200 and 'action="/verify-email"' in page.text
    assert await verified_at(person.id) is None
    verified = await stranger.post("/verify-email", {"token": mail.token})
    assert verified.status_code == 200 and f"{person.email} is verified" in verified.text
    assert 'href="/sign-in"' in verified.text  # this browser is not signed in
    assert await verified_at(person.id) is not None

    used = await stranger.post("/verify-email", {"token": mail.token})
    assert used.status_code == 422 and 'role="alert"' in used.text
    account = await browser.get("/account")
    assert 'action="/account/verification"' not in account.text
    already = await browser.post("/account/verification")
    assert already.status_code == 409 and "already verified" in already.text


async def test_verification_pages_refuse_what_is_not_a_link_of_ours(browser: Browser) -> None:
    incomplete = await browser.get("/verify-email")
    assert incomplete.status_code == 400 and "incomplete" in incomplete.text
    assert (await browser.get("/verify-email", params={"token": "x" * 201})).status_code == 422
    forged = await browser.post("/verify-email", {"token": "forged"})
    assert forged.status_code == 422 and 'role="alert"' in forged.text
    assert (await browser.post("/verify-email", {"token": "forged"}, csrf=False)).status_code == 403
    assert (await browser.post("/account/verification")).status_code in (303, 401)


async def test_flooding_forgot_password_with_someones_address_sends_them_few_mails(
    new_browser: NewBrowser, make_user: MakeUser, outbox: MemoryMailer
) -> None:
    """The page is a sign-in path of the rate limits: per account (the address asked for),
    whichever browser asks, at most 10 a minute by default; then 429 and no mail."""
    victim = await make_user()
    statuses = []
    for n in range(14):
        browser = await new_browser()  # a fresh browser (and CSRF token) each time
        await browser.get("/forgot-password")
        response = await browser.post("/forgot-password", {"email": victim.email.upper()})
        statuses.append(response.status_code)
        assert response.status_code in (200, 429), (n, response.text)
    assert statuses == [200] * 10 + [429] * 4
    assert len([mail for mail in outbox.outbox if mail.to == victim.email]) == 10


async def test_unverified_accounts_manage_their_own_sign_in_where_the_server_restricts_them(
    new_browser: NewBrowser,
    app: FastAPI,
    make_user: MakeUser,
    outbox: MemoryMailer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = await make_user()
    monkeypatch.setenv("PLATFORM_UNVERIFIED_ACCOUNTS", "restrict")
    app.state.account_settings = load_account_settings()
    browser = await new_browser()
    await browser.sign_in(person)
    await browser.get("/account")
    sent = await browser.post("/account/verification")
    assert sent.status_code == 303, sent.text
    assert outbox.last(person.email, "verify_email")
    changed = await browser.post(
        "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 303, changed.text
    # Every other change stays refused until the address is verified.
    refused = await browser.post("/workspaces", {"name": "More"})
    assert refused.status_code == 403 and "verify your email" in refused.text
    signed_out = await browser.post("/sign-out")
    assert signed_out.status_code == 303 and SESSION_COOKIE not in browser.http.cookies
