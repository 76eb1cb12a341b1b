# ruff: noqa: F811  (the `admin` fixture, imported from the admin tests)
"""The admin UI keeps the rules the API keeps: a changed email is unverified again, a workspace
keeps its last owner, text and numbers follow the API's field rules, and another site's link to
the sign-out cannot end an administrator's every session."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest
from sqlalchemy import func, select

from praisonai_platform.accounts.mail import MemoryMailer
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import AccountToken, ActivityLog, Member, MemberRole
from tests.accounts.conftest import register_verified
from tests.accounts.test_admin import (  # noqa: F401  (the `admin` fixture)
    SAME_SITE,
    EditForm,
    activity_count,
    admin,
    row_values,
    save_form,
    seed_editable_rows,
)
from tests.factories import Person, serial

AUTH = "/api/v1/auth"


async def test_a_new_email_is_unverified_and_links_sent_to_the_old_one_stop_working(
    client: httpx.AsyncClient, admin: Person, outbox: MemoryMailer
) -> None:
    registered = await register_verified(client, outbox, email=f"ada-{serial()}@example.com")
    user, headers = registered["user"], {"Authorization": f"Bearer {registered['token']}"}
    asked = await client.post(f"{AUTH}/password-reset", json={"email": user["email"]})
    assert asked.status_code == 202
    reset_token = outbox.last(user["email"], "reset_password").token
    new_email = f"moved-{serial()}@example.com"
    form = {"name": user["name"], "email": new_email, "is_active": "y"}
    saved = await client.post(f"/admin/user/edit/{user['id']}", data=form, headers=SAME_SITE)
    assert saved.status_code == 302, saved.text[:2000]
    me = (await client.get(f"{AUTH}/me", headers=headers)).json()
    assert (me["email"], me["email_verified"]) == (new_email, False)
    async with session_scope(read_only=True) as session:
        unspent = await session.scalar(
            select(func.count())
            .select_from(AccountToken)
            .where(AccountToken.user_id == user["id"], AccountToken.used_at.is_(None))
        )
    assert unspent == 0
    reset = await client.post(
        f"{AUTH}/password-reset/confirm",
        json={"token": reset_token, "password": "a brand new password"},
    )
    assert (reset.status_code, reset.json()["code"]) == (422, "invalid_account_token")


async def membership(workspace_id: str, person: Person) -> Member:
    async with session_scope(read_only=True) as session:
        member = await session.scalar(
            select(Member).where(Member.workspace_id == workspace_id, Member.user_id == person.id)
        )
    assert member is not None
    return member


async def test_the_last_owner_is_neither_demoted_nor_removed(
    client: httpx.AsyncClient,
    admin: Person,
    make_user: Any,
    make_workspace: Any,
    add_member: Any,
) -> None:
    owner: Person = await make_user("owner")
    workspace = await make_workspace(owner)
    member = await membership(workspace["id"], owner)
    trail = await activity_count()
    edit = f"/admin/member/edit/{member.id}"
    demoted = await client.post(edit, data={"role": "member"}, headers=SAME_SITE)
    assert demoted.status_code == 400
    assert "the last owner cannot be demoted" in demoted.text
    removed = await client.delete(
        "/admin/member/delete", params={"pks": member.id}, headers=SAME_SITE
    )
    assert "the last owner cannot be removed" in unquote_plus(removed.text)
    assert (await membership(workspace["id"], owner)).role is MemberRole.OWNER
    assert await activity_count() == trail
    # With another owner, the first may become a member; the trail names whose role changed.
    second: Person = await make_user("second")
    await add_member(workspace["id"], second, "owner")
    stepped_down = await client.post(edit, data={"role": "member"}, headers=SAME_SITE)
    assert stepped_down.status_code == 302, stepped_down.text[:2000]
    assert (await membership(workspace["id"], owner)).role is MemberRole.MEMBER
    async with session_scope(read_only=True) as session:
        [entry] = (
            await session.scalars(
                select(ActivityLog).where(
                    ActivityLog.entity_id == member.id, ActivityLog.action == "updated"
                )
            )
        ).all()
    assert entry.details == {
        "user_id": owner.id,
        "changes": {"role": ["owner", "member"]},
        "via": "admin",
    }


@pytest.mark.parametrize(
    ("identity", "field", "value", "problem"),
    [
        ("issue", "title", "nul\x00here", "title: text must not contain NUL characters"),
        ("issue", "title", "   ", "title: String should have at least 1 character"),
        ("comment", "content", " \r\n ", "content: String should match pattern"),
        ("user", "display_name", "nul\x00here", "display_name: text must not contain NUL"),
        ("issue-label", "color", "red", "color: String should match pattern"),
        (
            "agent",
            "max_concurrent_tasks",
            "99999999999999999999",
            "max_concurrent_tasks: Input should be less than or equal to 1000",
        ),
    ],
)
async def test_what_the_api_refuses_is_refused_here(
    client: httpx.AsyncClient,
    admin: Person,
    identity: str,
    field: str,
    value: str,
    problem: str,
) -> None:
    rows = await seed_editable_rows()
    model, pk = rows[identity]
    before = await row_values(model, pk)
    trail = await activity_count()
    path = f"/admin/{identity}/edit/{pk}"
    form = EditForm((await client.get(path)).text)
    submission = [(name, value if name == field else sent) for name, sent in form.submission]
    assert field in dict(submission)
    response = await save_form(client, path, submission)
    assert response.status_code == 400, response.text[:2000]
    assert problem in response.text
    assert "INTEGER" not in response.text and "database" not in response.text
    assert await row_values(model, pk) == before
    assert await activity_count() == trail


async def test_a_title_is_kept_as_the_api_keeps_it(
    client: httpx.AsyncClient, admin: Person
) -> None:
    rows = await seed_editable_rows()
    _, issue_id = rows["issue"]
    path = f"/admin/issue/edit/{issue_id}"
    form = EditForm((await client.get(path)).text)
    submission = [
        (name, "  Printer fixed  " if name == "title" else sent) for name, sent in form.submission
    ]
    assert (await save_form(client, path, submission)).status_code == 302
    assert (await row_values(*rows["issue"]))["title"] == "Printer fixed"


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Referer": "http://evil.example/page"},
        {"Sec-Fetch-Site": "same-site"},
        {"Referer": "http://evil.example/page"},
        {},
    ],
)
async def test_a_sign_out_from_another_site_only_clears_this_browsers_cookie(
    client: httpx.AsyncClient, admin: Person, headers: dict[str, str]
) -> None:
    out = await client.get("/admin/logout", headers=headers)
    assert out.status_code == 302 and out.headers["location"].endswith("/admin/login")
    assert (await client.get("/admin/")).status_code == 302
    assert (await client.get(f"{AUTH}/me", headers=admin.headers)).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Referer": "http://testserver/admin/"},
        {"Sec-Fetch-Site": "none"},  # typed into the address bar
        {"Referer": "http://testserver/admin/user/list"},  # a browser without Sec-Fetch-*
    ],
)
async def test_a_sign_out_from_the_admin_pages_ends_every_session(
    client: httpx.AsyncClient, admin: Person, headers: dict[str, str]
) -> None:
    out = await client.get("/admin/logout", headers=headers)
    assert out.status_code == 302
    me = await client.get(f"{AUTH}/me", headers=admin.headers)
    assert (me.status_code, me.json()["code"]) == (401, "token_revoked")
