"""The web app's account pages: `/`, sign up, sign in, sign out, CSRF, sessions, invitations."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from praisonai_platform.accounts.settings import load_account_settings
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Invitation, Member, User, Workspace
from praisonai_platform.web.session import LAST_WORKSPACE_COOKIE, SESSION_COOKIE
from tests.factories import API, PASSWORD, MakeUser, MakeWorkspace
from tests.web.conftest import Browser, NewBrowser, verify_email

NEW_PASSWORD = "another horse battery staple"


async def count(model: type) -> int:
    async with session_scope(read_only=True) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_start_page_sends_strangers_to_sign_in(browser: Browser) -> None:
    response = await browser.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    page = await browser.get("/w/anything/settings/members")
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=/w/anything/settings/members"


async def test_start_page_opens_the_last_workspace(
    browser: Browser, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    person = await make_user("ada")
    await browser.sign_in(person)
    assert (await browser.get("/")).headers["location"] == "/workspaces/new"
    first = await make_workspace(person, name="Alpha")
    second = await make_workspace(person, name="Beta")
    assert (await browser.get("/")).headers["location"] == f"/w/{first['slug']}"
    # Opening a workspace's page makes it the one `/` opens.
    assert (await browser.get(f"/w/{second['slug']}/settings/members")).status_code == 200
    assert browser.http.cookies.get(LAST_WORKSPACE_COOKIE) == second["slug"]
    assert (await browser.get("/")).headers["location"] == f"/w/{second['slug']}"


async def test_sign_up_then_sign_in(browser: Browser) -> None:
    await browser.get("/sign-up")
    response = await browser.post(
        "/sign-up", {"email": "New.Person@Example.com", "password": PASSWORD, "name": "newbie"}
    )
    # The API's default: the same answer whether or not the email has an account.
    assert response.status_code == 200
    assert "Check your email" in response.text
    assert SESSION_COOKIE not in browser.http.cookies
    async with session_scope(read_only=True) as session:
        user = await session.scalar(select(User).where(User.email == "new.person@example.com"))
    assert user is not None and user.name == "newbie"
    again = await browser.post(
        "/sign-up", {"email": "new.person@example.com", "password": PASSWORD}
    )
    assert again.status_code == 200 and "Check your email" in again.text
    assert await count(User) == 1
    signed_in = await browser.post(
        "/sign-in", {"email": "new.person@example.com", "password": PASSWORD}
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    assert (await browser.get("/workspaces/new")).status_code == 200


async def test_sign_up_refuses_weak_passwords_with_the_reason(browser: Browser) -> None:
    await browser.get("/sign-up")
    response = await browser.post("/sign-up", {"email": "x@example.com", "password": "password"})
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert await count(User) == 0


async def test_sign_up_signs_in_where_the_server_says_so(
    browser: Browser, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_REGISTRATION_SIGNS_IN", "true")
    app.state.account_settings = load_account_settings()
    await browser.get("/sign-up")
    response = await browser.post("/sign-up", {"email": "fast@example.com", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/workspaces/new"
    assert (await browser.get("/workspaces/new")).status_code == 200


async def test_wrong_password_is_401_without_a_session(
    browser: Browser, make_user: MakeUser
) -> None:
    person = await make_user()
    await browser.get("/sign-in")
    response = await browser.post("/sign-in", {"email": person.email, "password": "wrong"})
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert SESSION_COOKIE not in browser.http.cookies
    unknown = await browser.post("/sign-in", {"email": "nobody@example.com", "password": "x"})
    assert unknown.status_code == 401


NEXT_URLS = (
    ("/w/team/issues?status=todo", "/w/team/issues?status=todo"),
    ("//evil.example/path", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
)


async def test_sign_in_goes_on_to_local_pages_only(
    new_browser: NewBrowser, make_user: MakeUser
) -> None:
    person = await make_user()
    for next_url, expected in NEXT_URLS:
        browser = await new_browser()
        await browser.get("/sign-in")
        response = await browser.post(
            "/sign-in", {"email": person.email, "password": PASSWORD, "next": next_url}
        )
        assert response.status_code == 303
        assert response.headers["location"] == expected, next_url


async def test_session_cookie_is_http_only_and_same_site(
    browser: Browser, make_user: MakeUser
) -> None:
    person = await make_user()
    response = await browser.sign_in(person)
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith(SESSION_COOKIE + "=")
    )
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http in this test


async def test_session_cookie_is_secure_over_https(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    person = await make_user()
    async with httpx.AsyncClient(
        transport=client._transport, base_url="https://testserver"
    ) as https:
        page = await https.get("/sign-in", headers={"Accept": "text/html"})
        token = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        response = await https.post(
            "/sign-in", data={"email": person.email, "password": PASSWORD, "csrf_token": token}
        )
    cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert any(c.startswith(SESSION_COOKIE + "=") and "Secure" in c for c in cookies)


async def test_forms_without_the_csrf_token_are_refused(
    browser: Browser, make_user: MakeUser
) -> None:
    person = await make_user()
    await browser.sign_in(person)
    before = await count(Workspace)
    missing = await browser.post("/workspaces", {"name": "Forged"}, csrf=False)
    assert missing.status_code == 403
    assert "expired" in missing.text
    wrong = await browser.post(
        "/workspaces", {"name": "Forged", "csrf_token": "x" * 64}, csrf=False
    )
    assert wrong.status_code == 403
    other_site = await browser.post(
        "/workspaces", {"name": "Forged"}, headers={"Origin": "http://evil.example"}
    )
    assert other_site.status_code == 403
    signed_out = await browser.post("/sign-out", csrf=False)
    assert signed_out.status_code == 403
    assert await count(Workspace) == before
    # The header htmx sends works as well as the form field.
    assert browser.token is not None
    made = await browser.http.post(
        "/workspaces", data={"name": "Real"}, headers={"X-CSRF-Token": browser.token}
    )
    assert made.status_code == 303
    assert await count(Workspace) == before + 1


async def test_sign_in_form_needs_the_token_too(browser: Browser, make_user: MakeUser) -> None:
    """Login CSRF: another site cannot sign a browser in to an account of its choosing."""
    person = await make_user()
    response = await browser.http.post(
        "/sign-in", data={"email": person.email, "password": PASSWORD}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in browser.http.cookies


async def test_another_browsers_token_does_not_fit(
    new_browser: NewBrowser, make_user: MakeUser
) -> None:
    person = await make_user()
    victim, attacker = await new_browser(), await new_browser()
    await victim.sign_in(person)
    await attacker.get("/sign-in")
    assert attacker.token is not None and attacker.token != victim.token
    forged = await victim.post("/workspaces", {"name": "Forged"}, csrf=False)
    assert forged.status_code == 403
    victim.token = attacker.token
    assert (await victim.post("/workspaces", {"name": "Forged"})).status_code == 403


async def test_sign_out_ends_the_session_and_the_api_tokens(
    new_browser: NewBrowser, make_user: MakeUser, client: httpx.AsyncClient
) -> None:
    person = await make_user()
    browser = await new_browser()
    await browser.sign_in(person)
    stolen = browser.http.cookies.get(SESSION_COOKIE)
    assert stolen
    assert (await browser.get("/workspaces/new")).status_code == 200
    out = await browser.post("/sign-out")
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert SESSION_COOKIE not in browser.http.cookies
    # A copy of the cookie no longer works (the account's session version moved on) ...
    copy = await new_browser()
    copy.http.cookies.set(SESSION_COOKIE, stolen)
    assert (await copy.get("/workspaces/new")).status_code == 303
    # ... nor do the account's API tokens, as with POST /api/v1/auth/logout.
    assert (await client.get(f"{API}/auth/me", headers=person.headers)).status_code == 401


async def test_a_password_change_ends_web_sessions(
    browser: Browser, make_user: MakeUser, client: httpx.AsyncClient
) -> None:
    person = await make_user()
    await browser.sign_in(person)
    assert (await browser.get("/workspaces/new")).status_code == 200
    changed = await client.post(
        f"{API}/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=person.headers,
    )
    assert changed.status_code == 200, changed.text
    page = await browser.get("/workspaces/new")
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")


async def test_a_deactivated_account_is_signed_out(browser: Browser, make_user: MakeUser) -> None:
    person = await make_user()
    await browser.sign_in(person)
    async with session_scope() as session:
        user = await session.get(User, person.id)
        assert user is not None
        user.is_active = False
    assert (await browser.get("/workspaces/new")).status_code == 303


async def test_htmx_requests_are_redirected_to_sign_in(browser: Browser) -> None:
    response = await browser.http.get(
        "/w/team/settings/members", headers={"HX-Request": "true", "Accept": "text/html"}
    )
    assert response.status_code == 200
    assert response.headers["hx-redirect"].startswith("/sign-in")


async def test_a_bad_session_cookie_counts_as_signed_out(browser: Browser) -> None:
    browser.http.cookies.set(SESSION_COOKIE, "not-a-token")
    assert (await browser.get("/workspaces/new")).status_code == 303
    page = await browser.get("/sign-in")
    assert page.status_code == 200


async def test_sign_in_is_rate_limited_like_the_api(browser: Browser, make_user: MakeUser) -> None:
    person = await make_user()
    await browser.get("/sign-in")
    statuses = []
    for _ in range(7):
        response = await browser.post("/sign-in", {"email": person.email, "password": "wrong"})
        statuses.append(response.status_code)
    # Five failures per account and minute by default; then the path refuses the account.
    assert statuses[:5] == [401] * 5
    assert 429 in statuses[5:]


# Invitations.


async def invite_by_web(browser: Browser, slug: str, email: str, role: str = "member") -> None:
    await browser.get(f"/w/{slug}/settings/members")
    response = await browser.post(f"/w/{slug}/settings/invitations", {"email": email, "role": role})
    assert response.status_code == 303, response.text


async def test_invitee_accepts_an_invitation(
    new_browser: NewBrowser, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner, invitee = await make_user("owner"), await make_user("invitee")
    await verify_email(invitee)
    workspace = await make_workspace(owner, name="Team")
    admin_browser, invitee_browser = await new_browser(), await new_browser()
    await admin_browser.sign_in(owner)
    await invite_by_web(admin_browser, workspace["slug"], invitee.email)
    members_page = await admin_browser.get(f"/w/{workspace['slug']}/settings/members")
    assert invitee.email in members_page.text
    await invitee_browser.sign_in(invitee)
    listing = await invitee_browser.get("/invitations")
    assert listing.status_code == 200 and "Team" in listing.text
    async with session_scope(read_only=True) as session:
        invitation = await session.scalar(select(Invitation))
    assert invitation is not None
    page = await invitee_browser.get(f"/invitations/{invitation.id}")
    assert page.status_code == 200 and "Accept and join" in page.text
    accepted = await invitee_browser.post(f"/invitations/{invitation.id}/accept")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/w/{workspace['slug']}"
    async with session_scope(read_only=True) as session:
        member = await session.scalar(
            select(Member).where(
                Member.workspace_id == workspace["id"], Member.user_id == invitee.id
            )
        )
    assert member is not None and member.role.value == "member"
    again = await invitee_browser.post(f"/invitations/{invitation.id}/accept")
    assert again.status_code == 409


async def test_invitee_declines_and_others_cannot_see_it(
    new_browser: NewBrowser, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner, invitee, stranger = (
        await make_user("owner"),
        await make_user("invitee"),
        await make_user("stranger"),
    )
    await verify_email(invitee)
    await verify_email(stranger)
    workspace = await make_workspace(owner)
    owner_browser = await new_browser()
    await owner_browser.sign_in(owner)
    await invite_by_web(owner_browser, workspace["slug"], invitee.email)
    async with session_scope(read_only=True) as session:
        invitation = await session.scalar(select(Invitation))
    assert invitation is not None
    stranger_browser = await new_browser()
    await stranger_browser.sign_in(stranger)
    assert (await stranger_browser.get(f"/invitations/{invitation.id}")).status_code == 404
    stolen = await stranger_browser.post(f"/invitations/{invitation.id}/accept")
    assert stolen.status_code == 404
    invitee_browser = await new_browser()
    await invitee_browser.sign_in(invitee)
    declined = await invitee_browser.post(f"/invitations/{invitation.id}/decline")
    assert declined.status_code == 303
    async with session_scope(read_only=True) as session:
        answered = await session.get(Invitation, invitation.id)
        members = await session.scalar(
            select(func.count()).select_from(Member).where(Member.workspace_id == workspace["id"])
        )
    assert answered is not None and answered.status.value == "declined"
    assert members == 1


async def test_an_unverified_invitee_cannot_accept(
    new_browser: NewBrowser, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner, invitee = await make_user("owner"), await make_user("invitee")
    workspace = await make_workspace(owner)
    owner_browser = await new_browser()
    await owner_browser.sign_in(owner)
    await invite_by_web(owner_browser, workspace["slug"], invitee.email)
    async with session_scope(read_only=True) as session:
        invitation = await session.scalar(select(Invitation))
    assert invitation is not None
    invitee_browser = await new_browser()
    await invitee_browser.sign_in(invitee)
    page = await invitee_browser.get(f"/invitations/{invitation.id}")
    assert page.status_code == 200 and "Verify your email" in page.text
    refused = await invitee_browser.post(f"/invitations/{invitation.id}/accept")
    assert refused.status_code == 403


async def test_changing_the_password_on_the_account_page(
    new_browser: NewBrowser, make_user: MakeUser, client: httpx.AsyncClient
) -> None:
    person = await make_user()
    here, elsewhere = await new_browser(), await new_browser()
    await here.sign_in(person)
    await elsewhere.sign_in(person)
    page = await here.get("/account")
    assert page.status_code == 200 and person.email in page.text
    wrong = await here.post(
        "/account/password", {"current_password": "nope", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 401 and "wrong" in wrong.text
    weak = await here.post(
        "/account/password", {"current_password": PASSWORD, "new_password": "password"}
    )
    assert weak.status_code == 422
    assert (await elsewhere.get("/account")).status_code == 200  # nothing changed yet
    changed = await here.post(
        "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 303
    # This browser stays signed in; the other one and the API token are signed out.
    assert "Password changed" in (await here.get(changed.headers["location"])).text
    assert (await elsewhere.get("/account")).status_code == 303
    assert (await client.get(f"{API}/auth/me", headers=person.headers)).status_code == 401
    login = await client.post(
        f"{API}/auth/login", json={"email": person.email, "password": NEW_PASSWORD}
    )
    assert login.status_code == 200


async def test_unverified_accounts_only_look_where_the_server_restricts_them(
    browser: Browser,
    app: FastAPI,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = await make_user()
    workspace = await make_workspace(person)
    monkeypatch.setenv("PLATFORM_UNVERIFIED_ACCOUNTS", "restrict")
    app.state.account_settings = load_account_settings()
    await browser.sign_in(person)
    page = await browser.get(f"/w/{workspace['slug']}/settings/labels")
    assert page.status_code == 200
    refused = await browser.post(f"/w/{workspace['slug']}/settings/labels", {"name": "bug"})
    assert refused.status_code == 403 and "verify your email" in refused.text
    assert (await browser.post("/workspaces", {"name": "More"})).status_code == 403
    await verify_email(person)
    made = await browser.post(f"/w/{workspace['slug']}/settings/labels", {"name": "bug"})
    assert made.status_code == 303
