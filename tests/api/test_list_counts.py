"""Totals only when asked (`Prefer: count=exact`), and cursors that hold while issues are added."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.factories import create_issue

API = "/api/v1/workspaces"


async def test_the_total_is_counted_only_when_asked(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    for status in ("todo", "todo", "done"):
        await create_issue(client, owner, ws, status=status)
    url = f"{API}/{ws}/issues"

    plain = await client.get(url, params={"limit": 1}, headers=owner.headers)
    assert plain.status_code == 200 and len(plain.json()) == 1
    assert "X-Total-Count" not in plain.headers and "Preference-Applied" not in plain.headers
    assert "Prefer" in plain.headers["Vary"] and 'rel="next"' in plain.headers["Link"]

    for prefer, total in [
        ("count=exact", "3"),
        ('respond-async, COUNT="exact"; extra=1', "3"),
        ("count=planned", None),
        ("return=minimal", None),
        ("count", None),
        ("", None),
    ]:
        response = await client.get(
            url, params={"limit": 1}, headers={**owner.headers, "Prefer": prefer}
        )
        assert response.status_code == 200, prefer
        assert response.headers.get("X-Total-Count") == total, prefer
        applied = "count=exact" if total else None
        assert response.headers.get("Preference-Applied") == applied, prefer

    counted = {**owner.headers, "Prefer": "count=exact"}
    todo = await client.get(url, params={"status": "todo", "limit": 1}, headers=counted)
    assert todo.headers["X-Total-Count"] == "2"
    cursor = todo.headers["Link"].split("cursor=")[1].split(">")[0]
    later = await client.get(url, params={"status": "todo", "cursor": cursor}, headers=counted)
    assert (len(later.json()), later.headers["X-Total-Count"]) == (1, "2")
    too_long = await client.get(url, headers={**owner.headers, "Prefer": "x" * 2000})
    assert (too_long.status_code, too_long.json()["code"]) == (422, "validation_failed")


async def walk_while_adding(
    client: httpx.AsyncClient, owner: Any, ws: str, sort: str
) -> tuple[list[str], list[str]]:
    """Every page of a list, with an issue created concurrently with each page's request."""
    url = f"{API}/{ws}/issues"
    seen: list[str] = []
    added: list[str] = []
    next_url: str | None = None
    while True:
        if next_url is None:
            request = client.get(url, params={"sort": sort, "limit": 3}, headers=owner.headers)
        else:
            request = client.get(next_url, headers=owner.headers)
        response, new = await asyncio.gather(request, create_issue(client, owner, ws))
        added.append(new["id"])
        assert response.status_code == 200, response.text
        seen += [issue["id"] for issue in response.json()]
        link = response.headers.get("Link")
        if link is None:
            return seen, added
        next_url = link[1 : link.index(">")]


async def test_cursor_pages_neither_repeat_nor_skip_while_issues_are_added(
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    before = [(await create_issue(client, owner, ws, priority="high"))["id"] for _ in range(8)]
    for sort in ("-number", "-updated_at", "priority"):
        seen, added = await walk_while_adding(client, owner, ws, sort)
        assert len(seen) == len(set(seen)), sort  # nothing twice
        assert set(before) <= set(seen), sort  # nothing that was there is skipped
        assert set(seen) <= set(before) | set(added), sort
        before += added
