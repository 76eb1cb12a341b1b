"""Security headers on every response, and CORS only for the origins an operator names.

A pure ASGI middleware around the whole application, outside even the handler of unexpected
errors, so 404s, 413s, 422s from the request guard and 500s carry the headers as well:

- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: same-origin`
  (with no-referrer browsers send `Origin: null` on the admin's own form posts, which its
  CSRF check refuses);
- a Content-Security-Policy: for JSON and other non-pages `default-src 'none'`; for HTML pages
  only the server's own scripts, styles and images; for the admin UI the same plus the inline
  scripts sqladmin's templates ship (allowed by their hash, not by 'unsafe-inline'); for the
  OpenAPI pages (/docs, /redoc) the same, with Swagger UI's inline start script. Every policy has
  `frame-ancestors 'none'`;
- `Strict-Transport-Security` when the public URL is https.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable
from functools import cache
from pathlib import Path

import sqladmin
from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praisonai_platform.api.http_settings import HttpSettings

ADMIN_PREFIX = "/admin"
# Headers a response may name on top of the simple ones, for pages on other origins.
EXPOSED_HEADERS = ["ETag", "Link", "Location", "Retry-After", "X-Total-Count",
                   "Preference-Applied", "RateLimit-Limit",
                   "RateLimit-Remaining", "RateLimit-Reset", "X-RateLimit-Limit",
                   "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used",
                   "X-RateLimit-Resource"]  # fmt: skip

_COMMON = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
    b"cross-origin-opener-policy": b"same-origin",
}
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# The OpenAPI pages: Swagger UI and ReDoc come from the server itself (fastapi-offline's copies),
# the inline script /docs starts Swagger UI with is allowed by its hash, computed on the way out;
# both inject their own styles, and ReDoc renders in a worker made from a blob.
DOCS_URL, REDOC_URL, DOCS_ASSETS_URL = "/docs", "/redoc", "/docs-assets"
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; worker-src blob:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def script_hash(script: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"


@cache
def admin_policy() -> str:
    """PAGE_POLICY plus the hashes of the fixed inline scripts of sqladmin's templates (a
    toast that shows flash messages); inline scripts that take values from the page are not
    allowed."""
    directories = [Path(sqladmin.__file__).parent / "templates", Path(__file__).parent / "admin"]
    hashes = set()
    for directory in directories:
        for template in directory.rglob("*.html"):
            for script in _INLINE_SCRIPT.findall(template.read_bytes()):
                if b"{{" not in script and b"{%" not in script:
                    hashes.add(script_hash(script))
    allowed = "".join(f" {value}" for value in sorted(hashes))
    return PAGE_POLICY.replace("script-src 'self'", f"script-src 'self'{allowed}")


class SecurityHeaders:
    """Add the security headers (and HSTS when `hsts_max_age` is given) to every response."""

    def __init__(
        self, app: ASGIApp, *, hsts_max_age: int | None, docs_paths: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.common = dict(_COMMON)
        if hsts_max_age is not None:
            self.common[b"strict-transport-security"] = f"max-age={hsts_max_age}".encode()
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in self.docs_paths:
            await self.app(scope, receive, _page_hashing(send, self.common))
            return
        admin = path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                policy = API_POLICY
                if headers.get("content-type", "").startswith("text/html"):
                    policy = admin_policy() if admin else PAGE_POLICY
                _add(headers, self.common, policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _add(headers: MutableHeaders, common: dict[bytes, bytes], policy: str) -> None:
    present = {name for name, _ in headers.raw}
    for name, value in common.items():
        if name not in present:
            headers.raw.append((name, value))
    if b"content-security-policy" not in present:
        headers.raw.append((b"content-security-policy", policy.encode()))


def _page_hashing(send: Send, common: dict[bytes, bytes]) -> Callable[[Message], Awaitable[None]]:
    """A `send` that holds the (small) docs page back until its inline scripts are hashed."""
    held: list[Message] = []

    async def send_after_hashing(message: Message) -> None:
        if message["type"] == "http.response.start" or held:
            held.append(message)
        else:
            await send(message)
            return
        if message["type"] != "http.response.body" or message.get("more_body", False):
            return
        start, *body = held
        page = b"".join(part.get("body", b"") for part in body)
        hashes = "".join(f" {script_hash(s)}" for s in _INLINE_SCRIPT.findall(page))
        _add(MutableHeaders(scope=start), common, DOCS_POLICY.format(hashes=hashes))
        held.clear()
        await send(start)
        for part in body:
            await send(part)

    return send_after_hashing


def install_security_headers(app: FastAPI, settings: HttpSettings, public_url: str | None) -> None:
    """CORS for the configured origins (none: no CORS at all), and the security headers around
    everything, error handling included. `public_url` is the server's address (https: HSTS)."""
    if settings.origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=EXPOSED_HEADERS,
            allow_credentials=False,
            max_age=600,
        )
    address = settings.public_url or public_url
    hsts = settings.hsts_max_age_seconds if address and address.startswith("https://") else None
    docs = [DOCS_URL, REDOC_URL]
    if app.swagger_ui_oauth2_redirect_url:
        docs.append(app.swagger_ui_oauth2_redirect_url)
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        # Outside Starlette's ServerErrorMiddleware, which answers 500s itself.
        return SecurityHeaders(build(), hsts_max_age=hsts, docs_paths=docs)

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
