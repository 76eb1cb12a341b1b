"""GET requests read in read-only transactions and never take the write lock.

Every GET route of the permission matrix is called by a signed-in person and by API keys, on
both backends, while every statement is watched: nothing is written in a read-only transaction
(PostgreSQL would also refuse it: READ ONLY), and the only write a GET may cause is an API key's
last use, in a short transaction of its own after the read. The few GET routes that change
something (links from mails and OAuth redirects) ask for a writing session explicitly.

Reads also take few round trips: the credential, its user and the caller's membership in the
path's workspace come back in one statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import Engine, event, select

from praisonai_platform.accounts.api_keys.service import hash_key
from praisonai_platform.api import deps
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import UserApiKey
from praisonai_platform.db.sqlite import READ_ONLY_OPTION
from praisonai_platform.workspaces.permissions import WORKSPACE_NOT_FOUND
from tests.api.test_permission_matrix import CASES, WS, build_world, fill
from tests.factories import AddMember, MakeUser, key_headers

GETS = [case for case in CASES if case.method == "GET"]
CALLERS = ("owner", "read_key", "agent_key")
WRITING_GETS = {
    "/api/v1/auth/verify-email",
    "/api/v1/auth/oauth/{provider}/authorize",
    "/api/v1/auth/oauth/{provider}/callback",
}
# Read-only too, but never-ending: the sweep cannot call them (tests/events/test_stream*.py do).
STREAMING_GETS = {"/api/v1/workspaces/{}/events/stream"}
_WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b|\bFOR (NO KEY )?UPDATE\b", re.IGNORECASE)
_RECORDS_KEY_USE = re.compile(r"^UPDATE user_api_keys SET last_used_at=", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    sql: str
    read_only: bool


@contextmanager
def watching_statements() -> Iterator[list[Statement]]:
    """Every statement the engine sends while the block runs, and whether its transaction is
    read-only."""
    seen: list[Statement] = []

    def record(connection: Any, _cursor: Any, sql: str, *_: Any) -> None:
        options = connection.get_execution_options()
        seen.append(Statement(sql, bool(options.get(READ_ONLY_OPTION))))

    # On every engine: a SQLite file's readers have a pool (an engine) of their own.
    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_every_get_reads_in_a_read_only_transaction(
    client: httpx.AsyncClient, make_user: MakeUser, add_member: AddMember
) -> None:
    people, ids = await build_world(client, make_user, add_member)
    problems: list[tuple[str, str, Any]] = []
    reads = 0
    for case in GETS:
        path = fill(case.path, ids)
        for caller in CALLERS:
            headers = key_headers(ids[caller]) if caller != "owner" else people["owner"].headers
            with watching_statements() as statements:
                response = await client.get(path, headers=headers)
            if response.status_code != case.expected[caller]:
                problems.append((case.path, caller, response.text[:120]))
            for statement in statements:
                reads += statement.read_only
                if statement.read_only and _WRITES.search(statement.sql):
                    problems.append((case.path, caller, f"written while reading: {statement}"))
                elif not statement.read_only and not (
                    statement.sql == "BEGIN IMMEDIATE" or _RECORDS_KEY_USE.match(statement.sql)
                ):
                    problems.append((case.path, caller, f"a writing transaction: {statement}"))
    assert not problems, problems
    assert reads >= len(GETS) * len(CALLERS)
    # The keys' use was recorded after their read-only requests.
    async with session_scope(read_only=True) as session:
        hashes = [hash_key(ids[caller]) for caller in CALLERS if caller != "owner"]
        used = list(
            await session.scalars(
                select(UserApiKey.last_used_at).where(UserApiKey.key_hash.in_(hashes))
            )
        )
    assert len(used) == 2 and None not in used


def test_only_the_known_gets_ask_for_a_writing_session(app: FastAPI) -> None:
    """Every other GET route with a database session is one the sweep above calls."""
    writing, reading = set(), set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or "GET" not in (context.methods or ()):
            continue
        path = str(context.path).rstrip("/")
        if not path.startswith("/api/"):
            continue  # the web app's pages: tests/web/test_web_app.py
        calls = set(_calls(route.dependant))
        if deps.get_write_db in calls:
            writing.add(path)
        elif deps.get_db in calls or deps.get_db_session in calls:
            reading.add(_generic(path))
    assert writing == WRITING_GETS
    swept = {_generic(case.path.split("?")[0].rstrip("/")) for case in GETS}
    assert reading == swept | STREAMING_GETS


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _generic(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path.replace("{workspace_id}", "{ws}"))


async def test_the_credential_and_the_membership_take_one_statement(
    client: httpx.AsyncClient, make_user: MakeUser, add_member: AddMember
) -> None:
    people, ids = await build_world(client, make_user, add_member)
    path = fill(WS + "/issues/{issue}", ids)
    outsider = people["outsider"].headers
    for headers, status in (
        (people["member"].headers, 200),
        (key_headers(ids["agent_key"]), 200),
        (outsider, 404),
    ):
        with watching_statements() as statements:
            response = await client.get(path, headers=headers)
        assert response.status_code == status, response.text
        about_the_caller = [s.sql for s in statements if _CALLER.search(s.sql)]
        assert len(about_the_caller) == 1, about_the_caller
    # The 0.1.9 dialect's answer for a non-member is unchanged: it recognises the text.
    assert response.json()["detail"] == WORKSPACE_NOT_FOUND


_CALLER = re.compile(r"\b(FROM|JOIN) (users|members)\b", re.IGNORECASE)
