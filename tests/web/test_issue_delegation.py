"""Delegating from an issue's page once per form: the form carries a key drawn with the page, so
the same form sent twice (a double click, a resent form, two at once) queues one run, and the key
sent again with another agent is refused."""

from __future__ import annotations

import asyncio
import re

import httpx
from sqlalchemy import func, select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Run
from tests.factories import API, create_issue, post_created
from tests.web.conftest import Browser
from tests.web.test_issue_pages import Team, team  # noqa: F401  (the team fixture)

_FORM_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


async def count_runs() -> int:
    async with session_scope(read_only=True) as session:
        return await session.scalar(select(func.count()).select_from(Run)) or 0


async def delegate_form_key(browser: Browser, url: str) -> str:
    page = await browser.get(url)
    assert page.status_code == 200
    found = _FORM_KEY.search(page.text)
    assert found is not None, "the delegate form carries no key"
    return found.group(1)


async def test_the_same_delegate_form_sent_twice_queues_one_run(
    team: Team,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Paint the shed")
    bot = await post_created(client, team.owner, f"{API}/workspaces/{team.id}/agents", name="Bot")
    other = await post_created(
        client, team.owner, f"{API}/workspaces/{team.id}/agents", name="Other"
    )
    url = f"{team.url}/issues/{issue['identifier']}"
    key = await delegate_form_key(team.browser, url)
    form = {"agent": bot["id"], "idempotency_key": key}

    first = await team.browser.post(f"{url}/delegate", form)
    second = await team.browser.post(f"{url}/delegate", form)
    assert first.status_code == second.status_code == 303, second.text
    assert second.headers["location"] == first.headers["location"]
    assert first.headers["location"].startswith(f"{url}#run-")
    assert await count_runs() == 1
    page = await team.browser.get(url)
    assert f'id="{first.headers["location"].split("#", 1)[1]}"' in page.text

    reused = await team.browser.post(
        f"{url}/delegate", {"agent": other["id"], "idempotency_key": key}
    )
    assert reused.status_code == 422
    assert "already sent with a different choice" in reused.text
    assert await count_runs() == 1

    # Each page drawn has its own key: delegating again from a new page queues a new run.
    again = await team.browser.post(
        f"{url}/delegate",
        {"agent": bot["id"], "idempotency_key": await delegate_form_key(team.browser, url)},
    )
    assert again.status_code == 303 and again.headers["location"] != first.headers["location"]
    assert await count_runs() == 2


async def test_a_double_click_sent_at_once_queues_one_run(
    team: Team,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Paint the shed")
    bot = await post_created(client, team.owner, f"{API}/workspaces/{team.id}/agents", name="Bot")
    url = f"{team.url}/issues/{issue['identifier']}"
    form = {"agent": bot["id"], "idempotency_key": await delegate_form_key(team.browser, url)}
    answers = await asyncio.gather(
        team.browser.post(f"{url}/delegate", form), team.browser.post(f"{url}/delegate", form)
    )
    assert [answer.status_code for answer in answers] == [303, 303], answers[1].text
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert await count_runs() == 1


async def test_a_damaged_form_key_is_refused(
    team: Team,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Paint the shed")
    bot = await post_created(client, team.owner, f"{API}/workspaces/{team.id}/agents", name="Bot")
    url = f"{team.url}/issues/{issue['identifier']}"
    await team.browser.get(url)
    for key in ("has space", "é", "k" * 256):
        refused = await team.browser.post(
            f"{url}/delegate", {"agent": bot["id"], "idempotency_key": key}
        )
        assert refused.status_code == 422, key
        assert "reload the page" in refused.text
    assert await count_runs() == 0
