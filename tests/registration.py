"""Registering through the API in tests, whichever way the app answers registrations.

By default every registration answers 202 and the new account signs in with its password (a
second argon2 run, ~0.2 s). Tests that only need a signed-in user either let `sign_up` do that
sign-in, or make the app answer a new email with a token (`registrations_sign_in`); the tests of
registration itself keep the default.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from praisonai_platform.accounts.settings import AccountSettings, load_account_settings

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def registrations_sign_in(app: FastAPI, signs_in: bool | None = True) -> None:
    """Set PLATFORM_REGISTRATION_SIGNS_IN for this app until the test ends (the `app` fixture
    restores its state)."""
    current: AccountSettings = getattr(app.state, "account_settings", None) or (
        load_account_settings()
    )
    app.state.account_settings = current.model_copy(update={"registration_signs_in": signs_in})


async def sign_up(
    client: httpx.AsyncClient, email: str, password: str, **fields: Any
) -> dict[str, Any]:
    """Register and be signed in: the token answer (`token`, `user`), from the registration
    where it signs in (201), else from signing in with the same password after the 202."""
    registered = await client.post(REGISTER, json={"email": email, "password": password, **fields})
    if registered.status_code == 201:
        return dict(registered.json())
    assert registered.status_code == 202, registered.text
    signed_in = await client.post(LOGIN, json={"email": email, "password": password})
    assert signed_in.status_code == 200, signed_in.text
    return dict(signed_in.json())
