"""Typed factories shared by the tests: people, workspaces, issues, keys, and audit-trail reads.

Two kinds: `new_*` write rows straight into the database bound by `session_scope()` (fast, no
API rules involved), `create_*` go through the API with an `httpx.AsyncClient` and assert the
201. The `make_user`, `make_workspace` and `add_member` fixtures (tests/api/conftest.py) are
these, bound to the test's client and settings; their types are `MakeUser`, `MakeWorkspace`
and `AddMember`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import httpx
from sqlalchemy import event, select

from praisonai_platform.accounts import passwords, tokens
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import get_engine, session_scope
from praisonai_platform.db.engine import engines_behind
from praisonai_platform.db.models import ActivityLog, Issue, Member, User

API = "/api/v1"
TEST_SECRET = "test-secret-that-is-long-enough-for-production-use"
PASSWORD = "correct horse battery staple"
_serial = itertools.count(1)


@dataclass
class Person:
    """A signed-in user of the API in tests."""

    id: str
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class MakeUser(Protocol):
    async def __call__(self, name: str | None = None, *, is_admin: bool = False) -> Person: ...


class MakeWorkspace(Protocol):
    async def __call__(self, owner: Person, **fields: Any) -> dict[str, Any]: ...


class AddMember(Protocol):
    async def __call__(self, workspace_id: str, person: Person, role: str = "member") -> None: ...


@lru_cache(maxsize=1)
def password_hash() -> str:
    """PASSWORD hashed once per process (hashing is deliberately slow)."""
    return passwords._hasher().hash(PASSWORD)


def serial() -> int:
    """A number no other factory call in this process has used."""
    return next(_serial)


# Straight into the database.


async def new_user(
    server_settings: ServerSettings, name: str | None = None, *, is_admin: bool = False
) -> Person:
    """A user whose password is PASSWORD, signed in with a token for `server_settings`."""
    n = serial()
    name = f"{name or 'user'}-{n}"
    email = f"{name}@example.com"
    async with session_scope() as session:
        user = User(name=name, email=email, password_hash=password_hash(), is_admin=is_admin)
        session.add(user)
        await session.flush()
        user_id = user.id
    return Person(id=user_id, email=email, name=name, token=tokens.issue(server_settings, user_id))


async def new_member(workspace_id: str, person: Person, role: str = "member") -> None:
    async with session_scope() as session:
        session.add(Member(workspace_id=workspace_id, user_id=person.id, role=role))


async def new_issue(workspace_id: str, title: str = "An issue", **fields: Any) -> Issue:
    """An issue without a number or activity row (the API would give it both)."""
    (issue,) = await new_issues(workspace_id, 1, title=title, **fields)
    return issue


async def new_issues(
    workspace_id: str, count: int, *, title: str | None = None, **fields: Any
) -> list[Issue]:
    """`count` issues, created one after another (so in this order by creation time)."""
    issues = []
    async with session_scope() as session:
        for i in range(count):
            issue = Issue(workspace_id=workspace_id, title=title or f"Issue {i}", **fields)
            session.add(issue)
            await session.flush()
            issues.append(issue)
    return issues


async def activity_of(
    workspace_id: str | None = None,
    *,
    issue_id: str | None = None,
    entity_type: str | None = None,
    action: str | None = None,
    exclude_entity_type: str | None = None,
) -> list[ActivityLog]:
    """Audit-trail rows matching every filter given, oldest first."""
    statement = select(ActivityLog)
    if workspace_id is not None:
        statement = statement.where(ActivityLog.workspace_id == workspace_id)
    if issue_id is not None:
        statement = statement.where(ActivityLog.issue_id == issue_id)
    if entity_type is not None:
        statement = statement.where(ActivityLog.entity_type == entity_type)
    if action is not None:
        statement = statement.where(ActivityLog.action == action)
    if exclude_entity_type is not None:
        statement = statement.where(ActivityLog.entity_type != exclude_entity_type)
    async with session_scope(read_only=True) as session:
        rows = await session.scalars(statement.order_by(ActivityLog.created_at, ActivityLog.id))
        return list(rows)


# Through the API.


async def post_created(
    client: httpx.AsyncClient, person: Person, path: str, **body: Any
) -> dict[str, Any]:
    """POST `body` to `path` as `person`, assert 201 and return the created object."""
    response = await client.post(path, json=body, headers=person.headers)
    assert response.status_code == 201, (path, response.text)
    created: dict[str, Any] = response.json()
    return created


async def create_workspace(
    client: httpx.AsyncClient, owner: Person, **fields: Any
) -> dict[str, Any]:
    return await post_created(
        client, owner, f"{API}/workspaces/", **{"name": f"Workspace {serial()}", **fields}
    )


async def create_issue(
    client: httpx.AsyncClient, person: Person, workspace_id: str, **fields: Any
) -> dict[str, Any]:
    return await post_created(
        client, person, f"{API}/workspaces/{workspace_id}/issues/", **{"title": "t", **fields}
    )


async def create_label(
    client: httpx.AsyncClient, workspace_id: str, person: Person, **fields: Any
) -> dict[str, Any]:
    return await post_created(
        client, person, f"{API}/workspaces/{workspace_id}/labels", **{"name": "bug", **fields}
    )


async def create_project(
    client: httpx.AsyncClient, workspace_id: str, person: Person, **fields: Any
) -> dict[str, Any]:
    return await post_created(
        client,
        person,
        f"{API}/workspaces/{workspace_id}/projects/",
        **{"title": "Launch", **fields},
    )


async def create_api_key(
    client: httpx.AsyncClient, person: Person, **fields: Any
) -> dict[str, Any]:
    """A new API key of `person`; the answer holds the secret `key`, shown only this once."""
    return await post_created(client, person, f"{API}/api-keys", **fields)


def key_headers(key: str, *, header: str = "bearer") -> dict[str, str]:
    """Headers authenticating with API key `key`, as a bearer token or in X-API-Key."""
    return {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-API-Key": key}


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    """The SQL statements the process's engine sends while the block runs."""
    statements: list[str] = []
    engines = [engine.sync_engine for engine in engines_behind(get_engine())]

    def count(*args: Any) -> None:
        statements.append(args[2])

    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
