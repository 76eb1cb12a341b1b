"""client.search(…): a workspace's issues, comments and projects holding some words."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import TypeAdapter

from praisonai_platform.client.calls import Call, api_path, query
from praisonai_platform.client.endpoints import endpoint
from praisonai_platform.search.schemas import SearchResult

_RESULTS = TypeAdapter(list[SearchResult])


def _read_results(response: httpx.Response) -> list[SearchResult]:
    return _RESULTS.validate_json(response.content)


def _search(
    _client: Any, workspace_id: str, q: str, *, limit: int | None = None, offset: int | None = None
) -> Call[list[SearchResult]]:
    """Issues, comments and projects holding every word of `q` (the last also as a prefix), or the
    issue `q` names by key or number; best first: the named issue, title matches, description
    matches, comments. Highlights are escaped HTML with `<mark>` around matched words."""
    path = api_path("workspaces", workspace_id, "search")
    return Call("GET", path, _read_results, params=query(q=q, limit=limit, offset=offset))


search = endpoint(_search)
