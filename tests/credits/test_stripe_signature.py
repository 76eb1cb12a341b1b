"""The signature check on its own: HMAC-SHA256 over `t.payload`, any v1, five minutes."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from praisonai_platform.billing.payments.stripe_signature import SignatureError, sign, verify

PAYLOAD = b'{"id": "evt_1"}'
SECRET = "whsec_abc"
NOW = 1_800_000_000


def test_the_header_is_stripes_scheme() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + PAYLOAD, hashlib.sha256).hexdigest()
    assert sign(PAYLOAD, SECRET, NOW) == f"t={NOW},v1={expected}"
    assert verify(PAYLOAD, sign(PAYLOAD, SECRET, NOW), SECRET, now=NOW) == NOW


def test_any_v1_signature_may_match_while_secrets_roll() -> None:
    good = sign(PAYLOAD, SECRET, NOW).split("v1=")[1]
    header = f"t={NOW},v1={'0' * 64},v0=ignored,v1={good}"
    assert verify(PAYLOAD, header, SECRET, now=NOW + 299) == NOW


@pytest.mark.parametrize(
    ("header", "now", "code"),
    [
        (None, NOW, "missing_signature"),
        ("", NOW, "missing_signature"),
        (sign(PAYLOAD, "whsec_other", NOW), NOW, "invalid_signature"),
        (sign(PAYLOAD + b" ", SECRET, NOW), NOW, "invalid_signature"),
        (sign(PAYLOAD, SECRET, NOW), NOW + 301, "stale_signature"),
        (sign(PAYLOAD, SECRET, NOW), NOW - 301, "stale_signature"),
        (f"t={NOW}", NOW, "invalid_signature"),
        (f"v1={'a' * 64}", NOW, "invalid_signature"),
        (f"t=-5,v1={'a' * 64}", NOW, "invalid_signature"),
        (f"t={'9' * 40},v1={'a' * 64}", NOW, "invalid_signature"),
        (f"t={NOW},v1=ü", NOW, "invalid_signature"),
        (f"t={NOW}," + ",".join(["v1=ab"] * 9), NOW, "invalid_signature"),
        ("x" * 5000, NOW, "invalid_signature"),
    ],
)
def test_refusals_name_their_reason(header: str | None, now: int, code: str) -> None:
    with pytest.raises(SignatureError) as refused:
        verify(PAYLOAD, header, SECRET, now=now)
    assert refused.value.code == code
