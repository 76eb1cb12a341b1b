"""Route of /api/v1/workspaces/{workspace_id}/search."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter
from praisonai_platform.search import service
from praisonai_platform.search.schemas import SearchResult
from praisonai_platform.search.terms import MAX_QUERY_LENGTH, MAX_WORDS

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["search"])


@router.get("/search", response_model=list[SearchResult])
async def search(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    request: Request,
    response: Response,
    q: Annotated[
        str,
        Query(
            # Longer texts than a search takes get the search's own code, like the list's q.
            max_length=MAX_QUERY_LENGTH * 5,
            description=f"Words to find, at most {MAX_WORDS} in {MAX_QUERY_LENGTH} characters "
            "(the last also as a prefix: `webh` finds `webhook`), or an issue's key or number "
            "(`ENG-42`, `42`, `#42`).",
        ),
    ],
    limit: Annotated[
        int, Query(ge=1, le=service.MAX_LIMIT, description="Results per page.")
    ] = service.DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=service.MAX_OFFSET, description="Results to skip.")] = 0,
) -> list[SearchResult]:
    """Issues, comments and projects of the workspace that hold every word of `q`: the issue
    `q` names first, then title (and project name) matches, then description matches, then
    comments; newest first within each. A `Link: <…>; rel="next"` header points to the next
    page while there is one; there is no total count."""
    page = await service.search(session, actor, workspace_id, q, limit=limit, offset=offset)
    if page.more and offset + limit <= service.MAX_OFFSET:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
        query = urlencode([*kept, ("offset", str(offset + limit))])
        response.headers["Link"] = f'<{request.url.replace(query=query)}>; rel="next"'
    return page.results
