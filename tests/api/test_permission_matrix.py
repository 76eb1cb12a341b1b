"""Every route for {owner, admin, member, non-member, anonymous}: the status each one gets.

Each case runs in a fresh workspace holding one of everything, created by its owner, so "own"
rules (creator, author, agent owner) apply to the owner only. That world is built through the API
once per backend (and xdist worker), saved, and restored from the copy whenever a request may have
changed it: a copied SQLite file, or a PostgreSQL database created from a template database.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from praisonai_platform.api.app import create_app
from praisonai_platform.config import sqlite_file_path
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import get_engine, reset_engine
from tests.conftest import postgres_admin
from tests.factories import AddMember, MakeUser, Person

ROLES = ("anonymous", "outsider", "member", "admin", "owner")  # weakest first


def expect(owner: int, admin: int, member: int, outsider: int = 404) -> dict[str, int]:
    return {
        "owner": owner,
        "admin": admin,
        "member": member,
        "outsider": outsider,
        "anonymous": 401,
    }


READ = expect(200, 200, 200)
CREATE = expect(201, 201, 201)
MEMBER_204 = expect(204, 204, 204)
ADMIN_200 = expect(200, 200, 403)
ADMIN_204 = expect(204, 204, 403)
OWNER_ONLY_200 = expect(200, 403, 403)

WS = "/api/v1/workspaces/{ws}"
GIFT = {"user_id": "{newcomer}", "amount": 1, "reason": "gift"}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expected: dict[str, int]
    body: dict[str, Any] | None = None


CASES = [
    Case("GET", "/api/v1/auth/me", expect(200, 200, 200, 200)),
    Case("GET", "/api/v1/workspaces/", expect(200, 200, 200, 200)),
    Case("GET", "/api/v1/api-keys", expect(200, 200, 200, 200)),
    Case("POST", "/api/v1/api-keys", expect(201, 201, 201, 201), {"label": "ci"}),
    Case("DELETE", "/api/v1/api-keys/{api_key}", expect(204, 404, 404, 404)),
    Case("GET", "/api/v1/auth/identities", expect(200, 200, 200, 200)),
    Case("GET", "/api/v1/credits", expect(200, 200, 200, 200)),
    Case("GET", "/api/v1/credits/ledger", expect(200, 200, 200, 200)),
    *(
        Case("POST", f"/api/v1/admin/credits/{action}", expect(403, 403, 403, 403), GIFT)
        for action in ("grant", "debit", "adjust")
    ),
    Case("POST", "/api/v1/workspaces/", expect(201, 201, 201, 201), {"name": "Another"}),
    Case("GET", WS, READ),
    Case("PATCH", WS, ADMIN_200, {"name": "Renamed"}),
    Case("DELETE", WS, expect(204, 403, 403)),
    Case("GET", WS + "/members", READ),
    Case("POST", WS + "/members", expect(201, 201, 403), {"user_id": "{newcomer}"}),
    Case("PATCH", WS + "/members/{target}", OWNER_ONLY_200, {"role": "admin"}),
    Case("DELETE", WS + "/members/{target}", ADMIN_204),
    Case("POST", WS + "/projects/", CREATE, {"title": "Roadmap"}),
    Case("GET", WS + "/projects/", READ),
    Case("GET", WS + "/projects/{project}", READ),
    Case("PATCH", WS + "/projects/{project}", ADMIN_200, {"title": "Renamed"}),
    Case("DELETE", WS + "/projects/{project}", ADMIN_204),
    Case("GET", WS + "/projects/{project}/stats", READ),
    Case("POST", WS + "/issues/", CREATE, {"title": "New issue"}),
    Case("GET", WS + "/issues/", READ),
    Case("GET", WS + "/issues/{issue}", READ),
    Case("PATCH", WS + "/issues/{issue}", READ, {"status": "todo"}),
    Case("DELETE", WS + "/issues/{issue}", ADMIN_204),
    Case("GET", WS + "/issues/{issue}/children", READ),
    Case("POST", WS + "/issues/{issue}/comments", CREATE, {"content": "Looks good"}),
    Case("GET", WS + "/issues/{issue}/comments", READ),
    Case(
        "PATCH", WS + "/issues/{issue}/comments/{comment}", expect(200, 403, 403), {"content": "x"}
    ),
    Case("DELETE", WS + "/issues/{issue}/comments/{comment}", ADMIN_204),
    Case("POST", WS + "/labels", CREATE, {"name": "urgent-fix"}),
    Case("GET", WS + "/labels", READ),
    Case("PATCH", WS + "/labels/{label}", ADMIN_200, {"color": "#112233"}),
    Case("DELETE", WS + "/labels/{label}", ADMIN_204),
    Case("POST", WS + "/issues/{other_issue}/labels/{label}", MEMBER_204),
    Case("DELETE", WS + "/issues/{issue}/labels/{label}", MEMBER_204),
    Case("GET", WS + "/issues/{issue}/labels", READ),
    Case(
        "POST",
        WS + "/issues/{other_issue}/dependencies/",
        CREATE,
        {"depends_on_issue_id": "{third_issue}"},
    ),
    Case("GET", WS + "/issues/{issue}/dependencies/", READ),
    Case("DELETE", WS + "/issues/{issue}/dependencies/{dependency}", MEMBER_204),
    Case("POST", WS + "/agents/", CREATE, {"name": "Helper"}),
    Case("GET", WS + "/agents/", READ),
    Case("GET", WS + "/agents/{agent}", READ),
    Case("PATCH", WS + "/agents/{agent}", ADMIN_200, {"status": "active"}),
    Case("DELETE", WS + "/agents/{agent}", ADMIN_204),
    Case("GET", WS + "/activity", READ),
    Case("POST", WS + "/runs", CREATE, {"agent_id": "{agent}"}),
    Case("GET", WS + "/runs", READ),
    Case("GET", WS + "/runs/{run}", READ),
    Case("POST", WS + "/runs/{run}/stop", READ),
    Case("GET", WS + "/runs/{run}/events", READ),
    Case("GET", WS + "/events", READ),
    Case("POST", WS + "/issues/{issue}/runs", CREATE, {"agent_id": "{agent}"}),
    Case("GET", WS + "/issues/{issue}/runs", READ),
    Case("GET", "/api/v1/events", expect(403, 403, 403, 403)),
    Case("GET", "/api/v1/runs/{run}", READ),
    Case("POST", "/api/v1/workers/register", expect(201, 201, 201, 201), {}),
    Case("GET", "/api/v1/workers", expect(200, 200, 200, 200)),
    Case("GET", "/api/v1/workers/{worker}", expect(200, 404, 404, 404)),
    Case("POST", "/api/v1/workers/{worker}/heartbeat", expect(200, 404, 404, 404), {}),
    Case("POST", "/api/v1/workers/{worker}/claim", expect(200, 404, 404, 404), {}),
    Case("POST", "/api/v1/workers/{worker}/offline", expect(200, 404, 404, 404)),
    Case("POST", "/api/v1/runs/{run}/claim", expect(200, 404, 404, 404), {"worker_id": "{worker}"}),
    *(
        Case(
            "POST",
            f"/api/v1/runs/{{claimed_run}}/{what}",
            expect(ok, 404, 404, 404),
            {"worker_id": "{worker}", **extra},
        )
        for what, ok, extra in (
            ("heartbeat", 200, {}),
            ("progress", 200, {}),
            ("events", 204, {}),
            ("usage", 200, {"step": 1, "amount": 0}),
            ("complete", 200, {}),
            ("fail", 200, {}),
            ("stopped", 200, {}),
        )
    ),
    Case("GET", WS + "/issues/{issue}/activity", READ),
]


def fill(template: Any, ids: dict[str, str]) -> Any:
    if isinstance(template, str):
        return template.format(**ids) if "{" in template else template
    if isinstance(template, dict):
        return {key: fill(value, ids) for key, value in template.items()}
    return template


async def build_world(
    client: httpx.AsyncClient, make_user: MakeUser, add_member: AddMember
) -> tuple[dict[str, Person], dict[str, str]]:
    people = {role: await make_user(role) for role in ("owner", "admin", "member", "outsider")}
    target, newcomer = await make_user("target"), await make_user("newcomer")
    headers = people["owner"].headers

    async def post(
        path: str, body: dict[str, Any] | None = None, status: int = 201
    ) -> dict[str, Any]:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == status, (path, response.text)
        return response.json() if response.content else {}

    workspace = await post("/api/v1/workspaces/", {"name": "Matrix"})
    ws = f"/api/v1/workspaces/{workspace['id']}"
    for role, person in (
        ("admin", people["admin"]),
        ("member", people["member"]),
        ("member", target),
    ):
        await add_member(workspace["id"], person, role)
    project = await post(f"{ws}/projects/", {"title": "Project"})
    issue = await post(f"{ws}/issues/", {"title": "Issue"})
    other = await post(f"{ws}/issues/", {"title": "Other"})
    third = await post(f"{ws}/issues/", {"title": "Third"})
    comment = await post(f"{ws}/issues/{issue['id']}/comments", {"content": "First!"})
    label = await post(f"{ws}/labels", {"name": "bug"})
    await post(f"{ws}/issues/{issue['id']}/labels/{label['id']}", status=204)
    dependency = await post(
        f"{ws}/issues/{issue['id']}/dependencies/", {"depends_on_issue_id": other["id"]}
    )
    agent = await post(f"{ws}/agents/", {"name": "Agent", "max_concurrent_tasks": 5})
    worker = await post("/api/v1/workers/register", {})
    await post(f"{ws}/runs", {"agent_id": agent["id"]})
    claimed_run = await post(f"/api/v1/workers/{worker['id']}/claim", {}, status=200)
    run = await post(f"{ws}/runs", {"agent_id": agent["id"]})
    api_key = await post("/api/v1/api-keys", {"label": "owner's"})
    ids = {
        "ws": workspace["id"],
        "project": project["id"],
        "issue": issue["id"],
        "other_issue": other["id"],
        "third_issue": third["id"],
        "comment": comment["id"],
        "label": label["id"],
        "dependency": dependency["id"],
        "agent": agent["id"],
        "run": run["id"],
        "claimed_run": claimed_run["id"],
        "worker": worker["id"],
        "api_key": api_key["id"],
        "target": target.id,
        "newcomer": newcomer.id,
    }
    return people, ids


@dataclass
class SavedWorld:
    """The world of one backend: built once, saved, and restored into a fresh database on demand.

    `changed` says the current database may differ from the saved world (a request other than
    GET reached it), so the next `enter` restores a copy instead of reusing it.
    """

    backend: str
    directory: Path
    server_url: str | None
    people: dict[str, Person] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    saved: str | None = None  # the saved copy: a SQLite file path or a PostgreSQL database name
    current: str | None = None  # the URL of the database the app uses now
    changed: bool = True
    databases: list[str] = field(default_factory=list)
    _copies: Iterator[int] = field(default_factory=itertools.count)

    async def enter(
        self, db_url: str, client: httpx.AsyncClient, make_user: MakeUser, add_member: AddMember
    ) -> tuple[dict[str, Person], dict[str, str]]:
        """Point the app at a database holding exactly the world, and return its people and ids."""
        if self.saved is None:
            self.people, self.ids = await build_world(client, make_user, add_member)
            await reset_engine()
            self._save(db_url)
            self.changed = True
        if self.changed:
            await reset_engine()
            self.current = self._restore()
            self.changed = False
        await reset_engine()
        assert self.current is not None
        get_engine(self.current)
        return self.people, self.ids

    def _save(self, db_url: str) -> None:
        if self.backend == "sqlite":
            source = sqlite_file_path(db_url)
            assert source is not None
            saved = self.directory / "world.db"
            with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(saved)) as dst:
                src.backup(dst)
            self.saved = str(saved)
            return
        assert self.server_url is not None
        name = f"platform_matrix_{uuid.uuid4().hex[:12]}"
        with postgres_admin(self.server_url) as admin:
            admin.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(db_url).database}"'))
        self.databases.append(name)
        self.saved = name

    def _restore(self) -> str:
        assert self.saved is not None
        if self.backend == "sqlite":
            copy = self.directory / f"world-{next(self._copies)}.db"
            shutil.copyfile(self.saved, copy)
            return f"sqlite+aiosqlite:///{copy}"
        assert self.server_url is not None
        name = f"{self.saved}_work"
        with postgres_admin(self.server_url) as admin:
            admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.saved}"'))
        if name not in self.databases:
            self.databases.append(name)
        url = make_url(self.server_url).set(database=name)
        return url.render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.server_url is None:
            return
        with postgres_admin(self.server_url) as admin:
            for name in reversed(self.databases):
                admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def saved_world(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SavedWorld]:
    server_url = request.getfixturevalue("postgres_server_url") if backend == "postgres" else None
    world = SavedWorld(backend, tmp_path_factory.mktemp(f"matrix-{backend}"), server_url)
    yield world
    world.drop()


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.method} {case.path}")
async def test_route_permissions(
    db_url: str,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    add_member: AddMember,
    saved_world: SavedWorld,
    case: Case,
) -> None:
    """Roles are tried weakest first; the world is restored after a request changed it."""
    fresh = True
    for role in ROLES:
        if fresh:
            people, ids = await saved_world.enter(db_url, client, make_user, add_member)
            fresh = False
        headers = people[role].headers if role in people else {}
        response = await client.request(
            case.method, fill(case.path, ids), json=fill(case.body, ids), headers=headers
        )
        if case.method != "GET":
            saved_world.changed = True  # even a refusal: the next test starts from a copy
        assert response.status_code == case.expected[role], (role, response.text)
        if response.status_code >= 400:
            assert response.json()["code"]
        elif case.method != "GET":
            fresh = True


def test_the_matrix_covers_every_route() -> None:
    document = create_app(ServerSettings(jwt_secret="x" * 40)).openapi()
    public = {
        ("POST", "/api/v1/auth/register"),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/auth/oauth/providers"),
        ("GET", "/api/v1/auth/oauth/{provider}/authorize"),
        ("GET", "/api/v1/auth/oauth/{provider}/callback"),
        # Webhooks authenticate by signature or secret token (tests/credits).
        ("POST", "/api/v1/payments/webhooks/stripe"),
        ("POST", "/api/v1/payments/webhooks/telegram"),
        # Unlinking needs an identity of one's own; tests/accounts covers who may.
        ("DELETE", "/api/v1/auth/identities/{identity_id}"),
    }
    routes = {
        (method.upper(), path.replace("{workspace_id}", "{ws}"))
        for path, operations in document["paths"].items()
        for method in operations
        if path.startswith("/api/v1")
    } - public
    covered = {(case.method, _generic(case.path)) for case in CASES}
    assert {(m, _generic(p)) for m, p in routes} == covered


def _generic(path: str) -> str:
    """The path with every placeholder named alike, so templates compare by shape."""
    import re

    return re.sub(r"\{[^}]+\}", "{}", path)
