"""The web app as a whole: what every page route shares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from praisonai_platform.api import deps
from praisonai_platform.web.csrf import check_csrf


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


API_AND_DOCS = ("/api/", "/health", "/ready", "/docs", "/redoc", "/openapi.json")


def web_routes(app: FastAPI) -> list[tuple[str, set[str], Dependant]]:
    """(path, methods, dependencies as served) of every route of the web app."""
    found = []
    for context in iter_route_contexts(app.routes):
        path = str(context.path)
        if not isinstance(context.original_route, APIRoute) or path.startswith(API_AND_DOCS):
            continue
        dependant = getattr(context, "dependant", None) or context.original_route.dependant
        found.append((path, set(context.methods or ()), dependant))
    return found


def test_every_page_route_checks_csrf_and_gets_read_only_sessions(app: FastAPI) -> None:
    """Every web route has the CSRF check (it refuses anything but GET, HEAD and OPTIONS without
    the token); page views (GET) read in read-only transactions like the API's reads."""
    routes = web_routes(app)
    assert {"/", "/sign-in", "/w/{slug}/settings/general"} <= {path for path, _, _ in routes}
    for path, methods, dependant in routes:
        calls = set(_calls(dependant))
        assert check_csrf in calls, path
        if "GET" in methods:
            assert deps.get_write_db not in calls, path
