"""The admin UI at /admin (sqladmin), on the same engine and models as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqladmin import Admin
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from praisonai_platform.accounts.oauth.settings import load_oauth_config
from praisonai_platform.api.admin.account_views import ACCOUNT_VIEWS
from praisonai_platform.api.admin.auth import AdminAuth
from praisonai_platform.api.admin.csrf import SameOriginGuard
from praisonai_platform.api.admin.integration_views import INTEGRATION_VIEWS
from praisonai_platform.api.admin.run_views import RUN_VIEWS
from praisonai_platform.api.admin.sessions import CurrentEngineSessions, ReadOnlyPageViews
from praisonai_platform.api.admin.settings import load_admin_settings
from praisonai_platform.api.admin.work_views import WORK_VIEWS
from praisonai_platform.core.server_settings import ServerSettings

BASE_URL = "/admin"
TEMPLATES = Path(__file__).parent / "templates"


class PlatformAdmin(Admin):
    async def login(self, request: Request) -> Response:
        """sqladmin answers a refused sign-in 400; 401 is what the rate limits count as a failed
        sign-in, so guessing an administrator's password here is locked out as at the API."""
        response = await super().login(request)
        if request.method == "POST" and response.status_code == 400:
            response.status_code = 401
        return response


def install_admin(app: FastAPI) -> Admin | None:
    """Mount the admin UI, unless PLATFORM_ADMIN_ENABLED=false."""
    settings = getattr(app.state, "admin_settings", None) or load_admin_settings()
    if not settings.enabled:
        return None
    server_settings: ServerSettings = app.state.server_settings
    oauth_config = getattr(app.state, "oauth_config", None) or load_oauth_config()
    public_url = oauth_config.options.public_url
    admin = PlatformAdmin(
        app,
        session_maker=CurrentEngineSessions(),  # type: ignore[arg-type]
        base_url=BASE_URL,
        title="praisonai-platform admin",
        templates_dir=str(TEMPLATES),
        middlewares=[
            Middleware(SameOriginGuard, public_url=public_url),
            Middleware(ReadOnlyPageViews),
        ],
        authentication_backend=AdminAuth(server_settings, settings, public_url),
    )
    for view in (*ACCOUNT_VIEWS, *WORK_VIEWS, *RUN_VIEWS, *INTEGRATION_VIEWS):
        admin.add_view(view)
    return admin
