"""Every route for every kind of caller: the status each one gets.

The callers: anonymous, a non-member, a member, an admin and the owner (signed in), and three
API keys of the owner: one bound to the workspace's agent (member rights at most), a read-only
key, and a full key limited to another workspace.

Each case runs in a fresh workspace holding one of everything, created by its owner, so "own"
rules (creator, author, agent owner) apply to the owner only (and, for the agent's owner, to the
agent's key). That world is built through the API once per backend (and xdist worker), saved,
and restored from the copy whenever a request may have changed it: a copied SQLite file, or a
PostgreSQL database created from a template database.
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
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from praisonai_platform.api.app import create_app
from praisonai_platform.config import sqlite_file_path
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import get_engine, reset_engine, session_scope
from praisonai_platform.db.models import User
from praisonai_platform.db.types import utcnow
from tests import conftest
from tests.conftest import postgres_admin
from tests.factories import AddMember, MakeUser, Person, key_headers

# Weakest first. The keys are the owner's: `agent_key` bound to the workspace's agent,
# `read_key` read-only, `other_key` full but limited to another workspace.
ROLES = (
    "anonymous",
    "outsider",
    "other_key",
    "read_key",
    "agent_key",
    "member",
    "admin",
    "owner",
)
KEYS = ("agent_key", "read_key", "other_key")
OUT_OF_SCOPE = 403  # a workspace-limited key outside its workspace: key_out_of_scope


def expect(
    owner: int,
    admin: int,
    member: int,
    outsider: int = 404,
    *,
    agent_key: int | None = None,
    read_key: int | None = None,
    other_key: int = OUT_OF_SCOPE,
) -> dict[str, int]:
    """Statuses by caller. The agent's key gets what a member gets unless told otherwise; the
    read-only key what the owner gets (a Case refuses it every write)."""
    return {
        "owner": owner,
        "admin": admin,
        "member": member,
        "outsider": outsider,
        "anonymous": 401,
        "agent_key": member if agent_key is None else agent_key,
        "read_key": owner if read_key is None else read_key,
        "other_key": other_key,
    }


def account(
    person: int, *, agent_key: int | None = None, read_key: int | None = None, other_key: int
) -> dict[str, int]:
    """A route outside any workspace: every signed-in person gets `person`."""
    return expect(
        person,
        person,
        person,
        person,
        agent_key=person if agent_key is None else agent_key,
        read_key=read_key,
        other_key=other_key,
    )


READ = expect(200, 200, 200)
CREATE = expect(201, 201, 201)
MEMBER_204 = expect(204, 204, 204)
ADMIN_200 = expect(200, 200, 403)
ADMIN_204 = expect(204, 204, 403)
OWNER_ONLY_200 = expect(200, 403, 403)
OWN_WORKER = expect(200, 404, 404, 404, agent_key=200, other_key=200)  # the owner's worker

WS = "/api/v1/workspaces/{ws}"
WEBHOOK_ADMIN_200 = expect(200, 200, 403, agent_key=403, read_key=403)
WEBHOOK_ADMIN_201 = expect(201, 201, 403, agent_key=403)
HOOK_URL = "https://93.184.216.34/hook"  # a public address: saved without DNS
GIFT = {"user_id": "{newcomer}", "amount": 1, "reason": "gift"}


@dataclass(frozen=True)
class Case:
    """`repeatable`: a success leaves the world fit for the next caller's request (it only adds
    rows nothing else depends on), so no restore is needed after it."""

    method: str
    path: str
    expected: dict[str, int]
    body: dict[str, Any] | None = None
    repeatable: bool = False
    read_key_refused: bool = True  # a write: the read-only key gets 403 where its person would not

    def __post_init__(self) -> None:
        if self.method != "GET" and self.read_key_refused and self.expected["read_key"] < 400:
            # Read-only keys change nothing: 403 where their person would have succeeded.
            object.__setattr__(self, "expected", {**self.expected, "read_key": 403})


ANY_KEY_REFUSED = 403  # key management needs a session (create) or a full key (list, revoke)

CASES = [
    Case("GET", "/api/v1/auth/me", account(200, other_key=200)),
    Case("GET", "/api/v1/workspaces/", account(200, other_key=200)),
    Case("GET", "/api/v1/api-keys", account(200, agent_key=403, read_key=403, other_key=403)),
    Case(
        "POST",
        "/api/v1/api-keys",
        account(201, agent_key=ANY_KEY_REFUSED, other_key=ANY_KEY_REFUSED),
        {"label": "ci"},
        repeatable=True,
    ),
    Case(
        "DELETE",
        "/api/v1/api-keys/{api_key}",
        expect(204, 404, 404, 404, agent_key=403, other_key=403),
    ),
    Case("GET", "/api/v1/auth/identities", account(200, other_key=200)),
    # Signing out ends sessions; keys are revoked instead. Each caller signs out only themself.
    Case(
        "POST",
        "/api/v1/auth/logout",
        account(204, agent_key=403, other_key=403),
        repeatable=True,
    ),
    # Any credential of the person may ask for a new link (it goes to the person's address);
    # the outsider's address is verified (to answer invitations).
    Case(
        "POST",
        "/api/v1/auth/verify-email/resend",
        expect(202, 202, 202, 409, agent_key=202, other_key=202),
        repeatable=True,
        read_key_refused=False,
    ),
    # An agent's key reads the balance its runs are charged to; it never changes credits.
    Case("GET", "/api/v1/credits", account(200, other_key=200)),
    Case("GET", "/api/v1/credits/ledger", account(200, other_key=200)),
    *(
        Case("POST", f"/api/v1/admin/credits/{action}", account(403, other_key=403), GIFT)
        for action in ("grant", "debit", "adjust")
    ),
    Case(
        "POST",
        "/api/v1/workspaces/",
        account(201, agent_key=403, other_key=403),
        {"name": "Another"},
        repeatable=True,
    ),
    Case("GET", WS, READ),
    Case("PATCH", WS, ADMIN_200, {"name": "Renamed"}),
    Case("DELETE", WS, expect(204, 403, 403)),
    Case("GET", WS + "/members", READ),
    Case("POST", WS + "/members", expect(202, 202, 403), {"email": "invited@example.com"}),
    # Adding by user_id is off unless the operator allows it (tests/api/test_members.py).
    Case("POST", WS + "/members", expect(403, 403, 403), {"user_id": "{newcomer}"}),
    Case("POST", WS + "/invitations", expect(202, 202, 403), {"email": "invited@example.com"}),
    # Listing invitations is member management (MEMBER_MANAGE), which read-only keys lack.
    Case("GET", WS + "/invitations", expect(200, 200, 403, read_key=403)),
    Case("POST", WS + "/invitations/{invitation}/revoke", expect(200, 200, 403)),
    Case("GET", "/api/v1/invitations", account(200, agent_key=403, other_key=200)),
    # Invitations are the invitee's (the outsider's) to answer; nobody else sees them.
    # Agents never answer invitations; the owner's other keys find none of theirs.
    *(
        Case(
            "POST",
            f"/api/v1/invitations/{{invitation}}/{answer}",
            expect(404, 404, 404, 200, agent_key=403, other_key=404),
        )
        for answer in ("accept", "decline")
    ),
    Case("PATCH", WS + "/members/{target}", OWNER_ONLY_200, {"role": "admin"}),
    Case("DELETE", WS + "/members/{target}", ADMIN_204),
    Case("POST", WS + "/projects/", CREATE, {"title": "Roadmap"}, repeatable=True),
    Case("GET", WS + "/projects/", READ),
    Case("GET", WS + "/projects/{project}", READ),
    Case("PATCH", WS + "/projects/{project}", ADMIN_200, {"title": "Renamed"}),
    Case("DELETE", WS + "/projects/{project}", ADMIN_204),
    Case("GET", WS + "/projects/{project}/stats", READ),
    Case("POST", WS + "/issues/", CREATE, {"title": "New issue"}, repeatable=True),
    Case("GET", WS + "/issues/", READ),
    Case("GET", WS + "/search?q=issue", READ),
    Case("GET", WS + "/issues/{issue}", READ),
    Case("PATCH", WS + "/issues/{issue}", READ, {"status": "todo"}, repeatable=True),
    Case("DELETE", WS + "/issues/{issue}", ADMIN_204),
    Case("GET", WS + "/issues/{issue}/children", READ),
    Case(
        "POST", WS + "/issues/{issue}/comments", CREATE, {"content": "Looks good"}, repeatable=True
    ),
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
    Case("POST", WS + "/agents/", CREATE, {"name": "Helper"}, repeatable=True),
    Case("GET", WS + "/agents/", READ),
    Case("GET", WS + "/agents/{agent}", READ),
    # The agent's key acts for the agent's owner, with member rights: a member may change the
    # agents they own.
    Case(
        "PATCH",
        WS + "/agents/{agent}",
        expect(200, 200, 403, agent_key=200),
        {"status": "active"},
        repeatable=True,
    ),
    Case("DELETE", WS + "/agents/{agent}", expect(204, 204, 403, agent_key=204)),
    Case("GET", WS + "/activity", READ),
    Case("GET", WS + "/events/feed", READ),
    Case("POST", WS + "/runs", CREATE, {"agent_id": "{agent}"}, repeatable=True),
    Case("GET", WS + "/runs", READ),
    Case("GET", WS + "/runs/{run}", READ),
    Case("POST", WS + "/runs/{run}/stop", READ, repeatable=True),
    Case("GET", WS + "/runs/{run}/events", READ),
    Case("GET", WS + "/events", READ),
    Case("POST", WS + "/issues/{issue}/runs", CREATE, {"agent_id": "{agent}"}, repeatable=True),
    Case("GET", WS + "/issues/{issue}/runs", READ),
    Case("GET", "/api/v1/events", account(403, other_key=403)),
    Case("GET", "/api/v1/runs/{run}", READ),
    # Workers are their person's: any credential of the owner may act as the owner's worker;
    # what it claims stays within the key's workspace (and the agent's runs, for its key).
    Case("POST", "/api/v1/workers/register", account(201, other_key=201), {}, repeatable=True),
    Case("GET", "/api/v1/workers", account(200, other_key=200)),
    Case("GET", "/api/v1/workers/{worker}", OWN_WORKER),
    Case("POST", "/api/v1/workers/{worker}/heartbeat", OWN_WORKER, {}, repeatable=True),
    Case("POST", "/api/v1/workers/{worker}/claim", {**OWN_WORKER, "other_key": 204}, {}),
    Case("POST", "/api/v1/workers/{worker}/offline", OWN_WORKER, repeatable=True),
    Case(
        "POST",
        "/api/v1/runs/{run}/claim",
        expect(200, 404, 404, 404, agent_key=200),
        {"worker_id": "{worker}"},
    ),
    *(
        Case(
            "POST",
            f"/api/v1/runs/{{claimed_run}}/{what}",
            expect(ok, 404, 404, 404, agent_key=ok),
            {"worker_id": "{worker}", **extra},
            repeatable=repeatable,
        )
        for what, ok, extra, repeatable in (
            ("heartbeat", 200, {}, True),
            ("progress", 200, {}, True),
            ("events", 204, {}, True),
            ("usage", 200, {"step": 1, "amount": 0}, False),
            ("complete", 200, {}, False),
            ("fail", 200, {}, False),
            ("stopped", 200, {}, False),
        )
    ),
    Case("GET", WS + "/issues/{issue}/activity", READ),
    # Webhooks: admins, with a person's credential (never an agent's or a read-only key).
    Case("POST", WS + "/webhooks", WEBHOOK_ADMIN_201, {"url": HOOK_URL}, repeatable=True),
    Case("GET", WS + "/webhooks", WEBHOOK_ADMIN_200),
    Case("GET", WS + "/webhooks/{webhook}", WEBHOOK_ADMIN_200),
    Case("PATCH", WS + "/webhooks/{webhook}", WEBHOOK_ADMIN_200, {"description": "x"}),
    Case("DELETE", WS + "/webhooks/{webhook}", expect(204, 204, 403, agent_key=403)),
    Case("GET", WS + "/webhooks/{webhook}/deliveries", WEBHOOK_ADMIN_200),
    Case(
        "POST",
        WS + "/webhooks/{webhook}/deliveries/{delivery}/redeliver",
        WEBHOOK_ADMIN_201,
        repeatable=True,
    ),
    Case("POST", WS + "/webhooks/{webhook}/ping", WEBHOOK_ADMIN_201, repeatable=True),
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
    webhook = await post(f"{ws}/webhooks", {"url": HOOK_URL})
    delivery = await post(f"{ws}/webhooks/{webhook['id']}/ping")
    elsewhere = await post("/api/v1/workspaces/", {"name": "Elsewhere"})
    secrets = {  # the keys acting as callers of their own (ROLES)
        "agent_key": await post("/api/v1/api-keys", {"agent_id": agent["id"]}),
        "read_key": await post("/api/v1/api-keys", {"scopes": ["read"]}),
        "other_key": await post("/api/v1/api-keys", {"workspace_id": elsewhere["id"]}),
    }
    invitation = await post(f"{ws}/invitations", {"email": people["outsider"].email}, status=202)
    async with session_scope() as session:  # only a verified email answers invitations
        await session.execute(
            update(User).where(User.id == people["outsider"].id).values(email_verified_at=utcnow())
        )
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
        "webhook": webhook["id"],
        "delivery": str(delivery["id"]),
        "invitation": invitation["id"],
        "target": target.id,
        "newcomer": newcomer.id,
        **{caller: created["key"] for caller, created in secrets.items()},
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
        # A template must have no other connections: the suite may keep one for emptying it.
        forget = getattr(conftest, "_forget_emptying_engine", None)
        if forget is not None:
            forget(db_url)
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
    """Callers are tried weakest first; the world is restored after a request changed it
    (unless the case is `repeatable`). Every caller is tried, and every mismatch reported."""
    fresh = True
    mismatches: list[tuple[str, int, str]] = []
    for role in ROLES:
        if fresh:
            people, ids = await saved_world.enter(db_url, client, make_user, add_member)
            fresh = False
        if role in KEYS:
            headers = key_headers(ids[role])
        else:
            headers = people[role].headers if role in people else {}
        response = await client.request(
            case.method, fill(case.path, ids), json=fill(case.body, ids), headers=headers
        )
        if case.method != "GET":
            saved_world.changed = True  # even a refusal: the next test starts from a copy
        if response.status_code != case.expected[role]:
            mismatches.append((role, response.status_code, response.text[:80]))
        if response.status_code >= 400:
            assert response.json()["code"], (role, response.text)
        elif case.method != "GET" and not case.repeatable:
            fresh = True
    assert not mismatches, mismatches


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
        # Authenticated by the token of a mail, not by a credential (tests/accounts).
        ("POST", "/api/v1/auth/password-reset"),
        ("POST", "/api/v1/auth/password-reset/confirm"),
        ("POST", "/api/v1/auth/verify-email"),
        ("GET", "/api/v1/auth/verify-email"),
        # Linking needs a configured provider, changing a password the current one (it hashes):
        # tests/accounts covers who may (sessions only, never an API key).
        ("POST", "/api/v1/auth/oauth/{provider}/link"),
        ("POST", "/api/v1/auth/password"),
        # A stream never ends, so it cannot be read here; it checks callers as /events/feed
        # does, and tests/events covers who may hold one.
        ("GET", "/api/v1/workspaces/{ws}/events/stream"),
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

    return re.sub(r"\{[^}]+\}", "{}", path.split("?")[0])
