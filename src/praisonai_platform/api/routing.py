"""The routing kit: one router class for every domain, and one way to answer a list.

Every path answers with and without its trailing slash (0.1.9's clients use both), while the
OpenAPI document shows the form the route was declared with. Lists return JSON arrays and put
paging in headers: `Link: <…>; rel="next"` with a keyset cursor, and `X-Total-Count` when the
request says `Prefer: count=exact` (RFC 7240; the answer then carries `Preference-Applied`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import fastapi
from fastapi import Depends, Header, Query, Request, Response
from starlette.routing import Match, get_route_path
from starlette.types import Scope

from praisonai_platform.core.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest

T = TypeVar("T")
COUNT_PREFERENCE = "count=exact"
_GROUP = re.compile(r"\(\?P<\w+>")
# Where FastAPI keeps, in a request's scope, the included router that asks its routes.
_SCOPE_KEY = getattr(fastapi.routing, "_FASTAPI_SCOPE_KEY", "fastapi")
_INCLUDED_ROUTER_KEY = getattr(fastapi.routing, "_FASTAPI_INCLUDED_ROUTER_KEY", "included_router")


def _cache_route_versions() -> None:
    """Have FastAPI's routers remember their routes' version between changes.

    FastAPI works the version out afresh, by walking every router included below, each time a
    router is asked whether a request is its own: for the application's router that is a walk
    of every route, for every request. Here each router keeps the value it worked out until any
    router of the process changes (every change goes through `_mark_routes_changed`), so the
    values are FastAPI's own. A FastAPI without these internals is left as it is."""
    router_class: Any = fastapi.routing.APIRouter
    work_out = getattr(router_class, "_get_routes_version", None)
    mark_changed = getattr(router_class, "_mark_routes_changed", None)
    if work_out is None or mark_changed is None or getattr(work_out, "cached", False):
        return
    changes = [0]

    def _mark_routes_changed(self: Any) -> None:
        changes[0] += 1
        mark_changed(self)

    def _get_routes_version(self: Any, seen: set[int] | None = None) -> int:
        if seen is not None:  # a step of a walk, which must see each router once
            return int(work_out(self, seen))
        known: tuple[int, int] | None = self.__dict__.get("_routes_version_known")
        if known is not None and known[0] == changes[0]:
            return known[1]
        version = int(work_out(self))
        self.__dict__["_routes_version_known"] = (changes[0], version)
        return version

    _get_routes_version.cached = True  # type: ignore[attr-defined]
    _get_routes_version.__wrapped__ = work_out  # type: ignore[attr-defined]
    router_class._mark_routes_changed = _mark_routes_changed
    router_class._get_routes_version = _get_routes_version


_cache_route_versions()


def _included_router(scope: Scope) -> Any:
    """The included router FastAPI is asking on behalf of (kept in the request's scope)."""
    fastapi_scope = scope.get(_SCOPE_KEY)
    if not isinstance(fastapi_scope, dict):
        return None
    return fastapi_scope.get(_INCLUDED_ROUTER_KEY)


class APIRouter(fastapi.APIRouter):
    """A router that serves each path in both slash forms and documents the declared one.

    Include these routers in a plain `fastapi.APIRouter` (as `api.router` does): including them in
    another kit router would add the alternate forms a second time.

    FastAPI asks every included router in turn whether a request is its own, and each asks its
    routes one by one, several times per request. A kit router answers that question first with
    one regular expression made of all its routes' paths (see `_paths_pattern`).
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        included = _included_router(scope)
        if included is not None and getattr(included, "original_router", None) is self:
            pattern = self._paths_pattern(included)
            if pattern is not None and pattern.match(get_route_path(scope)) is None:
                return Match.NONE, {}
        return super().matches(scope)

    def _paths_pattern(self, included: Any) -> re.Pattern[str] | None:
        """Every path of this router as included by `included`, in one anchored pattern (None
        when a route is not a plain API route, which is then asked as usual)."""
        patterns: dict[int, tuple[object, object, re.Pattern[str] | None]]
        patterns = self.__dict__.setdefault("_paths_patterns", {})
        routes_version = getattr(self, "_get_routes_version", None)
        candidates = getattr(included, "effective_candidates", None)
        if routes_version is None or candidates is None:
            return None  # a FastAPI without these internals: ask every route, as it does
        version = routes_version()  # remembered between changes (`_cache_route_versions`)
        known = patterns.get(id(included))
        if known is not None and known[0] is included and known[1] == version:
            return known[2]
        parts: list[str] = []
        for candidate in candidates():
            regex = getattr(candidate, "path_regex", None)
            route = getattr(candidate, "original_route", None)
            if not isinstance(route, fastapi.routing.APIRoute) or not isinstance(regex, re.Pattern):
                parts = []  # another kind of route: ask every route, as FastAPI does
                break
            parts.append(f"(?:{_GROUP.sub('(?:', regex.pattern)})")
        pattern = re.compile("|".join(parts)) if parts else None
        patterns[id(included)] = (included, version, pattern)
        return pattern

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().add_api_route(path, endpoint, **kwargs)
        if not kwargs.get("include_in_schema", True):
            return
        alternate = path[:-1] if path.endswith("/") else f"{path}/"
        if alternate or self.prefix:  # "" is a path only under a prefix
            super().add_api_route(alternate, endpoint, **{**kwargs, "include_in_schema": False})


# The dependencies here are coroutines: FastAPI runs a plain function on a worker thread, a
# hand-off per request.
async def _page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0,
    cursor: Annotated[
        str | None,
        Query(max_length=2048, description="Opaque cursor from a previous page's Link header."),
    ] = None,
    prefer: Annotated[
        str | None,
        Header(
            max_length=1024,
            description="`count=exact` to have the total number of matches in X-Total-Count.",
        ),
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset, cursor=cursor, count=_wants_count(prefer))


def _wants_count(prefer: str | None) -> bool:
    """Whether a Prefer header (`respond-async, count=exact; x=y`) asks for `count=exact`."""
    if prefer is None:
        return False
    for preference in prefer.split(","):
        name, _, value = preference.split(";")[0].partition("=")
        if name.strip().lower() == "count" and value.strip().strip('"').lower() == "exact":
            return True
    return False


@dataclass(slots=True)
class Listing:
    """What a list route needs: the page the caller asked for, and where paging headers go."""

    page: PageRequest
    request: Request
    response: Response

    def items(self, page: Page[T]) -> list[T]:
        """Set the paging headers (the total if it was asked for); return the page's items."""
        self.response.headers["Vary"] = "Prefer"
        if page.total is not None:
            self.response.headers["X-Total-Count"] = str(page.total)
            self.response.headers["Preference-Applied"] = COUNT_PREFERENCE
        if page.next_cursor is not None:
            kept = [
                (key, value)
                for key, value in self.request.query_params.multi_items()
                if key not in ("cursor", "offset")
            ]
            query = urlencode([*kept, ("cursor", page.next_cursor)])
            self.response.headers["Link"] = f'<{self.request.url.replace(query=query)}>; rel="next"'
        return page.items


async def _listing(
    page: Annotated[PageRequest, Depends(_page_request)], request: Request, response: Response
) -> Listing:
    return Listing(page=page, request=request, response=response)


ListPaging = Annotated[Listing, Depends(_listing)]


async def _expected_versions(
    if_match: Annotated[
        str | None,
        Header(max_length=1024, description='The ETag you read, e.g. "3"; `*` matches any.'),
    ] = None,
) -> frozenset[int] | None:
    """If-Match as the versions a change may apply to: None for no header or `*`.

    Our ETags are versions in quotes; a weak tag (W/"3") matches like a strong one, and a tag that
    is not one of ours can match nothing.
    """
    if if_match is None:
        return None
    versions = set()
    for tag in (part.strip() for part in if_match.split(",")):
        if tag == "*":
            return None
        value = tag.removeprefix("W/")
        if len(value) >= 2 and value[0] == value[-1] == '"' and value[1:-1].isascii():
            digits = value[1:-1]
            if digits.isdigit() and len(digits) <= 18 and str(int(digits)) == digits:
                versions.add(int(digits))
    return frozenset(versions)


ExpectedVersions = Annotated[frozenset[int] | None, Depends(_expected_versions)]
