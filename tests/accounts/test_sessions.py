"""Sessions end on logout and password changes; passwords follow the policy; email verification
and password reset links work once and only for their address."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import BackgroundTasks, FastAPI, Request
from sqlalchemy import select, update

from praisonai_platform.accounts.mail import LogMailer, Mail, MemoryMailer, SmtpMailer, build_mailer
from praisonai_platform.accounts.routes import request_password_reset
from praisonai_platform.accounts.schemas import PasswordResetRequest
from praisonai_platform.accounts.settings import AccountSettings
from praisonai_platform.client import AsyncPlatformClient, AuthenticationError, PlatformError
from praisonai_platform.core.clock import utcnow
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import AccountToken, User, UserApiKey
from tests.factories import PASSWORD, Person, counting_statements, create_api_key, key_headers
from tests.registration import registrations_sign_in, sign_up

AUTH = "/api/v1/auth"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    response = await client.post(f"{AUTH}/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(f"{AUTH}/me", headers=bearer(token))


async def test_logout_ends_every_session_of_the_account(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    person: Person = await make_user()
    other = await login(client, person.email)
    assert (await client.post(f"{AUTH}/logout", headers=person.headers)).status_code == 204
    for token in (person.token, other):
        refused = await me(client, token)
        assert (refused.status_code, refused.json()["code"]) == (401, "token_revoked")
    assert (await me(client, await login(client, person.email))).status_code == 200


async def test_api_keys_survive_logout_but_cannot_log_out(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    person: Person = await make_user()
    key = (await create_api_key(client, person))["key"]
    refused = await client.post(f"{AUTH}/logout", headers=key_headers(key))
    assert (refused.status_code, refused.json()["code"]) == (403, "api_key_not_allowed")
    assert (await client.post(f"{AUTH}/logout", headers=person.headers)).status_code == 204
    assert (await client.get(f"{AUTH}/me", headers=key_headers(key))).status_code == 200


async def test_changing_the_password_ends_other_sessions_and_keeps_this_one(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    person: Person = await make_user()
    other = await login(client, person.email)
    key = (await create_api_key(client, person))["key"]
    wrong = await client.post(
        f"{AUTH}/password",
        json={"current_password": "not it", "new_password": "a new long password"},
        headers=person.headers,
    )
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
    changed = await client.post(
        f"{AUTH}/password",
        json={"current_password": PASSWORD, "new_password": "a new long password"},
        headers=person.headers,
    )
    assert changed.status_code == 200, changed.text
    assert (await me(client, changed.json()["token"])).status_code == 200
    for token in (person.token, other):
        assert (await me(client, token)).status_code == 401
    # Keys stay unless asked for.
    assert (await client.get(f"{AUTH}/me", headers=key_headers(key))).status_code == 200
    old = await client.post(f"{AUTH}/login", json={"email": person.email, "password": PASSWORD})
    assert old.status_code == 401
    await login(client, person.email, "a new long password")


async def test_changing_the_password_can_revoke_every_api_key(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    person: Person = await make_user()
    key = (await create_api_key(client, person))["key"]
    refused = await client.post(
        f"{AUTH}/password",
        json={"current_password": PASSWORD, "new_password": "another long one"},
        headers=key_headers(key),
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "api_key_not_allowed")
    changed = await client.post(
        f"{AUTH}/password",
        json={
            "current_password": PASSWORD,
            "new_password": "another long one",
            "revoke_api_keys": True,
        },
        headers=person.headers,
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get(f"{AUTH}/me", headers=key_headers(key))).status_code == 401
    async with session_scope(read_only=True) as session:
        keys = (await session.scalars(select(UserApiKey))).all()
    assert keys and all(k.revoked_at is not None for k in keys)


@pytest.mark.parametrize(
    ("password", "code"),
    [("sh0rt!", "password_too_short"), ("123456789", "password_too_common"),
     ("Qwertyuiop", "password_too_common"), ("x" * 1025, "validation_failed")],
)  # fmt: skip
async def test_the_password_policy(client: httpx.AsyncClient, password: str, code: str) -> None:
    response = await client.post(
        f"{AUTH}/register", json={"email": "ada@example.com", "password": password}
    )
    assert (response.status_code, response.json()["code"]) == (422, code)
    assert password not in response.text


@pytest.mark.sqlite_only
async def test_the_minimum_length_is_the_operators(
    client: httpx.AsyncClient, app: FastAPI, make_user: Any
) -> None:
    app.state.account_settings = AccountSettings(min_length=12)
    person: Person = await make_user()
    refused = await client.post(
        f"{AUTH}/password",
        json={"current_password": PASSWORD, "new_password": "eleven char"},
        headers=person.headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "password_too_short")
    app.state.account_settings = AccountSettings(min_length=1)
    tiny = await client.post(f"{AUTH}/register", json={"email": "t@example.com", "password": "z"})
    assert tiny.status_code == 202, tiny.text


async def test_a_verification_link_works_once_for_its_address(
    client: httpx.AsyncClient, app: FastAPI, outbox: MemoryMailer
) -> None:
    registrations_sign_in(app)
    registered = await sign_up(client, "ada@example.com", "a long password")
    assert registered["user"]["email_verified"] is False
    mail = outbox.last("ada@example.com", "verify_email")
    assert mail.token and mail.token in mail.text
    async with session_scope(read_only=True) as session:
        stored = (await session.scalars(select(AccountToken))).one()
    assert mail.token not in stored.token_hash  # only a keyed hash is stored
    verified = await client.get(f"{AUTH}/verify-email", params={"token": mail.token})
    assert verified.status_code == 200 and verified.json()["email_verified"] is True
    again = await client.post(f"{AUTH}/verify-email", json={"token": mail.token})
    assert (again.status_code, again.json()["code"]) == (422, "invalid_account_token")
    resend = await client.post(f"{AUTH}/verify-email/resend", headers=bearer(registered["token"]))
    assert (resend.status_code, resend.json()["code"]) == (409, "email_already_verified")


async def test_a_new_verification_link_replaces_the_old_and_links_expire(
    client: httpx.AsyncClient, app: FastAPI, outbox: MemoryMailer
) -> None:
    registrations_sign_in(app)
    registered = await sign_up(client, "ada@example.com", "a long password")
    first = outbox.last("ada@example.com", "verify_email").token
    resend = await client.post(f"{AUTH}/verify-email/resend", headers=bearer(registered["token"]))
    assert resend.status_code == 202
    second = outbox.last("ada@example.com", "verify_email").token
    assert first != second
    stale = await client.post(f"{AUTH}/verify-email", json={"token": first})
    assert stale.status_code == 422
    async with session_scope() as session:
        await session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(1)))
    expired = await client.post(f"{AUTH}/verify-email", json={"token": second})
    assert (expired.status_code, expired.json()["code"]) == (422, "invalid_account_token")
    for garbage in ("x", "y" * 200):
        bad = await client.post(f"{AUTH}/verify-email", json={"token": garbage})
        assert bad.status_code == 422


async def test_a_password_reset_link_sets_the_password_once_and_ends_sessions(
    client: httpx.AsyncClient, make_user: Any, outbox: MemoryMailer
) -> None:
    person: Person = await make_user()
    known = await client.post(f"{AUTH}/password-reset", json={"email": person.email.upper()})
    unknown = await client.post(f"{AUTH}/password-reset", json={"email": "nobody@example.com"})
    invalid = await client.post(f"{AUTH}/password-reset", json={"email": "not an address"})
    assert known.status_code == unknown.status_code == invalid.status_code == 202
    assert known.json() == unknown.json() == invalid.json()
    assert [m.to for m in outbox.outbox] == [person.email]
    token = outbox.last(person.email, "reset_password").token
    assert token is not None
    weak = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": token, "password": "password"}
    )
    assert (weak.status_code, weak.json()["code"]) == (422, "password_too_common")
    reset = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": token, "password": "a brand new one"}
    )
    assert reset.status_code == 200, reset.text
    assert reset.json()["user"]["email_verified"] is True  # the link proved the address
    assert (await me(client, reset.json()["token"])).status_code == 200
    assert (await me(client, person.token)).status_code == 401
    twice = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": token, "password": "yet another one"}
    )
    assert (twice.status_code, twice.json()["code"]) == (422, "invalid_account_token")
    await login(client, person.email, "a brand new one")


async def test_restricted_unverified_accounts_may_sign_in_but_not_change_things(
    client: httpx.AsyncClient, app: FastAPI, outbox: MemoryMailer
) -> None:
    app.state.account_settings = AccountSettings(unverified_accounts="restrict")
    registered = await sign_up(client, "ada@example.com", "a long password")
    headers = bearer(registered["token"])
    assert (await client.get(f"{AUTH}/me", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/workspaces/", headers=headers)).status_code == 200
    refused = await client.post("/api/v1/workspaces/", json={"name": "Mine"}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "email_not_verified")
    token = outbox.last("ada@example.com", "verify_email").token
    assert (await client.post(f"{AUTH}/verify-email", json={"token": token})).status_code == 200
    created = await client.post("/api/v1/workspaces/", json={"name": "Mine"}, headers=headers)
    assert created.status_code == 201, created.text


async def test_tokens_of_deactivated_users_and_reset_links_of_them_are_refused(
    client: httpx.AsyncClient, make_user: Any, outbox: MemoryMailer
) -> None:
    person: Person = await make_user()
    async with session_scope() as session:
        await session.execute(update(User).where(User.id == person.id).values(is_active=False))
    assert (await me(client, person.token)).status_code == 401
    asked = await client.post(f"{AUTH}/password-reset", json={"email": person.email})
    assert asked.status_code == 202 and outbox.outbox == []


async def test_the_sdk_signs_out_changes_and_resets_passwords_and_verifies(
    app: FastAPI, client: httpx.AsyncClient, make_user: Any, outbox: MemoryMailer
) -> None:
    person: Person = await make_user()
    transport = httpx.ASGITransport(app=app)
    async with AsyncPlatformClient("http://testserver", transport=transport) as sdk:
        await sdk.login(email=person.email, password=PASSWORD)
        session = await sdk.change_password(PASSWORD, "an sdk password", revoke_api_keys=True)
        assert sdk.token == session.token
        assert (await sdk.resend_verification()).status == "accepted"
        token = outbox.last(person.email, "verify_email").token
        assert token is not None and (await sdk.verify_email(token)).email_verified
        await sdk.logout()
        assert sdk.token is None
        old = AsyncPlatformClient("http://testserver", token=session.token, transport=transport)
        async with old:
            with pytest.raises(AuthenticationError):
                await old.me()
        accepted = await sdk.request_password_reset(person.email)
        assert accepted.status == "accepted"
        reset = outbox.last(person.email, "reset_password").token
        assert reset is not None
        await sdk.reset_password(reset, "a reset sdk password")
        assert (await sdk.me()).email == person.email
        with pytest.raises(PlatformError) as pending:
            await sdk.register(email=person.email, password="whatever it is")
        assert pending.value.code == "registration_pending"


async def test_the_sdk_signs_a_new_account_in_after_the_answer_every_registration_gets(
    app: FastAPI, client: httpx.AsyncClient, outbox: MemoryMailer
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with AsyncPlatformClient("http://testserver", transport=transport) as sdk:
        session = await sdk.register(email="New@Example.com", password=PASSWORD, name="newbie")
        assert sdk.token == session.token
        me = await sdk.me()
    assert (me.email, me.name, me.email_verified) == ("new@example.com", "newbie", False)
    assert outbox.last("new@example.com", "verify_email").token


async def test_account_mail_goes_through_smtp_when_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[str, Any]] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            sent.append(("connect", (host, port)))

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            sent.append(("quit", None))

        def starttls(self, context: object) -> None:
            sent.append(("starttls", None))

        def login(self, user: str, password: str) -> None:
            sent.append(("login", (user, password)))

        def send_message(self, message: Any) -> None:
            sent.append(("send", (message["To"], message["Subject"], message.get_content())))

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    settings = AccountSettings(
        smtp_host="mail.example.com", smtp_username="bot", smtp_password="pw"
    )
    mailer = build_mailer(settings)
    assert isinstance(mailer, SmtpMailer)
    assert isinstance(build_mailer(AccountSettings()), LogMailer)
    await mailer.send(Mail(to="ada@example.com", subject="Hi", text="the link"))
    assert [step for step, _ in sent] == ["connect", "starttls", "login", "send", "quit"]
    assert sent[0][1] == ("mail.example.com", 587)
    assert sent[3][1][:2] == ("ada@example.com", "Hi") and "the link" in sent[3][1][2]


async def test_a_password_reset_answers_before_looking_the_address_up(
    app: FastAPI, make_user: Any, outbox: MemoryMailer
) -> None:
    """How long the answer takes must not tell whether an account uses the address: the
    request itself runs no statement for a known address, an unknown one or a nonsense one;
    the account is looked up, and its link made and mailed, once the answer has gone."""
    person: Person = await make_user()
    for email in (person.email, "nobody@example.com", "not an address"):
        with counting_statements() as statements:
            background = BackgroundTasks()
            answer = await request_password_reset(
                PasswordResetRequest(email=email),
                Request({"type": "http", "app": app, "method": "POST", "headers": []}),
                app.state.server_settings,
                background,
            )
        assert statements == [] and answer.detail
        await background()
    assert [m.to for m in outbox.outbox] == [person.email]
