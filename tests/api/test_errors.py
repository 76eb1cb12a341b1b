"""Every failure is a JSON body with a stable code; nothing leaks, nothing is a 500."""

from __future__ import annotations

import base64
import json

import httpx
import pytest


async def test_unknown_route_is_404_with_a_code(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found", "code": "not_found"}


async def test_wrong_method_is_405_with_a_code(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/auth/login")
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'"string"', b"null", b'{"email": 5, "password": []}'],
)
async def test_malformed_bodies_are_422(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert isinstance(response.json()["detail"], list)


async def test_bodies_over_one_mebibyte_are_413(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    big = {"name": "big", "description": "x" * (1024 * 1024 + 1)}
    response = await client.post("/api/v1/workspaces/", json=big, headers=person.headers)
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


async def test_streamed_bodies_over_the_limit_are_413(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()

    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"name": "big", "description": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    response = await client.post(
        "/api/v1/workspaces/",
        content=chunks(),
        headers={**person.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/api/v1/workspaces/abc%00def", "/api/v1/workspaces/%ff%fe"])
async def test_undecodable_urls_are_422(client: httpx.AsyncClient, make_user, path: str) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    response = await client.get(path, headers=person.headers)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_characters")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "nul\x00name"},
        {"name": "ok", "settings": {"k\x00": 1}},
        {"name": "ok", "settings": {"nested": ["\x00"]}},
        {"name": ""},
        {"name": "x" * 201},
        {"name": "ok", "issue_prefix": "1BAD"},
        {"name": "ok", "slug": "Not A Slug"},
    ],
)
async def test_invalid_workspace_input_is_422(client: httpx.AsyncClient, make_user, body) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    response = await client.post("/api/v1/workspaces/", json=body, headers=person.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"


async def test_unpaired_surrogates_are_422(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    response = await client.post(
        "/api/v1/workspaces/",
        content=b'{"name": "bad \\ud800 text"}',
        headers={**person.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422


async def test_a_conflict_leaks_no_sql_and_the_connection_stays_usable(
    client: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    first = await client.post(
        "/api/v1/workspaces/", json={"name": "A", "slug": "same"}, headers=person.headers
    )
    assert first.status_code == 201
    for _ in range(3):
        again = await client.post(
            "/api/v1/workspaces/", json={"name": "B", "slug": "same"}, headers=person.headers
        )
        assert again.status_code == 409
        body = again.text.lower()
        assert "insert" not in body and "select" not in body and "sqlite" not in body
    listed = await client.get("/api/v1/workspaces/", headers=person.headers)
    assert listed.status_code == 200 and len(listed.json()) == 1


async def test_invalid_cursor_is_422(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    person = await make_user()
    for cursor in ("garbage", "eyJrIjpbXSwidiI6W119", "e30"):
        response = await client.get(
            "/api/v1/workspaces/", params={"cursor": cursor}, headers=person.headers
        )
        assert (response.status_code, response.json()["code"]) == (422, "invalid_cursor")


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/openapi.json")).status_code == 200
    assert (await client.get("/docs")).status_code == 200
    health = await client.get("/health")
    assert health.json() == {"status": "ok"}
    assert (await client.get("/ready")).json()["database"] == "ok"


@pytest.mark.postgres_only
async def test_driver_errors_are_classified_by_sqlstate(backend: str, db_url: str) -> None:
    """asyncpg reports some data errors as a plain DBAPIError; the SQLSTATE decides."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from starlette.requests import Request

    from praisonai_platform.api.errors import _database_error
    from praisonai_platform.db import get_engine, reset_engine

    engine = get_engine(db_url)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as caught:
                await connection.execute(text("SELECT CAST('x' AS INTEGER)"))
    finally:
        await reset_engine()
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    response = await _database_error(request, caught.value)
    assert response.status_code == 422
    assert b"invalid_value" in response.body and b"CAST" not in response.body


async def test_a_cursor_with_text_no_database_can_compare_is_422(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    """A forged cursor whose id holds a lone surrogate or a NUL is refused before it reaches
    the driver (which would fail on either backend)."""
    person = await make_user()
    ws = (await make_workspace(person))["id"]
    for bad_id in ("\ud800", "a\x00b"):
        payload = {"k": ["created_at", "id"], "v": ["2026-01-01T00:00:00+00:00", bad_id]}
        cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        response = await client.get(
            f"/api/v1/workspaces/{ws}/issues/",
            params={"cursor": cursor, "sort": "created_at"},
            headers=person.headers,
        )
        assert (response.status_code, response.json()["code"]) == (422, "invalid_cursor")
