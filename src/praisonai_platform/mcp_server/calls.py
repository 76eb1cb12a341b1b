"""One tool call: its credential, its transaction, its workspace, and its errors.

Each call authenticates the API key again (a revoked key stops working at once), runs in one
transaction of its own (read-only for the tools that only read), and turns every failure into an
MCP tool error whose message starts with the stable code the REST API would answer with.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from praisonai_platform.accounts.api_keys import service as api_keys
from praisonai_platform.accounts.settings import AccountSettings
from praisonai_platform.billing.settings import BillingSettings
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import (
    Forbidden,
    NotFound,
    PlatformError,
    Unauthenticated,
    ValidationFailed,
)
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Member, Workspace
from praisonai_platform.runs.settings import RunSettings
from praisonai_platform.workspaces.references import ISSUE_KEY

logger = logging.getLogger("praisonai_platform.mcp")

T = TypeVar("T")

# How many of the caller's workspaces an error message names at most.
_NAMED_AT_MOST = 20


@dataclass(frozen=True, slots=True)
class McpConfig:
    """What the MCP server needs, read once when it is built.

    `api_key`: the key every call acts with (stdio); None: each call's own
    `Authorization: Bearer` header (HTTP). `default_workspace`: the workspace a tool uses when
    none is named (id, slug, issue prefix or name)."""

    run_settings: RunSettings
    billing_settings: BillingSettings
    account_settings: AccountSettings
    api_key: str | None = None
    default_workspace: str | None = None


def key_from_headers(headers: Mapping[str, str] | None) -> str | None:
    """The API key of `Authorization: Bearer ppk_…` (or `X-API-Key`), if the request has one."""
    if not headers:
        return None
    lowered = {name.lower(): value for name, value in headers.items()}
    scheme, _, credential = lowered.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return credential.strip()
    api_key = lowered.get("x-api-key", "").strip()
    return api_key or None


class Call:
    """A tool call in progress: its session, who is acting, and how to find its workspace."""

    def __init__(self, session: AsyncSession, actor: Actor, config: McpConfig) -> None:
        self.session = session
        self.actor = actor
        self.config = config

    async def workspace(self, reference: str | None) -> str:
        """The id of the workspace named by id, slug, issue prefix or name (else the default
        one, the one the key is limited to, or the caller's only one).

        A reference that names none of the caller's workspaces is passed on as an id: the
        service answers it as the REST API would (not found for a non-member)."""
        reference = reference or self.config.default_workspace
        if reference is None:
            if self.actor.workspace_id is not None:
                return self.actor.workspace_id
            return await self._only_workspace()
        wanted = reference.strip()
        rows = (
            await self.session.execute(
                self._mine(Workspace.id, Workspace.slug, Workspace.issue_prefix, Workspace.name)
                .where(
                    or_(
                        Workspace.id == wanted,
                        Workspace.slug == wanted.lower(),
                        func.upper(Workspace.issue_prefix) == wanted.upper(),
                        func.lower(Workspace.name) == wanted.lower(),
                    )
                )
                .limit(_NAMED_AT_MOST)
            )
        ).all()
        tests: list[Callable[[Any], bool]] = [
            lambda row: row.id == wanted,
            lambda row: row.slug == wanted.lower(),
            lambda row: row.issue_prefix.upper() == wanted.upper(),
            lambda row: row.name.lower() == wanted.lower(),
        ]
        for matches in tests:
            found = [str(row.id) for row in rows if matches(row)]
            if len(found) == 1:
                return found[0]
            if found:
                raise ValidationFailed(
                    f"workspace: {wanted!r} names several workspaces; use the id or slug",
                    code="ambiguous_workspace",
                )
        return wanted

    async def workspace_of_issue(self, reference: str | None, issue: str) -> str:
        """The workspace of an issue: the one named, else the one whose issue prefix the key
        (ENG-42) has, else as `workspace` finds it."""
        if reference is None and self.config.default_workspace is None:
            key = ISSUE_KEY.match(issue.strip())
            if key is not None and self.actor.workspace_id is None:
                found = list(
                    await self.session.scalars(
                        self._mine(Workspace.id)
                        .where(func.upper(Workspace.issue_prefix) == key.group(1).upper())
                        .limit(2)
                    )
                )
                if len(found) == 1:
                    return str(found[0])
        return await self.workspace(reference)

    async def _only_workspace(self) -> str:
        rows = (
            await self.session.execute(
                self._mine(Workspace.id, Workspace.slug)
                .order_by(Workspace.created_at, Workspace.id)
                .limit(_NAMED_AT_MOST + 1)
            )
        ).all()
        if len(rows) == 1:
            return str(rows[0].id)
        if not rows:
            raise NotFound("you are not a member of any workspace", code="no_workspace")
        names = ", ".join(row.slug for row in rows[:_NAMED_AT_MOST])
        raise ValidationFailed(
            f"workspace: you have several workspaces; name one ({names})",
            code="workspace_required",
        )

    def _mine(self, *columns: Any) -> Any:
        return (
            select(*columns)
            .join(Member, Member.workspace_id == Workspace.id)
            .where(Member.user_id == self.actor.user_id)
        )


Work = Callable[[Call], Awaitable[T]]


class CodedToolError(ToolError):
    """A domain error as a tool error: `code: detail`, and the REST API's status for it."""

    def __init__(self, code: str, detail: str, status: int) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.status = status


async def run(config: McpConfig, context: Context[Any, Any], work: Work[T], *, writes: bool) -> T:
    """Authenticate, run `work` in one transaction (committed when it succeeds), and turn a
    failure into a tool error with its stable code."""
    try:
        secret = config.api_key or key_from_headers(context.headers)
        if secret is None or not api_keys.looks_like_key(secret):
            raise Unauthenticated(
                "send an API key: Authorization: Bearer ppk_…", code="unauthenticated"
            )
        return await _run(config, secret, work, writes=writes)
    except ToolError:
        raise
    except PlatformError as exc:
        raise CodedToolError(exc.code, exc.detail, exc.status_code) from None
    except StaleDataError:
        raise ToolError(
            "concurrent_update: changed by someone else meanwhile; reload and retry"
        ) from None
    except (DBAPIError, PoolTimeoutError) as exc:
        raise ToolError(_database_error(exc)) from None


async def _run(config: McpConfig, secret: str, work: Work[T], *, writes: bool) -> T:
    async with session_scope(read_only=not writes) as session:
        use = await api_keys.authenticate(session, secret)
        if writes:
            _check_unverified(config.account_settings, use.actor)
            if use.record:
                await api_keys.record_use(session, _key_id(use.actor), use.at)
        result = await work(Call(session, use.actor, config))
    if not writes and use.record:
        await _record_after_reading(use)
    return result


def _key_id(actor: Actor) -> str:
    assert actor.api_key_id is not None  # an API key authenticated it
    return actor.api_key_id


async def _record_after_reading(use: api_keys.KeyUse) -> None:
    """The key's last use, in a short write transaction of its own after a read."""
    try:
        async with session_scope() as session:
            await api_keys.record_use(session, _key_id(use.actor), use.at)
    except SQLAlchemyError:
        # Bookkeeping only: the reader has its answer.
        logger.warning("could not record an API key's use after a read", exc_info=True)


def _check_unverified(settings: AccountSettings, actor: Actor) -> None:
    """PLATFORM_UNVERIFIED_ACCOUNTS=restrict: an account changes nothing until its email is
    verified, as over REST."""
    if settings.unverified_accounts == "restrict" and actor.user.email_verified_at is None:
        raise Forbidden(
            "verify your email address first: follow the link we sent, or ask for a new one",
            code="email_not_verified",
        )


def _sqlstate(exc: Exception) -> str:
    original = getattr(exc, "orig", None)
    return str(getattr(original, "sqlstate", None) or getattr(original, "pgcode", None) or "")


def _database_error(exc: Exception) -> str:
    """The API's answer to a database failure, as a tool error's text (no SQL in it)."""
    state = _sqlstate(exc)
    if isinstance(exc, IntegrityError) or state.startswith("23"):
        return "conflict: this conflicts with existing data"
    if isinstance(exc, DataError) or state.startswith("22"):
        return "invalid_value: a value is out of range or malformed"
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError):
        logger.warning("database unavailable during an MCP call: %s", exc)
        return "database_unavailable: the database is unavailable; try again"
    logger.error("database error during an MCP call", exc_info=exc)
    return "internal_error: internal error"
