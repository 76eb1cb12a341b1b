"""Cross-site request forgery defence of the admin UI.

The session cookie is SameSite=Lax, so browsers do not send it with another site's POST; on top
of that every state-changing request must come from a page of this server: its Origin header (or,
when a browser sends none, its Referer) must name this host or PLATFORM_OAUTH_PUBLIC_URL's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SameOriginGuard:
    def __init__(self, app: ASGIApp, public_url: str | None = None) -> None:
        self.app = app
        self.public_host = urlsplit(public_url).netloc if public_url else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = Headers(scope=scope)
            source = headers.get("origin") or headers.get("referer")
            if not self._same_origin(source, headers.get("host")):
                refusal = PlainTextResponse("cross-site request refused", status_code=403)
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _same_origin(self, source: str | None, host: str | None) -> bool:
        if not source or source == "null":
            return False
        try:
            origin_host = urlsplit(source).netloc
        except ValueError:
            return False
        return bool(origin_host) and origin_host in (host, self.public_host)
