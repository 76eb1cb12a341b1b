"""Request guards that run before routing: body size, JSON depth and undecodable paths."""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praisonai_platform.core.limits import MAX_BODY_JSON_DEPTH, MAX_JSON_DEPTH
from praisonai_platform.core.validation import text_deeper_than

# Bodies that are not JSON (forms of the admin UI, file uploads) are not scanned for depth.
_NOT_JSON = (b"application/x-www-form-urlencoded", b"multipart/")


class RequestGuard:
    """Refuse bodies over `max_body_bytes` (413), JSON bodies nested more than
    MAX_BODY_JSON_DEPTH levels (422 `json_too_deep`, found by a scan that does not parse), and
    paths or queries with NUL bytes or invalid UTF-8 (422) before any handler or database sees
    them."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        for part in (raw, scope.get("query_string", b"")):
            decoded = unquote_to_bytes(part.replace(b"+", b" "))
            if b"\x00" in decoded or not _is_utf8(decoded):
                await _reply(send, 422, "the URL contains invalid characters", "invalid_characters")
                return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _reply(send, 413, "the request body is too large", "payload_too_large")
            return
        # Buffer the body (at most the limit) before the app sees it: an oversized one is refused
        # whole, instead of failing half-way through the app's own parsing.
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body_bytes:
                await _reply(send, 413, "the request body is too large", "payload_too_large")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _may_be_json(scope) and text_deeper_than(body, MAX_BODY_JSON_DEPTH):
            await _reply(
                send,
                422,
                f"JSON values may nest at most {MAX_JSON_DEPTH} levels deep",
                "json_too_deep",
            )
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _may_be_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return not value.lower().lstrip().startswith(_NOT_JSON)
    return True


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _reply(send: Send, status: int, detail: str, code: str) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
