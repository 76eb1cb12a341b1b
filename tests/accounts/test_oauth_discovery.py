"""Discovery documents are kept per issuer for a while: fetched once by concurrent first
requests, again after the TTL, and a failed fetch is not kept."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from praisonai_platform.accounts.oauth.client import DiscoveryCache, ProviderUnavailable
from praisonai_platform.accounts.oauth.settings import OAuthProvider, ProviderKind

ISSUER = "http://idp.test"


def provider() -> OAuthProvider:
    return OAuthProvider(name="idp", kind=ProviderKind.OIDC, client_id="c", display_name="IdP",
                         scopes=("openid",), issuer=ISSUER)  # fmt: skip


async def test_cached_per_issuer_with_a_ttl() -> None:
    fetches = 0
    failing = False

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal fetches
        fetches += 1
        await asyncio.sleep(0.01)  # concurrent requests overlap with the first fetch
        if failing:
            return httpx.Response(500)
        return httpx.Response(200, json={"issuer": ISSUER, "authorization_endpoint": "a",
                                         "token_endpoint": "t", "jwks_uri": "j"})  # fmt: skip

    now = [1000.0]
    cache = DiscoveryCache(60, clock=lambda: now[0])
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        documents = await asyncio.gather(*(cache.metadata(http, provider()) for _ in range(20)))
        assert fetches == 1 and all(d["token_endpoint"] == "t" for d in documents)
        now[0] += 59
        await cache.metadata(http, provider())
        assert fetches == 1
        now[0] += 2
        failing = True
        with pytest.raises(ProviderUnavailable):
            await cache.metadata(http, provider())
        failing = False
        await cache.metadata(http, provider())
        assert fetches == 3
