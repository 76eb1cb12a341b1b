"""Security headers on every response (errors and 404s included), a strict CSP for pages, HSTS
only behind an https public URL, and CORS only for the origins an operator names."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from praisonai_platform.api.app import create_app
from praisonai_platform.api.security_headers import admin_policy
from praisonai_platform.core.server_settings import ServerSettings
from tests.factories import TEST_SECRET

SETTINGS = ServerSettings(jwt_secret=TEST_SECRET, env="test", max_body_bytes=2048)


def build(monkeypatch: pytest.MonkeyPatch, **environment: str) -> FastAPI:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app(SETTINGS)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    return app


@pytest.fixture
async def plain(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(build(monkeypatch)) as client:
        yield client


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def assert_protected(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


async def test_every_kind_of_answer_carries_the_headers(plain: httpx.AsyncClient) -> None:
    answers = {
        "ok": await plain.get("/health"),
        "not found": await plain.get("/nowhere"),
        "unauthenticated": await plain.get("/api/v1/workspaces"),
        "too large": await plain.post("/api/v1/auth/login", content=b"x" * 4096),
        "bad url": await plain.get("/api/v1/%00"),
        "too deep": await plain.post("/api/v1/auth/login", content=b"[" * 40 + b"]" * 40),
        "bug": await plain.get("/boom"),
    }
    assert [a.status_code for a in answers.values()] == [200, 404, 401, 413, 422, 422, 500]
    for name, answer in answers.items():
        assert_protected(answer)
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'"), name
        assert "Strict-Transport-Security" not in answer.headers
        assert "Access-Control-Allow-Origin" not in answer.headers


async def test_pages_get_a_strict_policy(plain: httpx.AsyncClient) -> None:
    login = await plain.get("/admin/login")
    assert login.status_code == 200 and login.headers["content-type"].startswith("text/html")
    assert_protected(login)
    policy = login.headers["Content-Security-Policy"]
    assert policy == admin_policy()
    assert "script-src 'self' 'sha256-" in policy and "unsafe" not in policy.split("style")[0]
    assert "'unsafe-inline'" not in policy
    static = await plain.get("/admin/statics/js/main.js")
    assert static.status_code == 200
    assert_protected(static)
    # The OpenAPI pages load Swagger UI and ReDoc from this server, never from a CDN.
    for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        docs = await plain.get(page)
        assert docs.status_code == 200 and f"/docs-assets/{asset}" in docs.text
        assert "https://" not in docs.text
        policy = docs.headers["Content-Security-Policy"]
        assert "https:" not in policy and "'unsafe-inline'" not in policy.split(";")[1]
        served = await plain.get(f"/docs-assets/{asset}")
        assert served.status_code == 200 and len(served.content) > 100_000
    swagger = (await plain.get("/docs")).headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in swagger, swagger


async def test_hsts_when_the_public_url_is_https(monkeypatch: pytest.MonkeyPatch) -> None:
    async with _client(build(monkeypatch, PLATFORM_PUBLIC_URL="https://t.example")) as client:
        for response in (await client.get("/health"), await client.get("/nowhere")):
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


async def test_cors_is_off_unless_origins_are_named(
    plain: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    preflight = {
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    refused = await plain.options("/api/v1/workspaces", headers=preflight)
    assert "Access-Control-Allow-Origin" not in refused.headers
    simple = await plain.get("/health", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in simple.headers

    app = build(monkeypatch, PLATFORM_CORS_ORIGINS="https://app.example, https://b.example")
    async with _client(app) as client:
        allowed = await client.options("/api/v1/workspaces", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert "Access-Control-Allow-Credentials" not in allowed.headers
        assert_protected(allowed)
        other = await client.options(
            "/api/v1/workspaces", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert "Access-Control-Allow-Origin" not in other.headers
        read = await client.get("/health", headers={"Origin": "https://b.example"})
        assert read.headers["Access-Control-Allow-Origin"] == "https://b.example"
        assert "X-Total-Count" in read.headers["Access-Control-Expose-Headers"]
