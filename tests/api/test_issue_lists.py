"""Listing issues: every filter, every sort, and paging that walks all pages exactly once."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Agent, Issue, IssueLabel, IssueLabelLink, Project
from tests.factories import Person

Params = list[tuple[str, Any]]

# title, description, status, priority, assignee, creator, project, labels, parent (number)
SPECS: list[tuple[Any, ...]] = [
    ("Login fails", "Users cannot sign in", "todo", "high", "member", "owner", "p1", {"bug"}, None),
    ("Fix 100% CPU", None, "in_progress", "urgent", "agent", "member", "p1", {"bug", "ui"}, None),
    ("snake_case names", "rename my_var", "done", "low", None, "owner", "p2", set(), None),
    ("Write docs", "see LOGIN page", "backlog", "none", None, "member", None, {"docs"}, 1),
    ("Child two", None, "blocked", "medium", "member", "owner", None, set(), 1),
    ("Grandchild", None, "in-review", "high", "agent", "owner", "p2", {"ui"}, 5),
    (
        "Cancelled thing",
        "100 percent done",
        "cancelled",
        "urgent",
        None,
        "member",
        None,
        set(),
        None,
    ),
    ("Backlog item", None, "backlog", "medium", "member", "member", "p1", {"docs", "bug"}, None),
    ("Another todo", "snake-case", "todo", "none", None, "owner", None, set(), 2),
    ("Done deal", None, "done", "high", "agent", "owner", "p2", set(), None),
    ("Login page polish", None, "in-progress", "low", "member", "member", "p1", {"ui"}, None),
    ("Plain", None, "backlog", "medium", None, "owner", None, set(), None),
]
PRIORITY_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3, "urgent": 4}


@dataclass
class Board:
    """A workspace full of issues, and the ids a test needs to name things in it."""

    workspace_id: str
    owner: Person
    member: Person
    agent_id: str
    projects: dict[str, str]
    labels: dict[str, str]
    numbers: dict[str, int]  # issue id -> number

    @property
    def url(self) -> str:
        return f"/api/v1/workspaces/{self.workspace_id}/issues/"

    def id_of(self, number: int) -> str:
        return next(id_ for id_, n in self.numbers.items() if n == number)


@pytest.fixture
async def board(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> Board:  # type: ignore[no-untyped-def]
    owner, member = await make_user(), await make_user()
    ws = (await make_workspace(owner, issue_prefix="ENG"))["id"]
    await add_member(ws, member)
    async with session_scope() as session:
        agent = Agent(workspace_id=ws, name="bot")
        projects = {key: Project(workspace_id=ws, name=key) for key in ("p1", "p2")}
        labels = {name: IssueLabel(workspace_id=ws, name=name) for name in ("bug", "ui", "docs")}
        session.add_all([agent, *projects.values(), *labels.values()])
        await session.flush()
        board = Board(
            workspace_id=ws,
            owner=owner,
            member=member,
            agent_id=agent.id,
            projects={key: project.id for key, project in projects.items()},
            labels={name: label.id for name, label in labels.items()},
            numbers={},
        )
    people = {"owner": owner, "member": member}
    links = []
    for title, description, status, priority, assignee, creator, project, tags, parent in SPECS:
        body: dict[str, Any] = {"title": title, "status": status, "priority": priority}
        if description is not None:
            body["description"] = description
        if assignee == "member":
            body["assignee_id"] = member.id
        elif assignee == "agent":
            body |= {"assignee_type": "agent", "assignee_id": board.agent_id}
        if project is not None:
            body["project_id"] = board.projects[project]
        if parent is not None:
            body["parent_issue_id"] = f"ENG-{parent}"
        response = await client.post(board.url, json=body, headers=people[creator].headers)
        assert response.status_code == 201, response.text
        issue = response.json()
        board.numbers[issue["id"]] = issue["number"]
        links += [IssueLabelLink(issue_id=issue["id"], label_id=board.labels[t]) for t in tags]
    async with session_scope() as session:
        session.add_all(links)
    return board


async def listed_numbers(client: httpx.AsyncClient, board: Board, params: Params) -> set[int]:
    counted = {**board.owner.headers, "Prefer": "count=exact"}
    response = await client.get(board.url, params=params, headers=counted)
    assert response.status_code == 200, (params, response.text)
    numbers = [issue["number"] for issue in response.json()]
    assert response.headers["X-Total-Count"] == str(len(numbers))
    return set(numbers)


def spec_numbers(keep: Any) -> set[int]:
    return {n for n, spec in enumerate(SPECS, start=1) if keep(*spec)}


async def test_every_filter(client: httpx.AsyncClient, board: Board) -> None:
    member, agent = board.member.id, board.agent_id
    p1, ui = board.projects["p1"], board.labels["ui"]
    cases: list[tuple[Params, set[int]]] = [
        ([], set(range(1, 13))),
        ([("status", "todo")], {1, 9}),
        ([("status", "todo"), ("status", "done")], {1, 3, 9, 10}),
        ([("status", "todo,done")], {1, 3, 9, 10}),
        ([("status", "in_progress")], {2, 11}),
        ([("status", "IN-REVIEW, blocked")], {5, 6}),
        ([("priority", "urgent"), ("priority", "high")], {1, 2, 6, 7, 10}),
        ([("priority", "none")], {4, 9}),
        ([("assignee_id", member)], {1, 5, 8, 11}),
        ([("assignee_id", agent)], {2, 6, 10}),
        ([("assignee_id", agent), ("assignee_type", "agent")], {2, 6, 10}),
        ([("assignee_id", agent), ("assignee_type", "user")], set()),
        ([("assignee_type", "agent")], {2, 6, 10}),
        ([("assignee_type", "user")], {1, 5, 8, 11}),
        ([("assignee_id", "none")], {3, 4, 7, 9, 12}),
        ([("creator_id", member)], {2, 4, 7, 8, 11}),
        ([("creator_id", board.owner.id)], {1, 3, 5, 6, 9, 10, 12}),
        ([("project_id", p1)], {1, 2, 8, 11}),
        ([("project_id", "no-such-project")], set()),
        ([("label", "bug")], {1, 2, 8}),
        ([("label", ui)], {2, 6, 11}),
        ([("label", "bug"), ("label", "docs")], {1, 2, 4, 8}),
        ([("label", "nope")], set()),
        ([("parent_issue_id", board.id_of(1))], {4, 5}),
        ([("parent_issue_id", "ENG-5")], {6}),
        ([("parent_issue_id", "none")], {1, 2, 3, 7, 8, 10, 11, 12}),
        # q: every word, as a whole word or a prefix, in the title or description (the
        # search index; tests/api/test_search.py), or the issue a key or number names
        ([("q", "login")], {1, 4, 11}),
        ([("q", "logi")], {1, 4, 11}),
        ([("q", "100%")], {2, 7}),
        ([("q", "snake_case")], {3, 9}),
        ([("q", "my_var")], {3}),
        ([("q", "login page")], {4, 11}),
        ([("q", "ENG-5")], {5}),
        ([("status", "todo"), ("project_id", p1)], {1}),
        ([("label", "ui"), ("assignee_type", "agent"), ("priority", "high")], {6}),
    ]
    for params, expected in cases:
        assert await listed_numbers(client, board, params) == expected, params
    # the statuses as stored are the canonical spellings
    in_progress = spec_numbers(lambda *s: s[2].replace("_", "-") == "in-progress")
    assert await listed_numbers(client, board, [("status", "in-progress")]) == in_progress


async def test_updated_since(client: httpx.AsyncClient, board: Board) -> None:
    old = datetime(2020, 1, 1, tzinfo=UTC)
    async with session_scope() as session:
        await session.execute(
            update(Issue)
            .where(Issue.workspace_id == board.workspace_id, Issue.issue_number <= 6)
            .values(updated_at=old)
        )
    cutoff = old + timedelta(days=1)
    assert await listed_numbers(client, board, [("updated_since", cutoff.isoformat())]) == set(
        range(7, 13)
    )
    in_new_york = cutoff.astimezone(timezone(timedelta(hours=-5))).isoformat()
    assert await listed_numbers(client, board, [("updated_since", in_new_york)]) == set(
        range(7, 13)
    )
    assert await listed_numbers(client, board, [("updated_since", "2019-12-31T23:00:00Z")]) == set(
        range(1, 13)
    )
    for naive_or_bad in (
        "2020-01-02T00:00:00",
        "yesterday",
        "2020-13-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
    ):
        response = await client.get(
            board.url, params={"updated_since": naive_or_bad}, headers=board.owner.headers
        )
        assert response.status_code == 422, naive_or_bad
        assert response.json()["code"] == "validation_failed"


@pytest.mark.parametrize(
    "params",
    [
        {"status": "open"},
        {"status": "todo,nope"},
        {"priority": "critical"},
        {"assignee_type": "system"},
        {"sort": "title"},
        {"sort": "--number"},
        {"limit": 0},
        {"limit": 201},
        {"offset": -1},
        {"q": ""},
        {"q": "x" * 501},
        {"assignee_id": "x" * 65},
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, board: Board, params: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(board.url, params=params, headers=board.owner.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"


def sort_value(issue: dict[str, Any], field: str) -> Any:
    if field == "priority":
        return PRIORITY_RANK[issue["priority"]]
    if field == "number":
        return issue["number"]
    return datetime.fromisoformat(issue[field])


async def walk_pages(
    client: httpx.AsyncClient, board: Board, params: Params, *, limit: int
) -> list[dict[str, Any]]:
    """Follow the Link header from the first page to the last."""
    items: list[dict[str, Any]] = []
    response = await client.get(
        board.url, params=[*params, ("limit", limit)], headers=board.owner.headers
    )
    while True:
        assert response.status_code == 200, response.text
        assert len(response.json()) <= limit
        items += response.json()
        link = response.headers.get("Link")
        if link is None:
            return items
        assert link.endswith('>; rel="next"')
        response = await client.get(link[1 : link.index(">")], headers=board.owner.headers)


@pytest.mark.parametrize(
    "sort",
    [
        "number",
        "-number",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
        "priority",
        "-priority",
    ],
)
async def test_every_sort_pages_without_duplicates_or_gaps(
    client: httpx.AsyncClient, board: Board, sort: str
) -> None:  # type: ignore[no-untyped-def]
    # ties, so that the id has to break them
    same = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    async with session_scope() as session:
        await session.execute(
            update(Issue)
            .where(Issue.workspace_id == board.workspace_id, Issue.issue_number.in_([3, 4, 5]))
            .values(created_at=same, updated_at=same)
        )
        await session.execute(
            update(Issue)
            .where(Issue.workspace_id == board.workspace_id, Issue.issue_number.in_([7, 8, 9]))
            .values(updated_at=same + timedelta(hours=1))
        )
    everything = await client.get(
        board.url,
        params={"sort": sort, "limit": 200},
        headers={**board.owner.headers, "Prefer": "count=exact"},
    )
    assert everything.status_code == 200
    assert everything.headers["X-Total-Count"] == "12"
    assert "Link" not in everything.headers
    full = everything.json()
    field, descending = sort.removeprefix("-"), sort.startswith("-")
    values = [sort_value(issue, field) for issue in full]
    assert values == sorted(values, reverse=descending)
    if field == "priority":  # then by number within a priority, in the same direction
        for before, after in itertools.pairwise(full):
            if before["priority"] == after["priority"]:
                assert (before["number"] > after["number"]) == descending

    for limit in (1, 3, 5, 12):
        walked = await walk_pages(client, board, [("sort", sort)], limit=limit)
        assert [issue["id"] for issue in walked] == [issue["id"] for issue in full], limit

    by_offset = []
    for offset in range(0, 12, 5):
        response = await client.get(
            board.url,
            params={"sort": sort, "limit": 5, "offset": offset},
            headers=board.owner.headers,
        )
        by_offset += response.json()
    assert [issue["id"] for issue in by_offset] == [issue["id"] for issue in full]


async def test_filters_stay_on_every_page(client: httpx.AsyncClient, board: Board) -> None:
    params: Params = [("status", "backlog"), ("status", "todo"), ("sort", "-priority")]
    walked = await walk_pages(client, board, params, limit=2)
    assert {issue["number"] for issue in walked} == {1, 4, 8, 9, 12}
    assert len(walked) == 5


async def test_the_default_order_is_by_number(client: httpx.AsyncClient, board: Board) -> None:
    response = await client.get(board.url.rstrip("/"), headers=board.owner.headers)
    assert response.status_code == 200
    assert [issue["number"] for issue in response.json()] == list(range(1, 13))
    counted = {**board.owner.headers, "Prefer": "count=exact"}
    first = await client.get(board.url, params={"limit": 5}, headers=counted)
    assert [issue["number"] for issue in first.json()] == [1, 2, 3, 4, 5]
    assert first.headers["X-Total-Count"] == "12"


async def test_a_cursor_is_only_valid_for_its_own_ordering(
    client: httpx.AsyncClient, board: Board
) -> None:
    first = await client.get(board.url, params={"limit": 2}, headers=board.owner.headers)
    cursor = first.headers["Link"].split("cursor=")[1].split(">")[0]
    for params in (
        {"cursor": cursor, "sort": "-number"},
        {"cursor": cursor, "sort": "priority"},
        {"cursor": "garbage"},
        {"cursor": "eyJrIjpbIm51bWJlciIsImlkIl0sInYiOlsiYSIsMV19"},
    ):
        response = await client.get(board.url, params=params, headers=board.owner.headers)
        assert (response.status_code, response.json()["code"]) == (422, "invalid_cursor"), params
    fine = await client.get(board.url, params={"cursor": cursor}, headers=board.owner.headers)
    assert [issue["number"] for issue in fine.json()][:2] == [3, 4]


async def test_lists_are_for_members_only(
    client: httpx.AsyncClient, board: Board, make_user
) -> None:  # type: ignore[no-untyped-def]
    outsider = await make_user()
    hidden = await client.get(board.url, headers=outsider.headers)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    assert (await client.get(board.url)).status_code == 401
    listed = await client.get(board.url, headers=board.member.headers)
    assert listed.status_code == 200 and len(listed.json()) == 12
