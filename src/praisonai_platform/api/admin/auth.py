"""Who may use the admin UI: users with `is_admin`, signed in with their email and password.

The session is a signed cookie (Starlette's SessionMiddleware) holding the user's id and token
version; every request checks again that the user still exists, is active, is an admin and has
not signed out or changed their password since (the version), so demoting or deactivating
someone, or their logout anywhere, ends their admin session at once.
"""

from __future__ import annotations

import hashlib
import hmac

from sqladmin.authentication import AuthenticationBackend
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from praisonai_platform.accounts import service as users
from praisonai_platform.api.admin.csrf import host_of, sent_from_here
from praisonai_platform.api.admin.settings import AdminSettings
from praisonai_platform.core.errors import Unauthenticated
from praisonai_platform.core.schemas import check_text
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import User

SESSION_COOKIE = "platform_admin"
MAX_EMAIL_LENGTH = 320
MAX_PASSWORD_LENGTH = 4096


class _SessionKey:
    """The cookie-signing key, derived from the JWT secret (never the secret itself) when the
    session middleware is first built: `str()` of it is all the middleware asks for."""

    def __init__(self, settings: ServerSettings) -> None:
        self._settings = settings

    def __str__(self) -> str:
        secret = self._settings.signing_secret().encode()
        return hmac.new(secret, b"praisonai-platform admin session", hashlib.sha256).hexdigest()


class AdminAuth(AuthenticationBackend):
    def __init__(
        self,
        server_settings: ServerSettings,
        settings: AdminSettings,
        public_url: str | None = None,
    ) -> None:
        self.public_host = host_of(public_url)
        secure = settings.cookie_secure
        super().__init__(
            secret_key=_SessionKey(server_settings),  # type: ignore[arg-type]
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_max_age_seconds,
            same_site="lax",
            https_only=secure if secure is not None else server_settings.env == "production",
        )

    async def login(self, request: Request) -> bool:
        form = await request.form()
        email, password = form.get("username"), form.get("password")
        if not (
            isinstance(email, str)
            and isinstance(password, str)
            and 0 < len(email) <= MAX_EMAIL_LENGTH
            and len(password) <= MAX_PASSWORD_LENGTH
        ):
            return False
        try:
            check_text(email)
            check_text(password)
            user = await users.authenticate(email=email, password=password, require_admin=True)
        except (ValueError, Unauthenticated):
            return False
        request.session.clear()
        request.session["user_id"] = user.id
        request.session["tv"] = user.token_version
        return True

    async def logout(self, request: Request) -> Response:
        """Signing out ends the session everywhere: the cookie is signed, not stored, so a copy
        of it would otherwise keep working until it expires. The user's token version moves
        on, which ends their API tokens too.

        Only when asked from this server's pages, though: sign-out is a GET, which the Lax
        cookie comes with from another site's link too. Such a request only clears this
        browser's cookie, so that no other site can end someone's every session."""
        user_id = request.session.get("user_id")
        if (
            isinstance(user_id, str)
            and sent_from_here(request.headers, self.public_host)
            and await self.authenticate(request)
        ):
            async with session_scope() as session:
                await users.end_sessions(session, user_id)
        request.session.clear()
        return RedirectResponse(request.url_for("admin:login"), status_code=302)

    async def authenticate(self, request: Request) -> bool:
        user_id = request.session.get("user_id")
        if not isinstance(user_id, str):
            return False
        async with session_scope(read_only=True) as session:
            user = await session.get(User, user_id)
        if (
            user is None
            or not user.is_active
            or not user.is_admin
            or request.session.get("tv", 0) != user.token_version
        ):
            request.session.clear()
            return False
        return True
