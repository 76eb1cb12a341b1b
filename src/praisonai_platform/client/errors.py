"""What the SDK raises: one exception class per kind of failure, all under PlatformError.

Each carries the HTTP status (None when no response arrived), the server's stable `code` and its
message, so callers can branch on the class or the code and show the message as it is.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


class PlatformError(Exception):
    """Base of every SDK error."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str = "error",
        detail: Any = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.detail = detail if detail is not None else message
        self.response = response

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, code={self.code!r})"


class AuthenticationError(PlatformError):
    """401: not signed in, wrong credentials, or an expired or revoked token."""


class PermissionDenied(PlatformError):
    """403: signed in, but your role does not allow this."""


class NotFound(PlatformError):
    """404: no such thing, or it is in a workspace you are not a member of."""


class Conflict(PlatformError):
    """409: conflicts with existing data or with a concurrent change."""


class PreconditionFailed(PlatformError):
    """412: the If-Match version is stale; reload and retry."""


class ValidationError(PlatformError):
    """400, 413, 422: the request was refused as invalid."""


class RateLimited(PlatformError):
    """429: too many requests; `retry_after` says how many seconds to wait, when known."""

    @property
    def retry_after(self) -> float | None:
        return retry_after_seconds(self.response) if self.response is not None else None


class ServerError(PlatformError):
    """5xx: the server failed or is unavailable."""


class ConnectionFailed(PlatformError):
    """No answer: the server could not be reached or the connection broke."""


class RequestTimeout(ConnectionFailed):
    """No answer within the configured timeout."""


class WaitTimeout(PlatformError, TimeoutError):
    """A wait ran out of time before what it waited for happened (e.g. a run ending); `last`
    is the last state seen."""

    def __init__(self, message: str, *, last: Any = None) -> None:
        super().__init__(message, code="wait_timeout")
        self.last = last


_BY_STATUS: dict[int, type[PlatformError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    413: ValidationError,
    422: ValidationError,
    429: RateLimited,
}


def error_from_response(response: httpx.Response) -> PlatformError:
    """The exception for an error response: `{"detail", "code"}` or whatever a proxy sent."""
    status = response.status_code
    detail: Any = None
    code = f"http_{status}"
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail")
        code = str(body.get("code") or code)
    if detail is None:
        detail = response.text.strip()[:200] or response.reason_phrase or f"HTTP {status}"
    error_class = _BY_STATUS.get(status, ServerError if status >= 500 else PlatformError)
    return error_class(
        _message(detail), status_code=status, code=code, detail=detail, response=response
    )


def error_from_transport(exc: httpx.TransportError, url: str) -> ConnectionFailed:
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeout(
            f"no answer from {url} in time ({type(exc).__name__})", code="timeout"
        )
    reason = str(exc) or type(exc).__name__
    return ConnectionFailed(f"cannot reach {url}: {reason}", code="connection_failed")


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (a number or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _message(detail: Any) -> str:
    """One line: a list of validation problems becomes `field: problem; field: problem`."""
    if isinstance(detail, list):
        problems = []
        for problem in detail:
            if isinstance(problem, dict):
                where = ".".join(
                    str(part) for part in problem.get("loc", []) if part not in ("body", "query")
                )
                text = str(problem.get("msg", problem))
                problems.append(f"{where}: {text}" if where else text)
            else:
                problems.append(str(problem))
        return "; ".join(problems) or "invalid request"
    return " ".join(str(detail).split())
