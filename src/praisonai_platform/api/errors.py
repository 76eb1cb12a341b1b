"""One place where every failure becomes `{"detail": ..., "code": ...}` with the right status.

No SQL text, stack trace or echoed secret ever reaches a response.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import (
    TimeoutError as PoolTimeoutError,
)
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from praisonai_platform.core.errors import PlatformError

logger = logging.getLogger("praisonai_platform.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_response(
    status: int, detail: Any, code: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


async def _platform_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PlatformError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    retry_after = exc.extra.get("retry_after")
    if isinstance(retry_after, int) and exc.status_code in (429, 503):
        headers = {"Retry-After": str(max(1, retry_after))}
    return error_response(exc.status_code, exc.detail, exc.code, headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only where and what: the offending input is not echoed (it may be a password).
    problems = [
        {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "")),
            "type": error.get("type"),
        }
        for error in exc.errors()
    ]
    return error_response(422, problems, "validation_failed")


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, exc.detail, code, dict(exc.headers or {}) or None)


def _sqlstate(exc: Exception) -> str:
    """The SQLSTATE behind a driver error (asyncpg does not always raise DataError/IntegrityError
    for its classes 22 and 23); empty when the driver does not say."""
    original = getattr(exc, "orig", None)
    return str(getattr(original, "sqlstate", None) or getattr(original, "pgcode", None) or "")


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    state = _sqlstate(exc)
    if isinstance(exc, IntegrityError) or state.startswith("23"):
        return error_response(409, "this conflicts with existing data", "conflict")
    if isinstance(exc, DataError) or state.startswith("22"):
        return error_response(422, "a value is out of range or malformed", "invalid_value")
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError):
        logger.warning(
            "database unavailable during %s %s: %s", request.method, request.url.path, exc
        )
        return error_response(503, "the database is unavailable; try again", "database_unavailable")
    logger.error("database error during %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal error", "internal_error")


async def _stale_data(_request: Request, _exc: Exception) -> JSONResponse:
    return error_response(
        409, "changed by someone else meanwhile; reload and retry", "concurrent_update"
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error during %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal error", "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PlatformError, _platform_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeoutError, _database_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    app.add_exception_handler(Exception, _unexpected)
