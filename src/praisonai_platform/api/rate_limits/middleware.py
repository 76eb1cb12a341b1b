"""Rate limits, as ASGI middleware in front of every route.

Two kinds of budget:
- the sign-in paths (PLATFORM_RATE_LIMIT_AUTH_PATHS: login, register, password reset, OAuth
  authorize and callback, the admin login form) count per client address and per account (the
  email of the body), and their failures (401/403) fill budgets of their own, larger and longer
  one after the other, so the wait grows as failures add up;
- everything else under /api/v1 counts per credential (a hash of the token or API key, never the
  credential itself), reads and writes apart, and anonymous requests per client address.

The client address is the ASGI peer; behind a proxy uvicorn sets it from X-Forwarded-For only for
the proxies listed in `--forwarded-allow-ips`. The counters live in the storage the settings name
(this process's memory, or Redis shared by every process), through the `limits` library.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praisonai_platform.api.rate_limits.settings import RateLimitSettings

logger = logging.getLogger("praisonai_platform")

API_PREFIX = "/api/v1"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FAILURE_STATUSES = frozenset({401, 403})
# The email of a sign-in body is read from at most this much of it.
MAX_PARSED_BODY_BYTES = 64 * 1024
STRATEGIES: dict[str, type[RateLimiter]] = {
    "moving-window": MovingWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
    "fixed-window": FixedWindowRateLimiter,
}


@dataclass(frozen=True)
class Budget:
    """Where one limit stands for one key: what a response's headers report."""

    limit: int
    remaining: int
    reset: float  # seconds since the epoch when a request may be counted again

    def seconds_to_reset(self, now: float) -> int:
        return max(0, math.ceil(self.reset - now))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    budget: Budget | None  # the tightest budget, reported in the headers
    reason: str = "too many requests; wait before retrying"


class RateLimits:
    """The budgets of one settings object on one storage."""

    def __init__(self, settings: RateLimitSettings) -> None:
        self.settings = settings
        self.storage = _storage(settings.storage_uri)
        self.strategy = STRATEGIES[settings.rate_limit_strategy](self.storage)
        self.prefix = settings.rate_limit_key_prefix
        self.reads = settings.items("rate_limit_reads")
        self.writes = settings.items("rate_limit_writes")
        self.anonymous = settings.items("rate_limit_anonymous")
        self.rejected = settings.items("rate_limit_rejected_credentials")
        self.auth_per_address = settings.items("rate_limit_auth_per_address")
        self.auth_per_account = settings.items("rate_limit_auth_per_account")
        self.failures_per_address = settings.items("rate_limit_failures_per_address")
        self.failures_per_account = settings.items("rate_limit_failures_per_account")
        self.auth_paths = [(path, _path_matcher(path)) for path in settings.rate_limit_auth_paths]

    def auth_path(self, path: str) -> str | None:
        """The entry of PLATFORM_RATE_LIMIT_AUTH_PATHS that covers `path`, if any."""
        for entry, matcher in self.auth_paths:
            if matcher.match(path):
                return entry
        return None

    async def hit(self, items: Sequence[RateLimitItem], *key: str) -> Verdict:
        """Count one request against every limit of `items`; refused as soon as one is spent."""
        tightest: Budget | None = None
        for item in items:
            allowed = await self.strategy.hit(item, self.prefix, *key)
            budget = await self._budget(item, key)
            if not allowed:
                return Verdict(False, budget, "too many requests; wait before retrying")
            if tightest is None or budget.remaining < tightest.remaining:
                tightest = budget
        return Verdict(True, tightest)

    async def spent(self, items: Sequence[RateLimitItem], *key: str) -> Budget | None:
        """The first budget of `items` with nothing left (counting nothing), if any."""
        for item in items:
            if not await self.strategy.test(item, self.prefix, *key):
                return await self._budget(item, key)
        return None

    async def count(self, items: Sequence[RateLimitItem], *key: str) -> None:
        """Count one event (a failure) against every limit of `items`."""
        for item in items:
            await self.strategy.hit(item, self.prefix, *key)

    async def _budget(self, item: RateLimitItem, key: tuple[str, ...]) -> Budget:
        stats = await self.strategy.get_window_stats(item, self.prefix, *key)
        return Budget(item.amount, max(0, stats.remaining), stats.reset_time)


class _SweepingMemoryStorage(MemoryStorage):
    """`limits`' in-process storage, sweeping out expired entries at most once a second.

    The library's own starts a sweep of every key, with a hand-off to a thread per key, on each
    request counted. Counting never depends on the sweep (a window is judged by its entries'
    times), which only frees memory, so a sweep a second is as exact and much cheaper."""

    _next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL_S
        await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


SWEEP_INTERVAL_S = 1.0


def _storage(uri: str) -> Any:
    scheme = uri.split("://", 1)[0].lower()
    if scheme == "async+memory":
        return _SweepingMemoryStorage()
    return storage_from_string(uri)


def _path_matcher(pattern: str) -> re.Pattern[str]:
    """`pattern` and every path below it; `*` stands for one path segment."""
    body = "[^/]+".join(re.escape(part) for part in pattern.rstrip("/").split("*"))
    return re.compile(f"^{body}(?:/.*)?$")


def rate_limits_for(state: Any) -> RateLimits | None:
    """The app's limits, made on first use from `state.rate_limit_settings` (inside the running
    event loop, which the storage's connections belong to) and remade if the settings change."""
    settings: RateLimitSettings | None = getattr(state, "rate_limit_settings", None)
    if settings is None or not settings.rate_limit_enabled:
        return None
    limits: RateLimits | None = getattr(state, "rate_limits", None)
    if limits is None or limits.settings is not settings:
        limits = state.rate_limits = RateLimits(settings)
    return limits


class RateLimitMiddleware:
    """Answers 429 when a budget is spent; reports the tightest budget in the headers of every
    limited response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "app" not in scope:
            await self.app(scope, receive, send)
            return
        limits = rate_limits_for(scope["app"].state)
        if limits is None:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        auth_path = limits.auth_path(path)
        decide: _SignIn | _Api
        if auth_path is not None:
            body, receive = await _buffered(receive)
            decide = _SignIn(limits, auth_path, client_address(scope), _account(scope, body))
        elif path == API_PREFIX or path.startswith(API_PREFIX + "/") or path == "/mcp":
            decide = _Api(limits, scope)
        else:
            await self.app(scope, receive, send)
            return
        try:
            verdict = await decide.before()
        except Exception as error:
            # The counters are unreachable (Redis down): serve unlimited rather than refuse all.
            logger.error("rate limits: the counters' storage failed (%r); not limiting", error)
            await self.app(scope, receive, send)
            return
        if not verdict.allowed:
            await _refuse(send, verdict.budget, verdict.reason)
            return
        await self.app(scope, receive, _reporting(send, verdict.budget, decide.after))


class _SignIn:
    """A sign-in path: budgets per client address and per account, and failures counted apart."""

    def __init__(
        self, limits: RateLimits, auth_path: str, address: str, account: str | None
    ) -> None:
        self.limits = limits
        self.by_address = ("auth", auth_path, "address", address)
        self.by_account = ("auth", auth_path, "account", account) if account else None
        self.failures_by_address = ("failures", auth_path, "address", address)
        self.failures_by_account = ("failures", auth_path, "account", account) if account else None

    async def before(self) -> Verdict:
        limits = self.limits
        spent = await limits.spent(limits.failures_per_address, *self.failures_by_address)
        if spent is None and self.failures_by_account is not None:
            spent = await limits.spent(limits.failures_per_account, *self.failures_by_account)
        if spent is not None:
            return Verdict(False, spent, "too many failed attempts; wait before trying again")
        verdict = await limits.hit(limits.auth_per_address, *self.by_address)
        if verdict.allowed and self.by_account is not None:
            verdict = _tighter(verdict, await limits.hit(limits.auth_per_account, *self.by_account))
        return verdict

    async def after(self, status: int) -> None:
        if status in FAILURE_STATUSES:
            limits = self.limits
            await limits.count(limits.failures_per_address, *self.failures_by_address)
            if self.failures_by_account is not None:
                await limits.count(limits.failures_per_account, *self.failures_by_account)


class _Api:
    """Everything else under /api/v1: per credential (reads and writes apart), else per address."""

    def __init__(self, limits: RateLimits, scope: Scope) -> None:
        self.limits = limits
        self.address = client_address(scope)
        self.credential = _credential(scope)
        self.is_read = scope["method"] in READ_METHODS
        self.rejected = ("rejected", "address", self.address)

    async def before(self) -> Verdict:
        limits = self.limits
        if self.credential is None:
            return await limits.hit(limits.anonymous, "anonymous", "address", self.address)
        spent = await limits.spent(limits.rejected, *self.rejected)
        if spent is not None:
            return Verdict(False, spent, "too many requests with invalid credentials from here")
        if self.is_read:
            return await limits.hit(limits.reads, "reads", "credential", self.credential)
        return await limits.hit(limits.writes, "writes", "credential", self.credential)

    async def after(self, status: int) -> None:
        if self.credential is not None and status == 401:
            await self.limits.count(self.limits.rejected, *self.rejected)


def client_address(scope: Scope) -> str:
    """The peer's address, as the server (and its trusted proxies) reported it."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _credential(scope: Scope) -> str | None:
    """A digest of the request's token or API key, if it carries one."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return _digest(token.strip())
        elif name == b"x-api-key" and value.strip():
            return _digest(value.strip())
    return None


def _digest(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()[:40]


def _account(scope: Scope, body: bytes) -> str | None:
    """A digest of the lower-cased email the sign-in body names, if any."""
    if not body or len(body) > MAX_PARSED_BODY_BYTES:
        return None
    content_type = b""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            content_type = value.split(b";")[0].strip().lower()
    email: object = None
    try:
        if content_type == b"application/x-www-form-urlencoded":
            form = parse_qs(body.decode("utf-8"))
            email = next(iter(form.get("email") or form.get("username") or []), None)
        else:
            document = json.loads(body)
            if isinstance(document, dict):
                email = document.get("email")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(email, str) or not email.strip():
        return None
    # JSON may name unpaired surrogates, which strict UTF-8 cannot encode: such an email is
    # still one account to count (the route then refuses it as invalid).
    return _digest(email.strip().lower().encode("utf-8", "surrogatepass"))


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body (the request guard in front bounds its size), and a `receive`
    that hands it on downstream unchanged."""
    chunks: list[bytes] = []
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return b"".join(chunks), replay


def _tighter(first: Verdict, second: Verdict) -> Verdict:
    if not second.allowed or first.budget is None:
        return second
    if second.budget is not None and second.budget.remaining < first.budget.remaining:
        return second
    return first


def rate_limit_headers(budget: Budget, now: float) -> list[tuple[bytes, bytes]]:
    """The budget under both names in use: the IETF draft's `RateLimit-*` (reset in seconds
    from now) and GitHub's `X-RateLimit-*` (reset as seconds since the epoch)."""
    seconds = str(budget.seconds_to_reset(now)).encode()
    limit, remaining = str(budget.limit).encode(), str(budget.remaining).encode()
    return [
        (b"ratelimit-limit", limit),
        (b"ratelimit-remaining", remaining),
        (b"ratelimit-reset", seconds),
        (b"x-ratelimit-limit", limit),
        (b"x-ratelimit-remaining", remaining),
        (b"x-ratelimit-reset", str(math.ceil(budget.reset)).encode()),
    ]


def _reporting(
    send: Send, budget: Budget | None, on_start: Callable[[int], Awaitable[None]]
) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            try:
                await on_start(message["status"])
            except Exception:
                logger.exception("rate limits: could not count a failed attempt")
            if budget is not None:
                headers = list(message.get("headers", []))
                headers += rate_limit_headers(budget, time.time())
                message = {**message, "headers": headers}
        await send(message)

    return wrapped


async def _refuse(send: Send, budget: Budget | None, detail: str) -> None:
    now = time.time()
    retry_after = max(1, budget.seconds_to_reset(now)) if budget is not None else 1
    body = json.dumps(
        {"detail": f"{detail} (retry after {retry_after} s)", "code": "rate_limited"}
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
    ]
    if budget is not None:
        headers += rate_limit_headers(Budget(budget.limit, 0, budget.reset), now)
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
