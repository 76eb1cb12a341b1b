"""verify_webhook (the SDK's receiver helper) and the SSRF guard's address rules, without a
database."""

from __future__ import annotations

import json

import pytest

from praisonai_platform.client.webhooks import WebhookVerificationError, signature, verify_webhook
from praisonai_platform.webhooks import sender, targets

SECRET = "whsec_test"
BODY = json.dumps({"id": 7, "type": "issue.created"}).encode()
NOW = 1_800_000_000


def signed(body: bytes = BODY, timestamp: int = NOW, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-Platform-Signature": signature(secret, str(timestamp), body),
        "X-Platform-Timestamp": str(timestamp),
    }


def test_the_sender_and_the_sdk_agree_on_the_signature() -> None:
    assert sender.sign(SECRET, str(NOW), BODY) == signature(SECRET, str(NOW), BODY)
    assert verify_webhook(BODY, signed(), SECRET, now=NOW) == {"id": 7, "type": "issue.created"}
    # A str body, lower-case header names, and a list of signatures (one matching) verify too.
    lower = {k.lower(): v for k, v in signed().items()}
    assert verify_webhook(BODY.decode(), lower, SECRET, now=NOW + 300)["id"] == 7
    several = {**signed(), "X-Platform-Signature": "sha256=00, " + signed()["X-Platform-Signature"]}
    assert verify_webhook(BODY, several, SECRET, now=NOW)["id"] == 7


@pytest.mark.parametrize(
    ("headers", "secret", "now", "problem"),
    [
        ({}, SECRET, NOW, "missing X-Platform-Signature"),
        ({"X-Platform-Signature": "sha256=00"}, SECRET, NOW, "missing X-Platform-Timestamp"),
        ({**signed(), "X-Platform-Timestamp": "soon"}, SECRET, NOW, "not a Unix time"),
        (signed(), "whsec_other", NOW, "signature does not match"),
        (signed(secret="whsec_other"), SECRET, NOW, "signature does not match"),
        ({**signed(), "X-Platform-Signature": "sha1=abc"}, SECRET, NOW, "does not match"),
        # The signature covers the timestamp: a fresh timestamp on an old signature fails.
        ({**signed(), "X-Platform-Timestamp": str(NOW + 1)}, SECRET, NOW, "does not match"),
        (signed(), SECRET, NOW + 301, "seconds away"),
        (signed(), SECRET, NOW - 301, "seconds away"),
        (signed(), "", NOW, "no secret"),
    ],
)
def test_bad_signatures_and_stale_timestamps_are_refused(
    headers: dict[str, str], secret: str, now: int, problem: str
) -> None:
    with pytest.raises(WebhookVerificationError, match=problem):
        verify_webhook(BODY, headers, secret, now=now)


def test_a_changed_body_or_a_non_json_one_is_refused() -> None:
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_webhook(BODY + b" ", signed(), SECRET, now=NOW)
    text = b"not json"
    with pytest.raises(WebhookVerificationError, match="not JSON"):
        verify_webhook(text, signed(text), SECRET, now=NOW)
    # tolerance=0 turns the freshness check off (for replaying a stored request in a test).
    assert verify_webhook(BODY, signed(), SECRET, tolerance=0, now=NOW + 10**6)["id"] == 7


@pytest.mark.parametrize(
    ("address", "private_ok", "public_only"),
    [
        ("93.184.216.34", True, True),
        ("2606:2800:220:1:248:1893:25c8:1946", True, True),
        ("127.0.0.1", True, False),
        ("::1", True, False),
        ("10.0.0.1", True, False),
        ("172.16.5.4", True, False),
        ("192.168.1.1", True, False),
        ("fc00::1", True, False),
        ("fe80::1%eth0", True, False),
        ("169.254.1.1", True, False),
        ("100.64.0.1", True, False),
        ("::ffff:10.0.0.1", True, False),
        ("169.254.169.254", False, False),
        ("fd00:ec2::254", False, False),
        ("::ffff:169.254.169.254", False, False),
        # IPv6 forms that carry an IPv4 address are judged as that address.
        ("64:ff9b::169.254.169.254", False, False),
        ("64:ff9b::10.0.0.1", True, False),
        ("64:ff9b::93.184.216.34", True, True),
        ("::127.0.0.1", True, False),
        ("::ffff:0:a9fe:a9fe", False, False),
        ("::ffff:0:a00:1", True, False),
        ("2002:a9fe:a9fe::1", False, False),
        ("2002:a00:1::1", True, False),
        ("2002:5db8:d822::1", True, True),
        ("64:ff9b:1::a00:1", True, False),
        ("fec0::1", True, False),
        ("100.100.100.200", False, False),
        ("0.0.0.0", False, False),
        ("::", False, False),
        ("224.0.0.1", False, False),
        ("ff02::1", False, False),
    ],
)
def test_which_addresses_a_webhook_may_reach(
    address: str, private_ok: bool, public_only: bool
) -> None:
    assert (targets.refusal(address, allow_private=True) is None) is private_ok
    assert (targets.refusal(address, allow_private=False) is None) is public_only


def test_the_pinned_url_keeps_the_path_and_names_the_host() -> None:
    target = targets.Target("https://hooks.example.com:8443/in?x=1", "hooks.example.com", "::1")
    assert target.pinned_url == "https://[::1]:8443/in?x=1"
    assert target.host_header == "hooks.example.com:8443"
    plain = targets.Target("http://hooks.example.com/in", "hooks.example.com", "93.184.216.34")
    assert (plain.pinned_url, plain.host_header) == (
        "http://93.184.216.34/in",
        "hooks.example.com",
    )


async def test_a_name_that_does_not_resolve_is_saved_but_not_sent_to() -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    await targets.check_on_save("https://gone.example.test/", allow_private=False, resolver=nowhere)
    with pytest.raises(targets.TargetRefused) as refused:
        await targets.check_for_send(
            "https://gone.example.test/", allow_private=False, resolver=nowhere
        )
    assert refused.value.code == "webhook_dns_failed"

    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.1"]  # one private answer is enough to refuse

    with pytest.raises(targets.TargetRefused, match="private"):
        await targets.check_on_save(
            "https://mixed.example.test/", allow_private=False, resolver=mixed
        )
