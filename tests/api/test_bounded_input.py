"""Every JSON value reachable from input nests at most 32 levels: the limit itself is accepted,
one level more is 422 `json_too_deep`; brackets inside strings do not count."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx

from praisonai_platform.core.limits import MAX_BODY_JSON_DEPTH, MAX_JSON_DEPTH
from praisonai_platform.core.validation import clip_depth, deeper_than, text_deeper_than
from tests.factories import MakeUser, MakeWorkspace

API = "/api/v1"


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": [value]} if depth % 2 else {"a": value}
    return value


def real_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((real_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((real_depth(v) for v in value), default=0)
    return 0


def random_value(rng: random.Random, depth: int) -> Any:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([1, "x[{", 'q"]}\\', None, 2.5, "\\\\"])
    if rng.random() < 0.5:
        return [random_value(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return {f"k{i}[": random_value(rng, depth - 1) for i in range(rng.randint(0, 3))}


def test_the_text_scan_agrees_with_the_parsed_depth() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        value = random_value(rng, rng.randint(0, 12))
        depth = real_depth(value)
        for limit in (depth - 1, depth, depth + 1):
            if limit >= 0:
                text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
                assert text_deeper_than(text, limit) is (depth > limit), (text, limit)
                assert deeper_than(value, limit) is (depth > limit)


def test_strings_full_of_brackets_and_malformed_text() -> None:
    assert not text_deeper_than(json.dumps({"a": "[" * 10_000 + '\\"' + "{" * 10_000}), 2)
    assert text_deeper_than(b"[" * 40, 32)  # never closed: a parser would still descend
    assert not text_deeper_than(b"]" * 40 + b"[" * 5, 32)
    assert text_deeper_than(b'"\\"' * 100_000 + b"[" * 40, 32)  # no backtracking either


def test_clipping_keeps_what_fits() -> None:
    value = nested(40)
    assert clip_depth(value, 40) is value
    clipped = clip_depth(value, 10)
    assert real_depth(clipped) == 10
    assert clip_depth({"a": [1, {"b": 2}]}, 2) == {"a": [1, "[nested too deep to show]"]}


async def test_every_json_field_takes_the_limit_and_refuses_one_more(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user("owner")
    workspace = await make_workspace(owner)
    ws = f"{API}/workspaces/{workspace['id']}"
    agent = await client.post(f"{ws}/agents/", json={"name": "A"}, headers=owner.headers)
    project = await client.post(f"{ws}/projects/", json={"title": "P"}, headers=owner.headers)
    cases = [
        ("POST", f"{API}/workspaces/", {"name": "W"}, "settings"),
        ("PATCH", ws, {}, "settings"),
        ("POST", f"{ws}/agents/", {"name": "B"}, "config"),
        ("POST", f"{ws}/agents/", {"name": "C"}, "runtime_config"),
        ("PATCH", f"{ws}/agents/{agent.json()['id']}", {}, "config"),
        ("POST", f"{ws}/projects/", {"title": "Q"}, "settings"),
        ("PATCH", f"{ws}/projects/{project.json()['id']}", {}, "settings"),
        ("POST", f"{ws}/runs", {"agent_id": agent.json()["id"]}, "parameters"),
        ("POST", f"{API}/workers/register", {}, "details"),
    ]
    for method, url, body, field in cases:
        too_deep = await client.request(
            method, url, json={**body, field: nested(MAX_JSON_DEPTH + 1)}, headers=owner.headers
        )
        assert (too_deep.status_code, too_deep.json()["code"]) == (422, "json_too_deep"), url
        fits = await client.request(
            method, url, json={**body, field: nested(MAX_JSON_DEPTH)}, headers=owner.headers
        )
        assert fits.status_code in (200, 201), (url, fits.text)
        assert real_depth(fits.json()[field]) == MAX_JSON_DEPTH


async def test_settings_have_a_size_limit(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user("owner")
    workspace = await make_workspace(owner)
    big = {"text": "x" * 100_001}
    response = await client.post(
        f"{API}/workspaces/{workspace['id']}/agents/", json={"name": "Big", "config": big},
        headers=owner.headers,
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_too_large"


async def test_the_guard_scans_json_only(client: httpx.AsyncClient) -> None:
    deep = "[" * (MAX_BODY_JSON_DEPTH + 1) + "]" * (MAX_BODY_JSON_DEPTH + 1)
    for content_type in ("application/json", "text/plain", None):
        headers = {"Content-Type": content_type} if content_type else {}
        response = await client.post(f"{API}/auth/login", content=deep, headers=headers)
        assert response.json()["code"] == "json_too_deep", content_type
    form = await client.post(
        f"{API}/auth/login",
        content=f"username={deep}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.json()["code"] != "json_too_deep"
