"""Register, login, me: hashing, normalisation, tokens that expire and die with their user."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI

from praisonai_platform.config import ConfigurationError
from praisonai_platform.core.server_settings import ServerSettings
from tests.factories import TEST_SECRET
from tests.registration import registrations_sign_in


async def register(client: httpx.AsyncClient, email: str, password: str = "s3cret-pass", **extra):  # type: ignore[no-untyped-def]
    return await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password, **extra}
    )


async def test_register_login_me(client: httpx.AsyncClient) -> None:
    created = await register(client, "Ada@Example.COM", name="ada")
    # By default nobody is signed in by registering: the new account signs in with its password.
    assert created.status_code == 202, created.text
    assert created.json()["status"] == "accepted" and "token" not in created.json()
    login = await client.post(
        "/api/v1/auth/login", json={"email": " ADA@example.com ", "password": "s3cret-pass"}
    )
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["name"] == "ada"
    assert body["token"] == body["access_token"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]
    assert "password_hash" not in me.json()


async def test_a_registration_that_signs_in_answers_201_with_a_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    registrations_sign_in(app)
    created = await register(client, "Ada@Example.COM", name="ada")
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["user"]["email"], body["user"]["name"]) == ("ada@example.com", "ada")
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["id"] == body["user"]["id"]


async def test_emails_are_unique_case_insensitively(client: httpx.AsyncClient) -> None:
    first = await register(client, "me@a.com")
    again = await register(client, "ME@A.com", "another-pass")
    # No second account, and no "taken" either: the owner gets a message instead.
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert "token" not in again.json() and "code" not in again.json()
    login = await client.post(
        "/api/v1/auth/login", json={"email": "me@a.com", "password": "s3cret-pass"}
    )
    assert login.status_code == 200, login.text
    taken_over = await client.post(
        "/api/v1/auth/login", json={"email": "me@a.com", "password": "another-pass"}
    )
    assert taken_over.status_code == 401


async def test_missing_names_are_derived_uniquely(app: FastAPI, client: httpx.AsyncClient) -> None:
    registrations_sign_in(app)  # the answers show the names
    first = await register(client, "me@a.com")
    second = await register(client, "me@b.com")
    assert (first.status_code, second.status_code) == (201, 201)
    names = {first.json()["user"]["name"], second.json()["user"]["name"]}
    assert len(names) == 2 and "me" in names


async def test_a_taken_explicit_name_is_a_conflict(client: httpx.AsyncClient) -> None:
    assert (await register(client, "a@x.com", name="sam")).status_code == 202
    response = await register(client, "b@x.com", name="sam")
    assert (response.status_code, response.json()["code"]) == (409, "name_taken")


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("not-an-email", "long enough"),
        ("a@b.com", "pw-7chr"),
        ("a@b.com", "x" * 1025),
        ("a\x00@b.com", "long enough"),
    ],
)
async def test_bad_registrations_are_422(
    client: httpx.AsyncClient, email: str, password: str
) -> None:
    response = await register(client, email, password)
    assert response.status_code == 422, response.text
    assert response.json()["code"] in (
        "validation_failed",
        "invalid_email",
        "password_too_short",
        "password_too_long",
    )
    assert password not in response.text  # the password is never echoed


async def test_long_passwords_are_not_truncated(client: httpx.AsyncClient) -> None:
    password = "p" * 100 + "A"
    assert (await register(client, "long@x.com", password)).status_code == 202
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": "long@x.com", "password": "p" * 100 + "B"}
    )
    assert wrong.status_code == 401
    right = await client.post(
        "/api/v1/auth/login", json={"email": "long@x.com", "password": password}
    )
    assert right.status_code == 200


async def test_wrong_password_and_unknown_email_look_the_same(client: httpx.AsyncClient) -> None:
    await register(client, "known@x.com")
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": "known@x.com", "password": "wrong-password"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@x.com", "password": "wrong-password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


@pytest.mark.sqlite_only
async def test_unknown_email_takes_as_long_as_a_wrong_password(client: httpx.AsyncClient) -> None:
    await register(client, "timing@x.com")

    async def median_seconds(email: str) -> float:
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            await client.post("/api/v1/auth/login", json={"email": email, "password": "nope-nope"})
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    known, unknown = await median_seconds("timing@x.com"), await median_seconds("ghost@x.com")
    # Both verify one argon2 hash; without the decoy the unknown email would be ~100x faster.
    assert unknown > known / 3


def token_for(user_id: str, **claims) -> str:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    payload = {
        "sub": user_id,
        "iat": now,
        "exp": now + timedelta(hours=1),
        "typ": "access",
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, TEST_SECRET, algorithm="HS256")


async def test_tokens_must_expire_and_be_signed(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    cases = {
        "no exp": token_for(person.id, exp=None),
        "expired": token_for(person.id, exp=datetime.now(UTC) - timedelta(seconds=5)),
        "wrong key": jwt.encode(
            {
                "sub": person.id,
                "iat": datetime.now(UTC),
                "exp": datetime.now(UTC) + timedelta(hours=1),
                "typ": "access",
            },
            "another-secret-another-secret-another",
            algorithm="HS256",
        ),
        "alg none": jwt.encode(
            {"sub": person.id, "exp": 9999999999, "iat": 1}, None, algorithm="none"
        ),
        "garbage": "not.a.token",
    }
    for label, token in cases.items():
        response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, label
        assert response.json()["code"] in ("invalid_token", "token_expired"), label
    assert (await client.get("/api/v1/auth/me", headers=person.headers)).status_code == 200


async def test_token_of_a_deleted_user_is_refused(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete

    from praisonai_platform.db import session_scope
    from praisonai_platform.db.models import User

    person = await make_user()
    async with session_scope() as session:
        await session.execute(delete(User).where(User.id == person.id))
    response = await client.get("/api/v1/auth/me", headers=person.headers)
    assert response.status_code == 401


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer  "])
async def test_missing_or_malformed_authorization_is_401(
    client: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = await client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_production_needs_a_long_secret() -> None:
    with pytest.raises(ConfigurationError, match="PLATFORM_JWT_SECRET"):
        ServerSettings(env="production", jwt_secret=None).signing_secret()
    with pytest.raises(ConfigurationError, match="32 bytes"):
        ServerSettings(env="production", jwt_secret="short").signing_secret()
    assert ServerSettings(env="production", jwt_secret="x" * 32).signing_secret() == "x" * 32


def test_development_without_a_secret_uses_a_random_one() -> None:
    secret = ServerSettings(env="development", jwt_secret=None).signing_secret()
    assert len(secret) >= 32
