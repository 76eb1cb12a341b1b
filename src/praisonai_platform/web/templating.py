"""Jinja2 templates of the web app, and `render`, which every page answers with.

Autoescape is on: whatever a person or an agent wrote is text in the page, never markup.
Markdown goes through `web.markdown.render` (sanitised) and is the only `Markup` a page shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from praisonai_platform import __version__
from praisonai_platform.web.csrf import csrf_token, set_csrf_cookie
from praisonai_platform.web.session import LAST_WORKSPACE_COOKIE, is_https

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

templates = Jinja2Templates(
    env=jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
)


def static_url(path: str) -> str:
    """The URL of a static file, with the version as a cache-buster."""
    return f"/static/{path}?v={__version__}"


templates.env.globals["static_url"] = static_url
templates.env.globals["version"] = __version__


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """The page `name` rendered with `context`, plus what every page needs: `csrf_token`, the
    signed-in `user` (a `session.Person`; None when nobody is), `workspaces` (the user's, for
    the switcher) and the current `workspace` if `context` has one (then remembered as the one
    `/` opens)."""
    state = request.state
    full: dict[str, Any] = {
        "request": request,
        "user": getattr(state, "page_person", None),
        "workspaces": getattr(state, "page_workspaces", ()),
        "workspace": None,
        "csrf_token": csrf_token(request),
        **context,
    }
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    set_csrf_cookie(request, response)
    workspace = full.get("workspace")
    slug = getattr(workspace, "slug", None)
    if isinstance(slug, str) and request.cookies.get(LAST_WORKSPACE_COOKIE) != slug:
        response.set_cookie(
            LAST_WORKSPACE_COOKIE,
            slug,
            max_age=400 * 24 * 3600,
            path="/",
            secure=is_https(request),
            httponly=True,
            samesite="lax",
        )
    return response
