"""The kit routers answer FastAPI's "is this request yours?" with one pattern of all their paths:
no declared route may be hidden by it, and wrong methods and unknown paths answer as before."""

from __future__ import annotations

import inspect
import re
from typing import Any

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


def test_remembered_route_versions_are_fastapis_own() -> None:
    """Each router keeps its routes' version between changes (see `_cache_route_versions`); a
    change anywhere below shows in every router above, as FastAPI's own walk finds it."""
    remembered = fastapi.APIRouter._get_routes_version
    assert getattr(remembered, "cached", False)
    leaf, middle, top = APIRouter(), fastapi.APIRouter(), fastapi.APIRouter()

    @leaf.get("/one")
    async def one() -> dict[str, str]:
        return {}

    middle.include_router(leaf, prefix="/leaf")
    top.include_router(middle, prefix="/middle")

    def walked(router: fastapi.APIRouter) -> int:
        return int(remembered.__wrapped__(router))  # type: ignore[attr-defined]

    before = top._get_routes_version()
    assert before == walked(top)

    @leaf.get("/two")
    async def two() -> dict[str, str]:
        return {}

    assert top._get_routes_version() == walked(top) != before
    assert middle._get_routes_version() == walked(middle)


async def test_a_route_added_after_requests_is_found() -> None:
    app = FastAPI()
    router = APIRouter(prefix="/things")

    @router.get("/first")
    async def first() -> dict[str, str]:
        return {"route": "first"}

    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/things/first")).json() == {"route": "first"}
        assert (await client.get("/things/second")).status_code == 404

        @router.get("/second")
        async def second() -> dict[str, str]:
            return {"route": "second"}

        assert (await client.get("/things/second")).json() == {"route": "second"}


def test_no_route_depends_on_a_plain_function(app: FastAPI) -> None:
    """FastAPI runs a plain (not async) dependency or endpoint on a worker thread: a thread
    hand-off on every request. Every route's dependencies are coroutines."""
    plain: set[str] = set()

    def visit(dependant: Any, route: str) -> None:
        for dependency in dependant.dependencies:
            call = dependency.call
            if call is not None and not _is_coroutine(call):
                plain.add(f"{getattr(call, '__qualname__', call)} ({route})")
            visit(dependency, route)

    for route in app.routes:
        if isinstance(route, fastapi.routing.APIRoute):
            visit(route.dependant, route.path)
            if not _is_coroutine(route.endpoint):
                plain.add(f"{route.endpoint.__qualname__} ({route.path})")
    assert not plain


def _is_coroutine(call: Any) -> bool:
    return (
        inspect.iscoroutinefunction(call)
        or inspect.isasyncgenfunction(call)
        or (not inspect.isfunction(call) and inspect.iscoroutinefunction(type(call).__call__))
    )
