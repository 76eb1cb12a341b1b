"""Checking that a webhook request came from the platform: `verify_webhook`.

    from praisonai_platform.client.webhooks import verify_webhook

    event = verify_webhook(request_body, request_headers, secret)

The platform signs every delivery with the subscription's secret: `X-Platform-Signature` is
`sha256=` and the hex HMAC-SHA256 of `"{X-Platform-Timestamp}.{body}"`. A request whose signature
does not match, or whose timestamp is further than `tolerance` seconds from now (a replay), is
refused with `WebhookVerificationError`. Pass the body exactly as received (bytes), before any
JSON parsing. Standard library only: usable in any receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

SIGNATURE_HEADER = "X-Platform-Signature"
TIMESTAMP_HEADER = "X-Platform-Timestamp"
DELIVERY_HEADER = "X-Platform-Delivery"
EVENT_HEADER = "X-Platform-Event"
SCHEME = "sha256="


class WebhookVerificationError(ValueError):
    """The request is not a genuine, fresh delivery of the platform."""


def _header(headers: Mapping[str, str] | Any, name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict with other capitalisation
        wanted = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == wanted), None)
    return None if value is None else str(value)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Platform-Signature` a body sent at `timestamp` carries."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SCHEME + digest.hexdigest()


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str] | Any,
    secret: str,
    tolerance: float = 300,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """The delivered event (the parsed JSON body) if the request is genuine and fresh.

    `headers`: any mapping of the request's headers (case-insensitive ones, such as those of
    Starlette, Flask, Django or httpx, or a plain dict). `tolerance`: how many seconds the
    timestamp may differ from now (`now`, default the current time); 0 or less turns the check
    off. Raises WebhookVerificationError naming what is wrong."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    if not secret:
        raise WebhookVerificationError("no secret to verify with")
    sent = _header(headers, SIGNATURE_HEADER)
    if not sent:
        raise WebhookVerificationError(f"missing {SIGNATURE_HEADER} header")
    timestamp = _header(headers, TIMESTAMP_HEADER)
    if not timestamp:
        raise WebhookVerificationError(f"missing {TIMESTAMP_HEADER} header")
    try:
        moment = int(timestamp)
    except ValueError:
        raise WebhookVerificationError(f"{TIMESTAMP_HEADER} is not a Unix time") from None
    expected = signature(secret, timestamp, raw)
    # Any of several signatures may match (comma-separated), compared in constant time.
    candidates = [part.strip() for part in sent.split(",") if part.strip()]
    if not any(hmac.compare_digest(expected.encode(), c.encode()) for c in candidates):
        raise WebhookVerificationError("signature does not match")
    current = time.time() if now is None else now
    if tolerance > 0 and abs(current - moment) > tolerance:
        raise WebhookVerificationError(
            f"timestamp is {abs(current - moment):.0f} seconds away from now "
            f"(more than {tolerance:g}): a late or replayed delivery"
        )
    try:
        event: dict[str, Any] = json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("the body is not JSON") from None
    return event
