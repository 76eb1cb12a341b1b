"""The kit routers answer FastAPI's "is this request yours?" with one pattern of all their paths:
no declared route may be hidden by it, and wrong methods and unknown paths answer as before."""

from __future__ import annotations

import re

import fastapi
import httpx
import pytest
from fastapi import FastAPI

from praisonai_platform.api.routing import APIRouter

NOT_FOUND = {"detail": "Not Found", "code": "not_found"}


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path with every parameter filled in) of each documented /api/v1 route."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        concrete = re.sub(r"\{[^}]+\}", "x1", path)
        found += [(method.upper(), concrete) for method in operations]
    return found


async def test_every_route_is_reached_in_both_slash_forms(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    app.state.rate_limit_settings = None  # hundreds of refused credentials: not the point here
    routes = _api_routes(app)
    assert len(routes) > 100
    for method, path in routes:
        for form in {path, path.rstrip("/") or path, path.rstrip("/") + "/"}:
            response = await client.request(method, form, headers={"Authorization": "Bearer x"})
            assert response.status_code != 405, (method, form)
            if response.status_code == 404:
                assert response.json() != NOT_FOUND, (method, form)


async def test_wrong_methods_and_unknown_paths_answer_as_fastapis_own_matching(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes = [
        (method, path + suffix)
        for _, path in _api_routes(app)[::7]
        for suffix in ("", "nothing", "/nothing")
        for method in ("GET", "DELETE", "PUT")
    ]
    probes += [
        ("DELETE", "/api/v1/workspaces/w1/issues/"),
        ("PUT", "/api/v1/workspaces/w1/issues/ENG-1"),
        ("GET", "/api/v1/workspaces/w1/nothing"),
        ("GET", "/api/v1/workspaces/w1/issues/ENG-1/labels/l1/extra"),
    ]

    async def answers() -> list[tuple[int, object]]:
        found = []
        for method, path in probes:
            response = await client.request(method, path)
            found.append((response.status_code, response.json()))
        return found

    app.state.rate_limit_settings = None
    ours = await answers()
    assert {status for status, _ in ours} >= {401, 404, 405}
    monkeypatch.setattr(APIRouter, "matches", fastapi.APIRouter.matches)
    assert await answers() == ours
