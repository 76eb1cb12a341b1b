"""The web app in tests: the API's app and database fixtures, and browser-like clients that keep
their cookies and send back the CSRF token of the page they last loaded."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from praisonai_platform.core.clock import utcnow
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import User
from tests.api.conftest import (  # noqa: F401  (fixtures shared with the API tests)
    add_member,
    app,
    client,
    make_user,
    make_workspace,
    server_settings,
)
from tests.factories import PASSWORD, Person

HTML = {"Accept": "text/html"}
_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


class Browser:
    """An httpx client with its own cookie jar, as one browser: `get` loads a page (and keeps
    its CSRF token), `post` submits a form with that token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token: str | None = None

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.get(url, headers=HTML, **kwargs)
        found = _TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    async def post(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        if csrf and self.token is None:
            await self.get("/sign-in")
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.token
        headers = {**HTML, **kwargs.pop("headers", {})}
        return await self.http.post(url, data=form, headers=headers, **kwargs)

    async def sign_in(self, person: Person, password: str = PASSWORD) -> httpx.Response:
        await self.get("/sign-in")
        response = await self.post("/sign-in", {"email": person.email, "password": password})
        assert response.status_code == 303, response.text
        return response


NewBrowser = Callable[[], Awaitable[Browser]]


@pytest.fixture
async def new_browser(client: httpx.AsyncClient) -> AsyncIterator[NewBrowser]:  # noqa: F811
    """Make browsers (each with its own cookies) on the test's app and database."""
    opened: list[httpx.AsyncClient] = []

    async def make() -> Browser:
        http = httpx.AsyncClient(
            transport=client._transport, base_url="http://testserver", follow_redirects=False
        )
        opened.append(http)
        return Browser(http)

    yield make
    for http in opened:
        await http.aclose()


@pytest.fixture
async def browser(new_browser: NewBrowser) -> Browser:
    return await new_browser()


async def verify_email(person: Person) -> None:
    async with session_scope() as session:
        await session.execute(
            update(User).where(User.id == person.id).values(email_verified_at=utcnow())
        )
