"""A token's signature is checked once; its expiry and the user's token version on every use."""

from __future__ import annotations

import httpx
import jwt
import pytest

from praisonai_platform.accounts import tokens
from praisonai_platform.core.errors import Unauthenticated
from praisonai_platform.core.server_settings import ServerSettings

SETTINGS = ServerSettings(jwt_secret="claims-secret-claims-secret-claims-secret", env="test")


def test_a_known_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens.issue(SETTINGS, "user-1", token_version=3)
    assert tokens.read(SETTINGS, token) == tokens.Claims("user-1", 3)
    assert tokens.read(SETTINGS, token) == tokens.Claims("user-1", 3)  # known now
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    monkeypatch.setattr(tokens.time, "time", lambda: expires_at + 1)
    with pytest.raises(Unauthenticated) as refused:
        tokens.read(SETTINGS, token)
    assert refused.value.code == "token_expired"


def test_a_token_known_under_one_secret_is_refused_under_another() -> None:
    token = tokens.issue(SETTINGS, "user-1")
    assert tokens.read(SETTINGS, token).user_id == "user-1"
    other = ServerSettings(jwt_secret="another-secret-another-secret-another", env="test")
    with pytest.raises(Unauthenticated) as refused:
        tokens.read(other, token)
    assert refused.value.code == "invalid_token"


def test_refused_tokens_are_not_remembered() -> None:
    token = tokens.issue(SETTINGS, "user-1")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            tokens.read(SETTINGS, tampered)
    assert all(known != tampered for _, known in tokens._verified)


def test_remembered_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_VERIFIED_AT_MOST", 5)
    monkeypatch.setattr(tokens, "_verified", {})
    issued = [tokens.issue(SETTINGS, f"user-{n}") for n in range(8)]
    for token in issued:
        tokens.read(SETTINGS, token)
    assert len(tokens._verified) == 5
    assert tokens.read(SETTINGS, issued[0]).user_id == "user-0"  # checked afresh


async def test_logout_ends_a_remembered_token_at_once(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user
) -> None:
    person = await make_user()
    for _ in range(2):  # the second use finds the token known
        assert (await client.get("/api/v1/auth/me", headers=person.headers)).status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=person.headers)).status_code in (
        200,
        204,
    )
    response = await client.get("/api/v1/auth/me", headers=person.headers)
    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")
