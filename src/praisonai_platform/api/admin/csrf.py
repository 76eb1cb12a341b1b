"""Cross-site request forgery defence of the admin UI.

The session cookie is SameSite=Lax, so browsers do not send it with another site's POST; on top
of that every state-changing request must come from a page of this server: its Origin header (or,
when a browser sends none, its Referer) must name this host or PLATFORM_OAUTH_PUBLIC_URL's.
Lax cookies do come with another site's links (GET), so a GET that does more than show a page
(sign-out) asks `sent_from_here` first.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of requests a browser sent from this origin, or on the user's own
# action (address bar, bookmark).
FROM_HERE = frozenset({"same-origin", "none"})


def host_of(url: str | None) -> str | None:
    return urlsplit(url).netloc if url else None


def same_origin(headers: Headers, public_host: str | None) -> bool:
    """Whether the Origin header (or, without one, the Referer) names this server's host or
    the public URL's host."""
    source = headers.get("origin") or headers.get("referer")
    if not source or source == "null":
        return False
    try:
        origin_host = urlsplit(source).netloc
    except ValueError:
        return False
    return bool(origin_host) and origin_host in (headers.get("host"), public_host)


def sent_from_here(headers: Headers, public_host: str | None) -> bool:
    """Whether a browser sent this request from a page of this server (or on the user's own
    action): by Sec-Fetch-Site where the browser sends it, else by Origin or Referer."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in FROM_HERE
    return same_origin(headers, public_host)


class SameOriginGuard:
    def __init__(self, app: ASGIApp, public_url: str | None = None) -> None:
        self.app = app
        self.public_host = host_of(public_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and not same_origin(Headers(scope=scope), self.public_host)
        ):
            refusal = PlainTextResponse("cross-site request refused", status_code=403)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
