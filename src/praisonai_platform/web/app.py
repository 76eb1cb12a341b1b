"""Mount the web app on the FastAPI application: its pages, its static files, its errors.

Every page router is included with the CSRF check as a dependency, so no state-changing web
route can be added without it. Failures on web pages (not /api/v1, /admin or the OpenAPI pages)
asked for by a browser are answered with an HTML page; htmx requests get the message as text
(shown by app.js); everything else keeps the API's JSON errors.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from praisonai_platform.web import (
    accounts_pages,
    board_pages,
    issue_pages,
    live_pages,
    project_pages,
    workspace_pages,
)
from praisonai_platform.web.csrf import CsrfRefused, check_csrf
from praisonai_platform.web.session import SignInRequired, sign_in_url
from praisonai_platform.web.templating import STATIC, render

STATIC_URL = "/static"
_NOT_WEB = ("/api/", "/admin", "/docs", "/redoc", "/docs-assets", "/health", "/ready", "/openapi")
_TITLES = {
    400: "Bad request",
    401: "Sign in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    412: "Changed meanwhile",
    413: "Too large",
    422: "Check what you entered",
    429: "Too many requests",
}

Handler = Callable[[Request, Exception], Awaitable[Response]]


def is_web_request(request: Request) -> bool:
    """A browser asking for one of the web app's pages (or an htmx request from one)."""
    path = request.url.path
    if path == "/api" or path.startswith(_NOT_WEB) or path.startswith(STATIC_URL + "/"):
        return False
    return "text/html" in request.headers.get("accept", "") or is_htmx(request)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def error_page(request: Request, status: int, detail: str, code: str) -> Response:
    if is_htmx(request):
        return PlainTextResponse(detail, status_code=status)
    title = _TITLES.get(status, "Something went wrong")
    context = {"status": status, "title": title, "detail": detail, "code": code}
    return render(request, "errors/error.html", context, status_code=status)


def _web_version(original: Handler) -> Handler:
    """The API's handler, its JSON answer turned into a page for a browser's web request."""

    async def handle(request: Request, exc: Exception) -> Response:
        response = await original(request, exc)
        if not is_web_request(request):
            return response
        status = response.status_code
        try:
            document = json.loads(bytes(response.body))
        except ValueError:
            document = {}
        detail, code = document.get("detail"), document.get("code") or "error"
        if status == 404 and code == "not_found" and isinstance(exc, StarletteHTTPException):
            detail = "there is no such page"
        elif not isinstance(detail, str):
            detail = "some of what you entered is missing or not valid"
        page = error_page(request, status, detail, str(code))
        if "retry-after" in response.headers:
            page.headers["Retry-After"] = response.headers["retry-after"]
        return page

    return handle


def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = sign_in_url(exc.next_url)
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _csrf_refused(request: Request, exc: Exception) -> Response:
    return error_page(request, 403, str(exc), "csrf_refused")


def install_web(app: FastAPI) -> None:
    """The web app's routes at `/`, static files at /static, and its error pages."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="static")
    csrf = [Depends(check_csrf)]
    pages = (accounts_pages, workspace_pages, issue_pages, board_pages, project_pages, live_pages)
    for module in pages:
        app.include_router(module.router, dependencies=csrf, include_in_schema=False)
    # The API's error handlers (api/errors.py), each answering a web page for the web app.
    for exception_class, handler in list(app.exception_handlers.items()):
        app.add_exception_handler(exception_class, _web_version(handler))  # type: ignore[arg-type]
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
