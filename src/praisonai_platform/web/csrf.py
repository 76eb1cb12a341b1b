"""Cross-site request forgery defence of the web app.

Every request that may change something (anything but GET, HEAD and OPTIONS) must carry the
page's token, in the form field `csrf_token` or the `X-CSRF-Token` header (htmx sends it from
`hx-headers` on the page's body). The token is an HMAC, under a key derived from the server's
secret, of a random value kept in an HttpOnly, SameSite=Lax cookie: another site can neither read
the token nor make a browser send a matching pair. A request whose `Origin` names another host is
refused as well. Refusals are a 403 page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request

from praisonai_platform.api.deps import app_setting
from praisonai_platform.core.server_settings import ServerSettings, load_server_settings
from praisonai_platform.web.session import is_https

CSRF_COOKIE = "platform_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_TOKEN = 200


class CsrfRefused(Exception):
    """A state-changing request without a valid token (or from another origin)."""


def _key(request: Request) -> bytes:
    settings: ServerSettings = app_setting(request, "server_settings", load_server_settings)
    secret = settings.signing_secret().encode()
    return hmac.new(secret, b"praisonai-platform web csrf", hashlib.sha256).digest()


def _sign(request: Request, seed: str) -> str:
    return hmac.new(_key(request), seed.encode(), hashlib.sha256).hexdigest()


def _seed(request: Request) -> str:
    """This browser's random value: from its cookie, or a new one the page's answer will set."""
    seed = getattr(request.state, "csrf_seed", None)
    if seed is None:
        cookie = request.cookies.get(CSRF_COOKIE)
        if cookie and 16 <= len(cookie) <= _MAX_TOKEN:
            seed = cookie
        else:
            seed = secrets.token_urlsafe(32)
            request.state.csrf_new_seed = True
        request.state.csrf_seed = seed
    return str(seed)


def csrf_token(request: Request) -> str:
    """The token forms and htmx requests of this page send back."""
    return _sign(request, _seed(request))


def set_csrf_cookie(request: Request, response: object) -> None:
    """Give the browser its random value if this request made a new one."""
    if getattr(request.state, "csrf_new_seed", False):
        set_cookie = getattr(response, "set_cookie")  # noqa: B009
        set_cookie(
            CSRF_COOKIE,
            request.state.csrf_seed,
            max_age=400 * 24 * 3600,
            path="/",
            secure=is_https(request),
            httponly=True,
            samesite="lax",
        )
        request.state.csrf_new_seed = False


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # browsers send Origin with every cross-site POST; none: not a browser's
    if origin == "null":
        return False
    host = urlsplit(origin).netloc
    allowed = {request.headers.get("host")}
    for setting in ("http_settings", "oauth_config"):
        value = getattr(request.app.state, setting, None)
        public = getattr(value, "public_url", None) or getattr(
            getattr(value, "options", None), "public_url", None
        )
        if isinstance(public, str):
            allowed.add(urlsplit(public).netloc)
    return bool(host) and host in allowed


async def check_csrf(request: Request) -> None:
    """A dependency of every web route: refuses a state-changing request without the token."""
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise CsrfRefused("cross-site request refused")
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not 16 <= len(cookie) <= _MAX_TOKEN:
        raise CsrfRefused("this form has expired; reload the page and try again")
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or len(sent) > _MAX_TOKEN:
        raise CsrfRefused("this form has expired; reload the page and try again")
    if not hmac.compare_digest(sent.encode(), _sign(request, cookie).encode()):
        raise CsrfRefused("this form has expired; reload the page and try again")
