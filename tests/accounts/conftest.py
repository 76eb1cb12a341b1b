"""Sign-in providers for the tests: three local providers (Google, a company's OpenID Connect
server, GitHub) answering in-process, and a browser that walks the sign-in redirects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from praisonai_platform.accounts.mail import MemoryMailer
from praisonai_platform.accounts.oauth.settings import load_oauth_config
from tests.accounts.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    Account,
    HostRouter,
    LocalProvider,
)
from tests.api.conftest import (  # noqa: F401  (fixtures shared with the API tests)
    add_member,
    app,
    client,
    make_user,
    make_workspace,
    server_settings,
)
from tests.registration import sign_up

GOOGLE = "http://google.test"
CORP = "http://corp.test"
GITHUB = "http://github.test"


@dataclass
class Providers:
    google: LocalProvider
    corp: LocalProvider
    github: LocalProvider
    router: HostRouter


def provider_environment() -> dict[str, str]:
    """What an operator would set to sign in with these three."""
    environment = {}
    for name, extra in (
        ("GOOGLE", {"ISSUER": GOOGLE}),
        ("CORP", {"ISSUER": CORP, "DISPLAY_NAME": "Corp SSO"}),
        ("GITHUB", {"BASE_URL": GITHUB, "API_URL": f"{GITHUB}/api"}),
    ):
        environment[f"PLATFORM_OAUTH_{name}_CLIENT_ID"] = CLIENT_ID
        environment[f"PLATFORM_OAUTH_{name}_CLIENT_SECRET"] = CLIENT_SECRET
        for key, value in extra.items():
            environment[f"PLATFORM_OAUTH_{name}_{key}"] = value
    return environment


@pytest.fixture
def providers(app: FastAPI) -> Providers:  # noqa: F811
    """The local providers, wired into the app: its outbound HTTP goes to them in-process."""
    account = Account(sub="ada-123", email="ada@example.com")
    found = Providers(
        google=LocalProvider(GOOGLE, account),
        corp=LocalProvider(CORP, Account(sub="corp-7", email="ada@example.com")),
        github=LocalProvider(GITHUB, account),
        router=HostRouter({}),
    )
    found.router.providers.update(
        {"google.test": found.google, "corp.test": found.corp, "github.test": found.github}
    )
    app.state.oauth_config = load_oauth_config(provider_environment())
    app.state.oauth_transport = httpx.ASGITransport(app=found.router)
    return found


@pytest.fixture
async def browser_at_providers(providers: Providers) -> AsyncIterator[httpx.AsyncClient]:
    """The browser's side of the providers' pages (they approve at once)."""
    transport = httpx.ASGITransport(app=providers.router)
    async with httpx.AsyncClient(transport=transport) as browser:
        yield browser


@pytest.fixture
def sign_in(client: httpx.AsyncClient, browser_at_providers: httpx.AsyncClient):  # type: ignore[no-untyped-def]  # noqa: F811
    """Walk one sign-in: our /authorize, the provider's page, back to our /callback."""

    async def walk(provider: str) -> httpx.Response:
        started = await client.get(f"/api/v1/auth/oauth/{provider}/authorize")
        assert started.status_code == 302, started.text
        approved = await browser_at_providers.get(started.headers["location"])
        assert approved.status_code == 302, approved.text
        return await client.get(approved.headers["location"])

    return walk


@pytest.fixture
def outbox(app: FastAPI) -> MemoryMailer:  # noqa: F811
    """Account mail of this test, kept in memory instead of sent."""
    mailer = app.state.mailer = MemoryMailer()
    return mailer


async def register_verified(
    client: httpx.AsyncClient,  # noqa: F811
    outbox: MemoryMailer,
    email: str = "ada@example.com",
    password: str = "a long password",
) -> dict[str, Any]:
    """Register with a password, signed in, and follow the verification link that was mailed."""
    registered = await sign_up(client, email, password)
    mail = outbox.last(registered["user"]["email"], "verify_email")
    verified = await client.post("/api/v1/auth/verify-email", json={"token": mail.token})
    assert verified.status_code == 200 and verified.json()["email_verified"], verified.text
    return registered


def link_walk(client: httpx.AsyncClient, browser: httpx.AsyncClient):  # type: ignore[no-untyped-def]  # noqa: F811
    """Link a provider to the account of `token`: our /link, the provider's page, /callback."""

    async def walk(provider: str, token: str) -> httpx.Response:
        started = await client.post(
            f"/api/v1/auth/oauth/{provider}/link", headers={"Authorization": f"Bearer {token}"}
        )
        assert started.status_code == 200, started.text
        approved = await browser.get(started.json()["authorize_url"])
        assert approved.status_code == 302, approved.text
        return await client.get(approved.headers["location"])

    return walk
