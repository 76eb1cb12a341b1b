"""The admin UI at /admin: only admins get in, forms refuse other sites, every table has a view,
secrets never show, append-only tables cannot be changed, edits reach the audit trail, and an
edit form shows what is stored, so that saving it untouched changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, inspect, select, update

from praisonai_platform.api.admin import ACCOUNT_VIEWS, INTEGRATION_VIEWS, RUN_VIEWS, WORK_VIEWS
from praisonai_platform.db import session_scope
from praisonai_platform.db.base import Base
from praisonai_platform.db.models import (
    ActivityLog,
    Agent,
    AgentStatus,
    Comment,
    CommentType,
    Issue,
    IssueLabel,
    IssuePriority,
    IssueStatus,
    Member,
    MemberRole,
    Project,
    ProjectStatus,
    User,
    UserApiKey,
    Workspace,
)
from tests.api.test_read_only_requests import watching_statements
from tests.factories import PASSWORD, Person, serial

SAME_SITE = {"Origin": "http://testserver"}
VIEWS = (*ACCOUNT_VIEWS, *WORK_VIEWS, *RUN_VIEWS, *INTEGRATION_VIEWS)
READ_ONLY = (
    "credit-ledger-entry",
    "event",
    "activity-log",
    "payment-record",
    "run",
    "workspace-event",
    "webhook-delivery",
)
EDITABLE = {view.identity: view for view in VIEWS if view.can_edit}


async def admin_login(client: httpx.AsyncClient, person: Person, **headers: str) -> httpx.Response:
    return await client.post(
        "/admin/login",
        data={"username": person.email, "password": PASSWORD},
        headers=headers or SAME_SITE,
    )


@pytest.fixture
async def admin(client: httpx.AsyncClient, make_user: Any) -> Person:
    person: Person = await make_user("root", is_admin=True)
    response = await admin_login(client, person)
    assert response.status_code == 302, response.text
    return person


async def test_everything_needs_an_admin_session(client: httpx.AsyncClient) -> None:
    for path in ("/admin/", "/admin/issue/list", "/admin/user/details/x", "/admin/user/edit/x"):
        response = await client.get(path)
        assert response.status_code == 302, path
        assert response.headers["location"].endswith("/admin/login")
    login_page = await client.get("/admin/login")
    assert login_page.status_code == 200 and 'name="password"' in login_page.text


async def test_an_admin_signs_in_and_out(client: httpx.AsyncClient, make_user: Any) -> None:
    person = await make_user("root", is_admin=True)
    response = await admin_login(client, person)
    assert response.status_code == 302
    assert response.headers["location"].endswith("/admin/")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("platform_admin=") and "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    home = await client.get("/admin/")
    assert home.status_code == 200 and "Issues" in home.text
    async with session_scope(read_only=True) as session:
        user = await session.get(User, person.id)
    assert user is not None and user.last_login_at is not None
    out = await client.get("/admin/logout")
    assert out.status_code == 302 and out.headers["location"].endswith("/admin/login")
    assert (await client.get("/admin/")).status_code == 302


@pytest.mark.parametrize("password", [PASSWORD, "wrong password", "x" * 5000, "nul\x00byte"])
async def test_non_admins_and_wrong_passwords_are_refused(
    client: httpx.AsyncClient, make_user: Any, password: str
) -> None:
    person = await make_user("member")  # a correct password, but not an admin
    response = await client.post(
        "/admin/login", data={"username": person.email, "password": password}, headers=SAME_SITE
    )
    assert response.status_code == 401  # counted as a failed sign-in by the rate limits
    assert "not an administrator" in response.text
    assert "platform_admin" not in response.headers.get("set-cookie", "")
    assert (await client.get("/admin/issue/list")).status_code == 302
    async with session_scope(read_only=True) as session:
        user = await session.get(User, person.id)
    assert user is not None and user.last_login_at is None


async def test_forms_from_other_sites_are_refused(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    person = await make_user("root", is_admin=True)
    for headers in ({}, {"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Referer": "http://evil.example/page"}):  # fmt: skip
        response = await client.post(
            "/admin/login",
            data={"username": person.email, "password": PASSWORD},
            headers=headers,
        )
        assert response.status_code == 403, headers
        assert "platform_admin" not in response.headers.get("set-cookie", "")
    referred = await admin_login(client, person, Referer="http://testserver/admin/login")
    assert referred.status_code == 302  # a browser that sends only a Referer still gets in


async def test_a_demoted_admin_is_signed_out(client: httpx.AsyncClient, admin: Person) -> None:
    assert (await client.get("/admin/user/list")).status_code == 200
    async with session_scope() as session:
        await session.execute(update(User).where(User.id == admin.id).values(is_admin=False))
    assert (await client.get("/admin/user/list")).status_code == 302


# Secrets the server keeps for itself (its signing secret) are shown nowhere, not even here.
NO_VIEW = {"server_secrets", "account_tokens"}  # secrets and hashes of one-time links


def test_every_table_has_a_view() -> None:
    assert {view.model.__tablename__ for view in VIEWS} == set(Base.metadata.tables) - NO_VIEW


async def test_every_view_lists_and_shows_details(
    client: httpx.AsyncClient, admin: Person, make_workspace: Any
) -> None:
    workspace = await make_workspace(admin)
    issue = await client.post(
        f"/api/v1/workspaces/{workspace['id']}/issues/",
        json={"title": "Broken login"},
        headers=admin.headers,
    )
    assert issue.status_code == 201
    with watching_statements() as seen:
        for view in VIEWS:
            listed = await client.get(f"/admin/{view.identity}/list")
            assert listed.status_code == 200, (view.identity, listed.text[:500])
        details = await client.get(f"/admin/issue/details/{issue.json()['id']}")
        edit_form = await client.get(f"/admin/issue/edit/{issue.json()['id']}")
    assert details.status_code == 200 and "Broken login" in details.text
    assert edit_form.status_code == 200
    # Page views read in read-only transactions: never the writer's turn on a SQLite file.
    assert seen and all(statement.read_only for statement in seen), [
        statement.sql for statement in seen if not statement.read_only
    ]
    assert (await client.get("/admin/issue/details/no-such-id")).status_code == 404


async def test_search_and_filters(
    client: httpx.AsyncClient, admin: Person, make_workspace: Any
) -> None:
    workspace = await make_workspace(admin)
    issues = f"/api/v1/workspaces/{workspace['id']}/issues/"
    for title, priority in (("Printer on fire", "urgent"), ("Update README", "low")):
        created = await client.post(
            issues, json={"title": title, "priority": priority}, headers=admin.headers
        )
        assert created.status_code == 201
    found = await client.get("/admin/issue/list", params={"search": "printer"})
    assert "Printer on fire" in found.text and "Update README" not in found.text
    urgent = await client.get("/admin/issue/list", params={"priority": "urgent"})
    assert "Printer on fire" in urgent.text and "Update README" not in urgent.text
    nonsense = await client.get("/admin/issue/list", params={"priority": "not-a-priority"})
    assert nonsense.status_code == 200 and "Update README" in nonsense.text
    admins = await client.get("/admin/user/list", params={"is_admin": "true"})
    assert admin.email in admins.text


async def test_secrets_never_show(client: httpx.AsyncClient, admin: Person) -> None:
    created = await client.post("/api/v1/api-keys", json={"label": "ci"}, headers=admin.headers)
    assert created.status_code == 201
    secret, key_id = created.json()["key"], created.json()["id"]
    async with session_scope(read_only=True) as session:
        key_hash = await session.scalar(select(UserApiKey.key_hash))
        password_hash = await session.scalar(select(User.password_hash))
    assert key_hash and password_hash
    pages = [
        await client.get("/admin/user-api-key/list"),
        await client.get(f"/admin/user-api-key/details/{key_id}"),
        await client.get(f"/admin/user-api-key/edit/{key_id}"),
        await client.get("/admin/user/list"),
        await client.get(f"/admin/user/details/{admin.id}"),
        await client.get(f"/admin/user/edit/{admin.id}"),
        await client.get("/admin/user-api-key/export/csv"),
    ]
    for page in pages:
        assert page.status_code == 200, page.url
        for hidden in (secret, key_hash, password_hash, "key_hash", "password_hash"):
            assert hidden not in page.text, (page.url, hidden)
    listing = pages[0].text
    assert created.json()["prefix"] in listing and "active" in listing
    revoked = await client.delete(f"/api/v1/api-keys/{key_id}", headers=admin.headers)
    assert revoked.status_code == 204
    assert "revoked" in (await client.get("/admin/user-api-key/list")).text
    filtered = await client.get("/admin/user-api-key/list", params={"status": "active"})
    assert created.json()["prefix"] not in filtered.text


@pytest.mark.parametrize("identity", READ_ONLY)
async def test_append_only_tables_cannot_be_changed(
    client: httpx.AsyncClient, admin: Person, identity: str
) -> None:
    assert (await client.get(f"/admin/{identity}/create")).status_code == 403
    assert (await client.get(f"/admin/{identity}/edit/any")).status_code == 403
    deleted = await client.delete(
        f"/admin/{identity}/delete", params={"pks": "any"}, headers=SAME_SITE
    )
    assert deleted.status_code == 403


async def test_an_edit_is_saved_and_audited(
    client: httpx.AsyncClient, admin: Person, make_workspace: Any
) -> None:
    workspace = await make_workspace(admin)
    issue = (
        await client.post(
            f"/api/v1/workspaces/{workspace['id']}/issues/",
            json={"title": "Typo", "priority": "low"},
            headers=admin.headers,
        )
    ).json()
    form = {"title": "Typo in the footer", "description": "", "status": "done", "priority": "low"}
    response = await client.post(f"/admin/issue/edit/{issue['id']}", data=form, headers=SAME_SITE)
    assert response.status_code == 302, response.text[:2000]
    async with session_scope(read_only=True) as session:
        saved = await session.get(Issue, issue["id"])
        trail = (
            await session.scalars(
                select(ActivityLog).where(
                    ActivityLog.entity_id == issue["id"], ActivityLog.action == "updated"
                )
            )
        ).all()
    assert saved is not None and saved.title == "Typo in the footer" and saved.status == "done"
    assert saved.version == 2
    [entry] = trail
    assert entry.actor_id == admin.id and entry.issue_id == issue["id"]
    assert entry.details["via"] == "admin"
    assert entry.details["changes"]["title"] == ["Typo", "Typo in the footer"]
    assert entry.details["changes"]["status"][1] == "done"
    assert "priority" not in entry.details["changes"]


async def test_a_deletion_is_audited(
    client: httpx.AsyncClient, admin: Person, make_workspace: Any
) -> None:
    workspace = await make_workspace(admin)
    issue = (
        await client.post(
            f"/api/v1/workspaces/{workspace['id']}/issues/",
            json={"title": "Spam"},
            headers=admin.headers,
        )
    ).json()
    response = await client.delete(
        "/admin/issue/delete", params={"pks": issue["id"]}, headers=SAME_SITE
    )
    assert response.status_code == 200 and "error" not in response.text
    async with session_scope(read_only=True) as session:
        assert await session.get(Issue, issue["id"]) is None
        entry = await session.scalar(
            select(ActivityLog).where(
                ActivityLog.entity_id == issue["id"], ActivityLog.action == "deleted"
            )
        )
    assert entry is not None and entry.actor_id == admin.id and entry.details == {"via": "admin"}


async def test_a_bad_user_edit_is_a_message_not_a_crash(
    client: httpx.AsyncClient, admin: Person, make_user: Any
) -> None:
    other = await make_user("other")
    form = {"name": other.name, "email": "NEW@Example.com", "is_active": "y", "is_admin": "y"}
    renamed = await client.post(f"/admin/user/edit/{admin.id}", data=form, headers=SAME_SITE)
    assert renamed.status_code == 400  # the name belongs to someone else
    assert "conflicts with existing data" in renamed.text
    form["name"] = "root-renamed"
    saved = await client.post(f"/admin/user/edit/{admin.id}", data=form, headers=SAME_SITE)
    assert saved.status_code == 302, saved.text[:2000]
    async with session_scope(read_only=True) as session:
        user = await session.get(User, admin.id)
    assert user is not None and user.email == "new@example.com" and user.name == "root-renamed"
    assert user.is_admin is True and user.credit_balance == 0


# Editing: a form shows what is stored, and saving it untouched changes nothing.


class EditForm(HTMLParser):
    """An admin edit page's form, read as a browser reads it: `submission` is what a browser
    sends when nothing is touched (a select without a selected option sends its first one, an
    unticked checkbox nothing, a textarea its text without the newline after the tag and with
    every line break as CRLF)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.submission: list[tuple[str, str]] = []
        self.selects: dict[str, list[tuple[str, bool]]] = {}  # name: [(value, selected)]
        self._in_form = False
        self._select: str | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._in_form = True
        if not self._in_form:
            return
        name = attributes.get("name") or ""
        if tag == "input":
            kind = (attributes.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "file", "image"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.submission.append((name, attributes.get("value") or "on"))
                return
            self.submission.append((name, attributes.get("value") or ""))
        elif tag == "select":
            self._select = name
            self.selects[name] = []
        elif tag == "option" and self._select is not None:
            value = attributes.get("value") or ""
            self.selects[self._select].append((value, "selected" in attributes))
        elif tag == "textarea":
            self._textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            options = self.selects[self._select]
            chosen = [value for value, selected in options if selected] or [options[0][0]]
            self.submission.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts).replace("\r\n", "\n").removeprefix("\n")
            self.submission.append((name, text.replace("\n", "\r\n")))
            self._textarea = None


async def seed_editable_rows() -> dict[str, tuple[type[Base], str]]:
    """One row for each editable view, away from every default: optional text NULL or empty,
    enums neither the first choice nor the default, booleans the other way round, a time to
    the microsecond, text over several lines. Returns {view identity: (model, primary key)}."""
    n = serial()
    async with session_scope() as session:
        user = User(
            name=f"ada-{n}",
            email=f"ada-{n}@example.com",
            display_name="Ada",
            given_name=None,
            family_name="",
            locale="en-GB",
            avatar_url=None,
            is_admin=True,
            is_active=False,
        )
        workspace = Workspace(name="Ops", slug=f"ops-{n}", description=None, issue_prefix="OPS")
        session.add_all([user, workspace])
        await session.flush()
        issue = Issue(
            workspace_id=workspace.id,
            title="Printer on fire",
            description=None,
            status=IssueStatus.TODO,
            priority=IssuePriority.URGENT,
        )
        rows: dict[str, Base] = {
            "user": user,
            "workspace": workspace,
            "issue": issue,
            "member": Member(workspace_id=workspace.id, user_id=user.id, role=MemberRole.ADMIN),
            "project": Project(
                workspace_id=workspace.id,
                name="Launch",
                description="",
                icon=None,
                status=ProjectStatus.PAUSED,
            ),
            "issue-label": IssueLabel(
                workspace_id=workspace.id, name="bug", color="#ff8800", description=None
            ),
            "agent": Agent(
                workspace_id=workspace.id,
                name="Triage",
                description="",
                status=AgentStatus.BLOCKED,
                instructions="Triage new issues.\nAsk before closing one.",
                max_concurrent_tasks=3,
            ),
            "user-api-key": UserApiKey(
                user_id=user.id,
                label=None,
                key_prefix=f"pk_{n}",
                key_hash=f"not-a-real-hash-{n}",
                expires_at=datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
                revoked_at=None,
            ),
        }
        session.add_all(rows.values())
        await session.flush()
        rows["comment"] = Comment(
            issue_id=issue.id,
            author_id=user.id,
            type=CommentType.AGENT_RESULT,
            content="Fixed in 2.1\nby restarting it",
        )
        session.add(rows["comment"])
        await session.flush()
        seeded = {identity: (type(row), row.id) for identity, row in rows.items()}
    assert set(seeded) == set(EDITABLE), "every editable view needs a row here"
    return seeded


async def row_values(model: type[Base], pk: str) -> dict[str, Any]:
    """Every column of the row, as stored."""
    async with session_scope(read_only=True) as session:
        row = await session.get(model, pk)
        assert row is not None
        return {column.key: getattr(row, column.key) for column in inspect(model).column_attrs}


def form_fields(identity: str) -> list[str]:
    return [column.key for column in EDITABLE[identity].form_columns]


async def save_form(
    client: httpx.AsyncClient, path: str, submission: list[tuple[str, str]]
) -> httpx.Response:
    """Post an edit form as a browser does, with its Save button."""
    return await client.post(
        path,
        content=urlencode([*submission, ("save", "Save")]),
        headers={**SAME_SITE, "Content-Type": "application/x-www-form-urlencoded"},
    )


async def activity_count() -> int:
    async with session_scope(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(ActivityLog)) or 0)


async def test_edit_forms_show_the_current_values(client: httpx.AsyncClient, admin: Person) -> None:
    rows = await seed_editable_rows()
    for identity, (model, pk) in rows.items():
        page = await client.get(f"/admin/{identity}/edit/{pk}")
        assert page.status_code == 200, identity
        form = EditForm(page.text)
        stored = await row_values(model, pk)
        for name, options in form.selects.items():
            selected = [value for value, chosen in options if chosen]
            assert selected == [str(stored[name])], (identity, name, options)
        submitted = dict(form.submission)
        for name in form_fields(identity):
            value = stored[name]
            if isinstance(value, bool):
                assert (name in submitted) is value, (identity, name)
            elif isinstance(value, datetime):
                assert submitted[name] == f"{value:%Y-%m-%d %H:%M:%S}", (identity, name)
            else:
                shown = submitted[name].replace("\r\n", "\n")
                assert shown == ("" if value is None else str(value)), (identity, name)
    issue = await client.get(f"/admin/issue/edit/{rows['issue'][1]}")
    assert '<option selected value="todo">' in issue.text
    assert '<option selected value="urgent">' in issue.text


async def test_saving_an_edit_form_untouched_changes_nothing(
    client: httpx.AsyncClient, admin: Person
) -> None:
    rows = await seed_editable_rows()
    before = {identity: await row_values(*row) for identity, row in rows.items()}
    trail = await activity_count()
    for identity, (_model, pk) in rows.items():
        page = await client.get(f"/admin/{identity}/edit/{pk}")
        path = f"/admin/{identity}/edit/{pk}"
        response = await save_form(client, path, EditForm(page.text).submission)
        assert response.status_code == 302, (identity, response.text[:2000])
    changed = {}
    for identity, row in rows.items():
        after = await row_values(*row)
        diff = {k: (before[identity][k], v) for k, v in after.items() if before[identity][k] != v}
        if diff:
            changed[identity] = diff
    assert changed == {}
    assert await activity_count() == trail


async def test_editing_a_title_keeps_status_priority_and_a_null_description(
    client: httpx.AsyncClient, admin: Person
) -> None:
    rows = await seed_editable_rows()
    _, issue_id = rows["issue"]
    before = await row_values(Issue, issue_id)
    page = await client.get(f"/admin/issue/edit/{issue_id}")
    submission = [
        (name, "Printer still on fire" if name == "title" else value)
        for name, value in EditForm(page.text).submission
    ]
    response = await save_form(client, f"/admin/issue/edit/{issue_id}", submission)
    assert response.status_code == 302, response.text[:2000]
    after = await row_values(Issue, issue_id)
    assert after["title"] == "Printer still on fire" and after["version"] == before["version"] + 1
    assert after["status"] == "todo" and after["priority"] == "urgent"
    assert after["description"] is None
    unchanged = {"title", "version", "updated_at"}
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged
    }
    async with session_scope(read_only=True) as session:
        [entry] = (
            await session.scalars(
                select(ActivityLog).where(
                    ActivityLog.entity_id == issue_id, ActivityLog.action == "updated"
                )
            )
        ).all()
    assert entry.details["changes"] == {"title": ["Printer on fire", "Printer still on fire"]}


async def test_a_member_saved_untouched_stays_a_member(
    client: httpx.AsyncClient, admin: Person
) -> None:
    rows = await seed_editable_rows()
    _, member_id = rows["member"]
    async with session_scope() as session:
        await session.execute(
            update(Member).where(Member.id == member_id).values(role=MemberRole.MEMBER)
        )
    before = await row_values(Member, member_id)
    page = await client.get(f"/admin/member/edit/{member_id}")
    assert EditForm(page.text).selects["role"] == [
        ("owner", False),
        ("admin", False),
        ("member", True),
    ]
    response = await save_form(
        client, f"/admin/member/edit/{member_id}", EditForm(page.text).submission
    )
    assert response.status_code == 302, response.text[:2000]
    assert await row_values(Member, member_id) == before
    refused = await save_form(client, f"/admin/member/edit/{member_id}", [("role", "superuser")])
    assert refused.status_code == 400
    assert await row_values(Member, member_id) == before
    assert await activity_count() == 0
