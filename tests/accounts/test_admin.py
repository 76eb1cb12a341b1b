"""The admin UI at /admin: only admins get in, forms refuse other sites, every table has a view,
secrets never show, append-only tables cannot be changed, and edits reach the audit trail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from praisonai_platform.api.admin import ACCOUNT_VIEWS, RUN_VIEWS, WORK_VIEWS
from praisonai_platform.db import session_scope
from praisonai_platform.db.base import Base
from praisonai_platform.db.models import ActivityLog, Issue, User, UserApiKey
from tests.factories import PASSWORD, Person

SAME_SITE = {"Origin": "http://testserver"}
VIEWS = (*ACCOUNT_VIEWS, *WORK_VIEWS, *RUN_VIEWS)
READ_ONLY = ("credit-ledger-entry", "event", "activity-log", "payment-record", "run")


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
    assert response.status_code == 400
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


def test_every_table_has_a_view() -> None:
    assert {view.model.__tablename__ for view in VIEWS} == set(Base.metadata.tables)


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
    for view in VIEWS:
        listed = await client.get(f"/admin/{view.identity}/list")
        assert listed.status_code == 200, (view.identity, listed.text[:500])
    details = await client.get(f"/admin/issue/details/{issue.json()['id']}")
    assert details.status_code == 200 and "Broken login" in details.text
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
