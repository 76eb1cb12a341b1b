"""The MCP server over streamable HTTP, at `/mcp` in the API server.

Stateless: each request stands alone (no session kept in a process), so any of the server's
processes (`serve --workers N`) answers any request, and responses are plain JSON. Every
request must carry an API key (`Authorization: Bearer ppk_…`); without a valid one it is
answered 401 before the MCP layer sees it, and each tool call checks the key again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.types import Receive, Scope, Send

from praisonai_platform.accounts.api_keys import service as api_keys
from praisonai_platform.core.errors import Unauthenticated
from praisonai_platform.db import session_scope

if TYPE_CHECKING:
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    from praisonai_platform.mcp_server.calls import McpConfig

logger = logging.getLogger("praisonai_platform.mcp")

PATH = "/mcp"


class McpEndpoint:
    """The ASGI app at /mcp. It serves while `running` (the application's lifespan) is open
    and answers 503 otherwise."""

    def __init__(self) -> None:
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self, config: McpConfig) -> AsyncIterator[None]:
        # The MCP SDK is imported here, not with the application: it doubles what importing
        # the server costs, and only a running server needs it.
        from mcp.server.transport_security import TransportSecuritySettings

        from praisonai_platform.mcp_server.server import build_server

        server = build_server(config)
        # An API key in a header is the only credential: no cookie, so nothing a page on
        # another origin could use, and the Host header need not be checked.
        server.streamable_http_app(
            streamable_http_path=PATH,
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        manager = server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
        from mcp.server.auth.provider import AccessToken

        from praisonai_platform.mcp_server.calls import key_from_headers

        manager = self._manager
        if scope["type"] != "http" or manager is None:
            await _reply(send, 503, "the MCP endpoint is not running", "unavailable")
            return
        if scope["method"] not in ("POST", "DELETE"):
            # Stateless: no stream of the server's own to open with GET (MCP allows a 405).
            await _reply(
                send, 405, "send MCP messages with POST", "method_not_allowed", allow=b"POST"
            )
            return
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        secret = key_from_headers(headers)
        if secret is None or not api_keys.looks_like_key(secret):
            await _reply(
                send, 401, "send an API key: Authorization: Bearer ppk_…", "unauthenticated"
            )
            return
        try:
            async with session_scope(read_only=True) as session:
                use = await api_keys.authenticate(session, secret)
        except Unauthenticated as exc:
            await _reply(send, 401, exc.detail, exc.code)
            return
        except SQLAlchemyError:
            logger.warning("database unavailable while checking an MCP request's key")
            await _reply(
                send, 503, "the database is unavailable; try again", "database_unavailable"
            )
            return
        actor = use.actor
        token = AccessToken(
            token=api_keys.hash_key(secret),
            client_id=str(actor.api_key_id),
            subject=actor.id,
            scopes=sorted(actor.scopes or ()),
        )
        await manager.handle_request({**scope, "user": AuthenticatedUser(token)}, receive, send)


def endpoint_running(state: Any) -> AbstractAsyncContextManager[None]:
    """The /mcp endpoint of an application (its `state.mcp`) serving for the application's
    lifespan, with the settings the application read at its start."""
    from praisonai_platform.mcp_server.calls import McpConfig

    endpoint: McpEndpoint | None = getattr(state, "mcp", None)
    if endpoint is None:
        return nullcontext()
    return endpoint.running(
        McpConfig(
            run_settings=state.run_settings,
            billing_settings=state.billing_settings,
            account_settings=state.account_settings,
        )
    )


async def _reply(
    send: Send, status: int, detail: str, code: str, *, allow: bytes | None = None
) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if allow is not None:
        headers.append((b"allow", allow))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
