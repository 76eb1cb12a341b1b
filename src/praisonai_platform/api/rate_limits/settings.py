"""Settings of the rate limits (PLATFORM_RATE_LIMIT_*).

Every server process of a deployment must agree on them; with several processes the counters
must be shared, so PLATFORM_RATE_LIMIT_STORAGE then names a Redis server.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from limits import RateLimitItem, parse_many
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load

# Storages that keep the moving windows every strategy needs, in this process or shared.
STORAGE_SCHEMES = frozenset(
    {
        "memory",
        "redis",
        "rediss",
        "redis+unix",
        "redis+sentinel",
        "redis+cluster",
        "valkey",
        "valkeys",
        "valkey+unix",
        "valkey+sentinel",
        "valkey+cluster",
    }
)
DEFAULT_AUTH_PATHS = (
    "/api/v1/auth/login",
    "/api/v1/auth/register",
    "/api/v1/auth/password",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/verify-email",
    "/api/v1/auth/oauth/*/authorize",
    "/api/v1/auth/oauth/*/callback",
    "/admin/login",
    "/sign-in",
    "/sign-up",
    "/forgot-password",
    "/reset-password",
    "/verify-email",
)
_PATTERN = re.compile(r"^(/[A-Za-z0-9._~*-]+)+/?$")


class RateLimitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLATFORM_", case_sensitive=False, extra="ignore")

    rate_limit_enabled: bool = Field(
        default=True,
        description="Limit request rates. Off: no request is ever answered 429 and no "
        "rate-limit headers are sent.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        min_length=1,
        description="Where the counters live: `memory://` (this process only) or a Redis "
        "server, e.g. `redis://host:6379/0` (also `rediss://` for TLS, `redis+sentinel://`, "
        "`redis+cluster://`). Several server processes (`serve --workers N`, several machines) "
        "need Redis, or each process counts on its own.",
    )
    rate_limit_key_prefix: str = Field(
        default="praisonai-platform",
        pattern=r"^[A-Za-z0-9._:-]{1,100}$",
        description="Prefix of every counter's key, so that several deployments can share one "
        "Redis server without sharing budgets.",
    )
    rate_limit_strategy: Literal["moving-window", "sliding-window-counter", "fixed-window"] = Field(
        default="moving-window",
        description="How requests are counted: `moving-window` is exact; "
        "`sliding-window-counter` approximates it with two counters per budget (cheaper "
        "on Redis for large budgets); `fixed-window` resets every period, so a client may "
        "spend up to twice a budget around a reset.",
    )
    rate_limit_reads: str = Field(
        default="2400/minute",
        description="Reads (GET, HEAD, OPTIONS) under /api/v1 per token or API key. Limits are "
        "written `N/period`, several separated by `;`, e.g. `100/second;2400/minute`; periods: "
        "second, minute, hour, day (or e.g. `10 minutes`).",
    )
    rate_limit_writes: str = Field(
        default="1200/minute",
        description="Writes (POST, PUT, PATCH, DELETE) under /api/v1 per token or API key; a "
        "budget separate from reads.",
    )
    rate_limit_anonymous: str = Field(
        default="600/minute",
        description="Requests under /api/v1 without a token or API key, per client address "
        "(other than the sign-in paths, which have their own limits).",
    )
    rate_limit_rejected_credentials: str = Field(
        default="60/minute",
        description="Answers 401 to requests carrying a token or API key, per client address. "
        "Once spent, that address's requests with credentials are refused until the window "
        "frees, so made-up credentials cannot buy fresh budgets.",
    )
    rate_limit_auth_paths: list[str] = Field(
        default_factory=lambda: list(DEFAULT_AUTH_PATHS),
        description="JSON array: the sign-in paths limited per client address and per account "
        "rather than per token. Each entry also covers the paths below it; `*` stands for one "
        "path segment (e.g. `/api/v1/auth/oauth/*/authorize`). Each entry has budgets of its "
        "own.",
    )
    rate_limit_auth_per_address: str = Field(
        default="60/minute;600/hour",
        description="Requests to each sign-in path per client address.",
    )
    rate_limit_auth_per_account: str = Field(
        default="10/minute;60/hour",
        description="Requests to each sign-in path per account: the lower-cased `email` of the "
        "JSON body (`username` of a form), whatever the client address.",
    )
    rate_limit_failures_per_address: str = Field(
        default="30/10minutes;300/day",
        description="Failed attempts (answered 401 or 403) at each sign-in path per client "
        "address; once one of these budgets is spent, that path refuses the address until its "
        "window frees.",
    )
    rate_limit_failures_per_account: str = Field(
        default="5/minute;10/15minutes;20/hour;50/day",
        description="Failed attempts (answered 401 or 403) at each sign-in path per account. "
        "Each budget is larger and longer than the one before, so the wait grows as failures "
        "add up: by default one minute after 5 failures, up to 15 minutes after 10, an hour "
        "after 20, a day after 50.",
    )

    @field_validator(
        "rate_limit_reads",
        "rate_limit_writes",
        "rate_limit_anonymous",
        "rate_limit_rejected_credentials",
        "rate_limit_auth_per_address",
        "rate_limit_auth_per_account",
        "rate_limit_failures_per_address",
        "rate_limit_failures_per_account",
    )
    @classmethod
    def _limits(cls, value: str) -> str:
        items = _parse(value)
        if not items or any(item.amount < 1 for item in items):
            raise ValueError("needs limits of at least one request, such as `60/minute`")
        return value.strip()

    @field_validator("rate_limit_storage")
    @classmethod
    def _storage(cls, value: str) -> str:
        value = value.strip()
        scheme = urlsplit(value).scheme.lower().removeprefix("async+")
        if scheme not in STORAGE_SCHEMES:
            raise ValueError("must start with memory:// or redis:// (or rediss://, valkey://, …)")
        return value

    @field_validator("rate_limit_auth_paths")
    @classmethod
    def _paths(cls, paths: list[str]) -> list[str]:
        for path in paths:
            if not _PATTERN.match(path):
                raise ValueError(f"{path!r} is not a path such as /api/v1/auth/login")
        return paths

    def items(self, field: str) -> list[RateLimitItem]:
        """The parsed limits of one of the limit fields."""
        return _parse(getattr(self, field))

    @property
    def storage_uri(self) -> str:
        """The storage's URI as the `limits` library's asynchronous storages name it."""
        value = self.rate_limit_storage
        return value if value.lower().startswith("async+") else f"async+{value}"


def _parse(value: str) -> list[RateLimitItem]:
    try:
        return parse_many(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a list of limits such as `10/minute;100/hour`"
        ) from None


def load_rate_limit_settings() -> RateLimitSettings:
    """Read the rate-limit settings; a bad value raises ConfigurationError naming the variable.

    A process calls this once, when it starts, and passes the result on."""
    return load(RateLimitSettings)
