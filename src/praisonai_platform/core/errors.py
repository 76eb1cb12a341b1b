"""Domain errors: each carries an HTTP status and a stable machine-readable code.

Services raise these; the API turns them into `{"detail": ..., "code": ...}` responses, the CLI
into one-line messages. Nothing here knows about a web framework.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PlatformError(Exception):
    status_code: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra


class Unauthenticated(PlatformError):
    status_code = 401
    default_code = "unauthenticated"


class InsufficientCredits(PlatformError):
    status_code = 402
    default_code = "insufficient_credits"


class Forbidden(PlatformError):
    status_code = 403
    default_code = "forbidden"


class NotFound(PlatformError):
    status_code = 404
    default_code = "not_found"


class Conflict(PlatformError):
    status_code = 409
    default_code = "conflict"


class PreconditionFailed(PlatformError):
    status_code = 412
    default_code = "precondition_failed"


class ValidationFailed(PlatformError):
    status_code = 422
    default_code = "validation_failed"


class RateLimited(PlatformError):
    status_code = 429
    default_code = "rate_limited"


class ConfigurationError(ValueError):
    """A setting is missing or unusable; the message names the environment variable."""
