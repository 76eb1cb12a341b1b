"""Search: ranked mixed results with highlights, prefixes, keys, hostile input, access, and an
index that follows every write (triggers on SQLite, generated columns on PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from praisonai_platform.config import load_settings
from praisonai_platform.db import get_engine, init_db, migrate, reset_engine, session_scope
from praisonai_platform.db.models import Issue, Workspace
from praisonai_platform.search.statements import IssueTextMatch
from praisonai_platform.search.terms import parse
from tests.factories import MakeUser, MakeWorkspace, Person, create_issue, create_project

API = "/api/v1"


@dataclass
class Corpus:
    workspace_id: str
    owner: Person
    issues: dict[str, dict[str, Any]]
    comment_id: str
    project_ids: dict[str, str]

    @property
    def url(self) -> str:
        return f"{API}/workspaces/{self.workspace_id}/search"


async def build_corpus(client: httpx.AsyncClient, owner: Person, workspace_id: str) -> Corpus:
    """Created in this order, so newest first means the reverse of it."""
    issues = {}
    for name, title, description in [
        ("retries", "Webhook retries fail", "The sender gives up"),  # ENG-1
        ("billing", "Billing page", "the webhook sender times out"),  # ENG-2
        ("signing", "Webhook <b>signing</b>", None),  # ENG-3
        ("unrelated", "Dark mode", "Colours of the sidebar"),  # ENG-4
    ]:
        issues[name] = await create_issue(
            client, owner, workspace_id, title=title, description=description
        )
    project_ids = {}
    for name, title, description in [
        ("hooks", "Webhooks platform", "Delivery of events"),
        ("payments", "Payments", "Sends webhooks to shops"),
    ]:
        project = await create_project(
            client, workspace_id, owner, title=title, description=description
        )
        project_ids[name] = project["id"]
    comment = await client.post(
        f"{API}/workspaces/{workspace_id}/issues/{issues['unrelated']['id']}/comments",
        json={"content": "Maybe the webhook logs say more"},
        headers=owner.headers,
    )
    assert comment.status_code == 201, comment.text
    return Corpus(workspace_id, owner, issues, comment.json()["id"], project_ids)


@pytest.fixture
async def corpus(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> Corpus:
    owner = await make_user()
    workspace = await make_workspace(owner, issue_prefix="ENG")
    return await build_corpus(client, owner, workspace["id"])


async def search(
    client: httpx.AsyncClient, corpus: Corpus, q: str, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(corpus.url, params={"q": q, **params}, headers=corpus.owner.headers)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()
    return results


def found(results: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(r["type"], r["matched_in"], r["title"]) for r in results]


async def test_ranked_titles_then_descriptions_then_comments(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    results = await search(client, corpus, "webh")  # a prefix of webhook(s)
    assert found(results) == [
        # every word in the title (or name), newest first
        ("project", "title", "Webhooks platform"),
        ("issue", "title", "Webhook <b>signing</b>"),
        ("issue", "title", "Webhook retries fail"),
        # in the description
        ("project", "text", "Payments"),
        ("issue", "text", "Billing page"),
        # in a comment, shown with its issue
        ("comment", "comment", "Dark mode"),
    ]
    by_title = {(r["type"], r["title"]): r for r in results}
    signing = by_title[("issue", "Webhook <b>signing</b>")]
    # highlights are escaped HTML: the user's markup is text, the marks are ours
    assert signing["title_highlight"] == "<mark>Webhook</mark> &lt;b&gt;signing&lt;/b&gt;"
    assert (signing["issue_key"], signing["issue_number"]) == ("ENG-3", 3)
    billing = by_title[("issue", "Billing page")]
    assert billing["title_highlight"] == "Billing page"
    assert billing["snippet"] == "the <mark>webhook</mark> sender times out"
    comment = by_title[("comment", "Dark mode")]
    assert comment["id"] == corpus.comment_id
    assert comment["issue_id"] == corpus.issues["unrelated"]["id"]
    assert comment["issue_key"] == "ENG-4"
    assert comment["snippet"] == "Maybe the <mark>webhook</mark> logs say more"

    # every word must match; words in any order, any case; the title rank needs all in it
    assert found(await search(client, corpus, "SENDER webhook")) == [
        ("issue", "text", "Billing page"),
        ("issue", "text", "Webhook retries fail"),
    ]
    assert await search(client, corpus, "webhook nowhere") == []
    # only the last word is a prefix (the word being typed); the others are whole words
    assert found(await search(client, corpus, "sender webh")) == [
        ("issue", "text", "Billing page"),
        ("issue", "text", "Webhook retries fail"),
    ]
    assert await search(client, corpus, "webh sender") == []
    assert [r["title"] for r in await search(client, corpus, "sidebar")] == ["Dark mode"]


async def test_keys_and_numbers_find_their_issue_first(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    for q in ("ENG-2", "eng-2", "2", "#2"):
        results = await search(client, corpus, q)
        assert found(results)[:1] == [("issue", "key", "Billing page")], q
        assert results[0]["id"] == corpus.issues["billing"]["id"]
    assert await search(client, corpus, "OPS-2") == []  # another prefix names nothing here
    assert await search(client, corpus, "99") == []


async def test_pages_follow_the_link_header(client: httpx.AsyncClient, corpus: Corpus) -> None:
    everything = await search(client, corpus, "webh")
    seen: list[dict[str, Any]] = []
    url: str | None = corpus.url + "?q=webh&limit=4"
    while url is not None:
        response = await client.get(url, headers=corpus.owner.headers)
        assert response.status_code == 200
        seen.extend(response.json())
        url = response.links.get("next", {}).get("url")
    assert seen == everything
    assert len(everything) == 6


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("", "search_query_empty"),
        ("*", "search_query_empty"),
        ('"()-:^', "search_query_empty"),
        ("x" * 201, "search_query_too_long"),
        (" ".join(f"w{i}" for i in range(11)), "search_query_too_long"),
    ],
)
async def test_unsearchable_text_is_422(
    client: httpx.AsyncClient, corpus: Corpus, q: str, code: str
) -> None:
    for url in (corpus.url, f"{API}/workspaces/{corpus.workspace_id}/issues"):
        response = await client.get(url, params={"q": q}, headers=corpus.owner.headers)
        assert response.status_code == 422, (url, response.text)
        if q:  # the list refuses an empty q before it reaches the search
            assert response.json()["code"] == code


async def test_query_syntax_in_the_text_is_only_words(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    # FTS5 and tsquery syntax: quotes, prefixes, NEAR, NOT, columns, weights, groups
    hostile = [
        '"webhook',
        "webhook*",
        "NEAR(webhook sender)",
        "webhook NOT sender",
        "title:webhook",
        "webhook:*A",
        "(webhook) & !sender | x",
        "-webhook",
        "web'hook",
        "\\webhook\x00",
        "webhook 💥 ñandú 東京",
        "a" * 200,
    ]
    for q in hostile:
        for url in (corpus.url, f"{API}/workspaces/{corpus.workspace_id}/issues"):
            response = await client.get(url, params={"q": q}, headers=corpus.owner.headers)
            assert response.status_code in (200, 422), (q, response.text)
    assert len(await search(client, corpus, '"webhook')) == 6
    assert found(await search(client, corpus, "NEAR(webhook sender)")) == []  # "near" is a word
    titles = {r["title"] for r in await search(client, corpus, "webhook NOT sender")}
    assert titles == set()  # "not" is a word too, and no text holds it


async def test_only_members_search_and_only_their_workspace(
    client: httpx.AsyncClient, corpus: Corpus, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    stranger = await make_user()
    response = await client.get(corpus.url, params={"q": "webhook"}, headers=stranger.headers)
    assert response.status_code == 404
    assert (await client.get(corpus.url, params={"q": "webhook"})).status_code == 401
    # the stranger's own workspace holds the same words; neither sees the other's
    theirs = (await make_workspace(stranger, issue_prefix="ENG"))["id"]
    other = await build_corpus(client, stranger, theirs)
    mine = {r["id"] for r in await search(client, corpus, "webhook")}
    their = {r["id"] for r in await search(client, other, "webhook")}
    assert len(mine) == len(their) == 6
    assert not mine & their
    listed = await client.get(
        f"{API}/workspaces/{corpus.workspace_id}/issues",
        params={"q": "ENG-1"},
        headers=corpus.owner.headers,
    )
    assert [i["id"] for i in listed.json()] == [corpus.issues["retries"]["id"]]


async def test_the_index_follows_updates_and_deletes(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    issues = f"{API}/workspaces/{corpus.workspace_id}/issues"
    headers = corpus.owner.headers
    retries = corpus.issues["retries"]["id"]
    changed = await client.patch(
        f"{issues}/{retries}", json={"title": "Flaky queue", "status": "todo"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert [r["id"] for r in await search(client, corpus, "flaky")] == [retries]
    assert retries not in {r["id"] for r in await search(client, corpus, "retries")}
    listed = await client.get(issues, params={"q": "flak"}, headers=headers)
    assert [i["id"] for i in listed.json()] == [retries]

    comments = f"{issues}/{corpus.issues['unrelated']['id']}/comments"
    edited = await client.patch(
        f"{comments}/{corpus.comment_id}", json={"content": "logs are fine"}, headers=headers
    )
    assert edited.status_code == 200, edited.text
    assert ("comment", "comment", "Dark mode") not in found(await search(client, corpus, "webh"))
    assert [r["id"] for r in await search(client, corpus, "logs")] == [corpus.comment_id]

    # deleting an issue takes its comments out of the index with it
    deleted = await client.delete(f"{issues}/{corpus.issues['unrelated']['id']}", headers=headers)
    assert deleted.status_code == 204
    assert await search(client, corpus, "logs") == []
    assert await search(client, corpus, "sidebar") == []
    gone = await client.delete(
        f"{API}/workspaces/{corpus.workspace_id}/projects/{corpus.project_ids['hooks']}",
        headers=headers,
    )
    assert gone.status_code == 204
    assert "project" not in {r["type"] for r in await search(client, corpus, "platform")}


async def test_the_migration_indexes_rows_already_there(backend: str, empty_db_url: str) -> None:
    settings = load_settings(database_url=empty_db_url)
    migrate.upgrade(settings, "0009")
    engine = get_engine(empty_db_url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO workspaces (id, name, slug, issue_prefix, issue_counter, settings, "
                "created_at, updated_at) VALUES ('w', 'W', 'w', 'ENG', 1, '{}', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO issues (id, workspace_id, title, description, status, priority, "
                "issue_number, identifier, version, created_at, updated_at) VALUES ('i', 'w', "
                "'Webhook retries', 'old text', 'todo', 'high', 1, 'ENG-1', 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    await reset_engine()
    migrate.upgrade(settings, "head")
    get_engine(empty_db_url)
    async with session_scope(read_only=True) as session:
        matched = await session.scalars(select(Issue.id).where(IssueTextMatch(parse("webh"))))
        assert list(matched) == ["i"]


async def matching_ids(q: str) -> list[str]:
    async with session_scope(read_only=True) as session:
        found = await session.scalars(select(Issue.id).where(IssueTextMatch(parse(q))))
        return list(found)


async def add_issue(title: str, description: str | None = None) -> str:
    async with session_scope() as session:
        workspace = Workspace(name="W", slug=f"w-{title.lower().replace(' ', '-')}")
        session.add(workspace)
        await session.flush()
        issue = Issue(workspace_id=workspace.id, title=title, description=description)
        session.add(issue)
        await session.flush()
        return issue.id


async def test_the_in_memory_database_is_searchable() -> None:
    engine = get_engine()  # nothing configured: in-memory SQLite built with create_all
    assert engine.url.get_backend_name() == "sqlite"
    found = await add_issue("Webhook retries", "gives up")
    assert await matching_ids("webh") == [found]
    assert await matching_ids("gives") == [found]


async def test_a_database_made_by_init_db_is_searchable(backend: str, empty_db_url: str) -> None:
    get_engine(empty_db_url)
    await init_db()  # a new database: create_all (and the search index with it), then stamp
    found = await add_issue("Webhook retries")
    assert await matching_ids("webh") == [found]
    await reset_engine()
    assert migrate.check(load_settings(database_url=empty_db_url)) is None
