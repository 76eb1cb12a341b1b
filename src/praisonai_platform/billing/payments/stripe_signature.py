"""Stripe's webhook signatures: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256>[,v1=…]`.

The HMAC is keyed with the endpoint's signing secret over `"<t>.<raw body>"`. Several v1 values
appear while a secret is being rolled; any one matching is enough. A signature older (or further
in the future) than the tolerance is refused, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

TOLERANCE_SECONDS = 300
_MAX_HEADER_LENGTH = 4096
_MAX_SIGNATURES = 8


class SignatureError(ValueError):
    """Why a delivery was refused; `code` is the stable error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The header Stripe would send (used by tests and for local trials)."""
    return f"t={timestamp},v1={_digest(payload, secret, timestamp)}"


def verify(
    payload: bytes,
    header: str | None,
    secret: str,
    *,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """Check the header against the raw body; return its timestamp or raise SignatureError."""
    if not header:
        raise SignatureError("missing_signature", "the Stripe-Signature header is missing")
    timestamp, signatures = _parse(header)
    expected = _digest(payload, secret, timestamp).encode()
    # Every candidate is compared in constant time; which one matched is not secret.
    matched = [hmac.compare_digest(expected, candidate.encode()) for candidate in signatures]
    if not any(matched):
        raise SignatureError("invalid_signature", "no signature matches the payload")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(
            "stale_signature", f"the signature's timestamp is more than {tolerance}s away"
        )
    return timestamp


def _parse(header: str) -> tuple[int, list[str]]:
    if len(header) > _MAX_HEADER_LENGTH:
        raise SignatureError("invalid_signature", "the Stripe-Signature header is too long")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures or len(signatures) > _MAX_SIGNATURES:
        raise SignatureError("invalid_signature", "the Stripe-Signature header is malformed")
    return timestamp, signatures


def _digest(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
