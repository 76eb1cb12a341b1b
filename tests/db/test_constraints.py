"""The database itself refuses bad rows, admits only known enum values and applies ON DELETE rules.

Every test runs on a migrated SQLite file and a migrated PostgreSQL database. Violations must
surface as IntegrityError naming the constraint (SQLite names no foreign key); enumerated values
are written with raw SQL so that only the database's CHECK stands between them and the table; the
outcome of a delete is read back in a fresh session after the deleting one committed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any, NamedTuple, TypeVar

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from praisonai_platform.db.base import Base
from praisonai_platform.db.models import (
    ActivityLog,
    Agent,
    Comment,
    CreditLedgerEntry,
    DependencyType,
    Event,
    EventType,
    Issue,
    IssueDependency,
    IssueLabel,
    IssueLabelLink,
    Member,
    MemberRole,
    Nonce,
    PaymentProvider,
    PaymentRecord,
    Project,
    Run,
    User,
    UserApiKey,
    UserProvider,
    Workspace,
)
from praisonai_platform.db.types import new_id, utcnow

Sessions = async_sessionmaker[AsyncSession]
Builder = Callable[[AsyncSession], Awaitable[Base]]
Deleter = Callable[[AsyncSession, type[Base], str], Awaitable[None]]
RowT = TypeVar("RowT", bound=Base)


class Refusal(NamedTuple):
    """What each backend's error message says when it refuses a row."""

    sqlite: str
    postgres: str


def unique(table: str, *columns: str) -> Refusal:
    constraint = f"uq_{table}_{'_'.join(columns)}"
    return Refusal(
        sqlite="UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns),
        postgres=f'unique constraint "{constraint}"',
    )


def check(table: str, name: str) -> Refusal:
    constraint = f"ck_{table}_{name}"
    return Refusal(
        sqlite=f"CHECK constraint failed: {constraint}",
        postgres=f'check constraint "{constraint}"',
    )


def foreign_key(table: str, column: str, referred_table: str) -> Refusal:
    constraint = f"fk_{table}_{column}_{referred_table}"
    return Refusal(
        sqlite="FOREIGN KEY constraint failed",
        postgres=f'foreign key constraint "{constraint}"',
    )


def not_null(table: str, column: str) -> Refusal:
    return Refusal(
        sqlite=f"NOT NULL constraint failed: {table}.{column}",
        postgres=f'null value in column "{column}" of relation "{table}"',
    )


def refused(refusal: Refusal, backend: str) -> AbstractContextManager[Any]:
    return pytest.raises(IntegrityError, match=re.escape(getattr(refusal, backend)))


async def add(session: AsyncSession, row: RowT) -> RowT:
    session.add(row)
    await session.flush()
    return row


async def a_user(session: AsyncSession, name: str = "ada") -> User:
    return await add(session, User(name=name, email=f"{name}@example.com"))


async def a_workspace(session: AsyncSession, slug: str = "acme") -> Workspace:
    return await add(session, Workspace(name=slug.title(), slug=slug))


async def an_agent(session: AsyncSession, workspace: Workspace) -> Agent:
    return await add(session, Agent(workspace_id=workspace.id, name="Builder"))


async def an_issue(
    session: AsyncSession, workspace: Workspace, title: str = "Fix the build", **values: Any
) -> Issue:
    return await add(session, Issue(workspace_id=workspace.id, title=title, **values))


# Builders: each stores whatever the offending row needs, then returns that row unsaved.


async def duplicate_user_email(session: AsyncSession) -> Base:
    await a_user(session, "ada")
    return User(name="bob", email="ada@example.com")


async def duplicate_user_name(session: AsyncSession) -> Base:
    await a_user(session, "ada")
    return User(name="ada", email="ada.lovelace@example.com")


async def mixed_case_email(session: AsyncSession) -> Base:
    return User(name="ada", email="Ada@Example.com")


async def duplicate_membership(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    user = await a_user(session)
    await add(session, Member(workspace_id=workspace.id, user_id=user.id))
    return Member(workspace_id=workspace.id, user_id=user.id, role=MemberRole.ADMIN)


async def member_with_unknown_user(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    return Member(workspace_id=workspace.id, user_id=new_id())


async def duplicate_workspace_slug(session: AsyncSession) -> Base:
    await a_workspace(session, "acme")
    return Workspace(name="Another Acme", slug="acme")


async def duplicate_issue_number(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    first = await an_issue(session, workspace)
    return Issue(
        workspace_id=workspace.id,
        title="Fix the build again",
        issue_number=first.issue_number,
        identifier="ISSUE-DUP",
    )


async def zero_issue_number(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    return Issue(workspace_id=workspace.id, title="Zero", issue_number=0, identifier="ISSUE-0")


async def issue_in_missing_workspace(session: AsyncSession) -> Base:
    return Issue(workspace_id=new_id(), title="Orphan", issue_number=1, identifier="ISSUE-1")


async def issue_without_title(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    return Issue(workspace_id=workspace.id)


async def issue_its_own_parent(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    issue_id = new_id()
    return Issue(id=issue_id, parent_id=issue_id, workspace_id=workspace.id, title="Loop")


async def issue_assigned_to_user_and_agent(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    user, agent = await a_user(session), await an_agent(session, workspace)
    return Issue(
        workspace_id=workspace.id, title="Two", assignee_id=user.id, assignee_agent_id=agent.id
    )


async def issue_created_by_user_and_agent(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    user, agent = await a_user(session), await an_agent(session, workspace)
    return Issue(
        workspace_id=workspace.id, title="Two", created_by_id=user.id, created_by_agent_id=agent.id
    )


async def duplicate_label_name(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    await add(session, IssueLabel(workspace_id=workspace.id, name="bug"))
    return IssueLabel(workspace_id=workspace.id, name="bug", color="#00ff00")


async def label_color_not_hex(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    return IssueLabel(workspace_id=workspace.id, name="bug", color="red")


async def duplicate_label_link(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    issue = await an_issue(session, workspace)
    label = await add(session, IssueLabel(workspace_id=workspace.id, name="bug"))
    await add(session, IssueLabelLink(issue_id=issue.id, label_id=label.id))
    return IssueLabelLink(issue_id=issue.id, label_id=label.id)


async def duplicate_dependency(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    first, second = await an_issue(session, workspace), await an_issue(session, workspace)
    await add(session, IssueDependency(issue_id=first.id, depends_on_id=second.id))
    return IssueDependency(
        issue_id=first.id, depends_on_id=second.id, dependency_type=DependencyType.BLOCKS
    )


async def self_dependency(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    issue = await an_issue(session, workspace)
    return IssueDependency(issue_id=issue.id, depends_on_id=issue.id)


async def comment_on_missing_issue(session: AsyncSession) -> Base:
    return Comment(issue_id=new_id(), content="Hello?")


async def comment_by_user_and_agent(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    user, agent = await a_user(session), await an_agent(session, workspace)
    issue = await an_issue(session, workspace)
    return Comment(issue_id=issue.id, author_id=user.id, author_agent_id=agent.id, content="Hi")


async def project_led_by_user_and_agent(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    user, agent = await a_user(session), await an_agent(session, workspace)
    return Project(workspace_id=workspace.id, name="Two", lead_id=user.id, lead_agent_id=agent.id)


async def agent_without_capacity(session: AsyncSession) -> Base:
    workspace = await a_workspace(session)
    return Agent(workspace_id=workspace.id, name="Idle forever", max_concurrent_tasks=0)


async def run_with_progress(session: AsyncSession, percentage: float) -> Base:
    workspace = await a_workspace(session)
    agent = await an_agent(session, workspace)
    return Run(workspace_id=workspace.id, agent_id=agent.id, progress_percentage=percentage)


async def run_past_complete(session: AsyncSession) -> Base:
    return await run_with_progress(session, 100.5)


async def run_with_negative_progress(session: AsyncSession) -> Base:
    return await run_with_progress(session, -1)


async def duplicate_provider_identity(session: AsyncSession) -> Base:
    ada, bob = await a_user(session, "ada"), await a_user(session, "bob")
    await add(session, UserProvider(user_id=ada.id, provider="github", provider_user_id="42"))
    return UserProvider(user_id=bob.id, provider="github", provider_user_id="42")


async def duplicate_api_key_hash(session: AsyncSession) -> Base:
    user = await a_user(session)
    await add(session, UserApiKey(user_id=user.id, key_prefix="pk_1", key_hash="hash"))
    return UserApiKey(user_id=user.id, key_prefix="pk_2", key_hash="hash")


def payment(user: User) -> PaymentRecord:
    return PaymentRecord(
        user_id=user.id,
        provider=PaymentProvider.STRIPE,
        provider_payment_id="pi_1",
        amount=500,
        currency="usd",
        credits=5_000_000,
    )


def ledger_entry(user: User) -> CreditLedgerEntry:
    return CreditLedgerEntry(
        user_id=user.id,
        delta=5_000_000,
        balance_after=5_000_000,
        reason="top-up",
        source="stripe",
        external_id="pi_1",
    )


async def duplicate_payment(session: AsyncSession) -> Base:
    user = await a_user(session)
    await add(session, payment(user))
    return payment(user)


async def duplicate_ledger_entry(session: AsyncSession) -> Base:
    user = await a_user(session)
    await add(session, ledger_entry(user))
    return ledger_entry(user)


def nonce() -> Nonce:
    return Nonce(scope="POST /issues", key="request-1", expires_at=utcnow() + timedelta(hours=1))


async def duplicate_nonce(session: AsyncSession) -> Base:
    await add(session, nonce())
    return nonce()


VIOLATIONS = [
    pytest.param(duplicate_user_email, unique("users", "email"), id="users-email-unique"),
    pytest.param(duplicate_user_name, unique("users", "name"), id="users-name-unique"),
    pytest.param(mixed_case_email, check("users", "email_lowercase"), id="users-email-lowercase"),
    pytest.param(
        duplicate_membership, unique("members", "workspace_id", "user_id"), id="members-unique"
    ),
    pytest.param(
        member_with_unknown_user,
        foreign_key("members", "user_id", "users"),
        id="members-user-foreign-key",
    ),
    pytest.param(duplicate_workspace_slug, unique("workspaces", "slug"), id="workspaces-slug"),
    pytest.param(
        duplicate_issue_number,
        unique("issues", "workspace_id", "issue_number"),
        id="issues-number-unique",
    ),
    pytest.param(
        zero_issue_number, check("issues", "issue_number_positive"), id="issues-number-positive"
    ),
    pytest.param(
        issue_in_missing_workspace,
        foreign_key("issues", "workspace_id", "workspaces"),
        id="issues-workspace-foreign-key",
    ),
    pytest.param(issue_without_title, not_null("issues", "title"), id="issues-title-not-null"),
    pytest.param(issue_its_own_parent, check("issues", "not_own_parent"), id="issues-own-parent"),
    pytest.param(
        issue_assigned_to_user_and_agent,
        check("issues", "assignee_is_user_or_agent"),
        id="issues-assignee-user-or-agent",
    ),
    pytest.param(
        issue_created_by_user_and_agent,
        check("issues", "creator_is_user_or_agent"),
        id="issues-creator-user-or-agent",
    ),
    pytest.param(
        duplicate_label_name,
        unique("issue_labels", "workspace_id", "name"),
        id="issue-labels-name-unique",
    ),
    pytest.param(label_color_not_hex, check("issue_labels", "color_hex"), id="issue-labels-color"),
    pytest.param(
        duplicate_label_link,
        unique("issue_label_links", "issue_id", "label_id"),
        id="issue-label-links-unique",
    ),
    pytest.param(
        duplicate_dependency,
        unique("issue_dependencies", "issue_id", "depends_on_id", "dependency_type"),
        id="issue-dependencies-unique",
    ),
    pytest.param(
        self_dependency, check("issue_dependencies", "not_self"), id="issue-dependencies-not-self"
    ),
    pytest.param(
        comment_on_missing_issue,
        foreign_key("comments", "issue_id", "issues"),
        id="comments-issue-foreign-key",
    ),
    pytest.param(
        comment_by_user_and_agent,
        check("comments", "author_is_user_or_agent"),
        id="comments-author-user-or-agent",
    ),
    pytest.param(
        project_led_by_user_and_agent,
        check("projects", "lead_is_user_or_agent"),
        id="projects-lead-user-or-agent",
    ),
    pytest.param(
        agent_without_capacity,
        check("agents", "max_concurrent_tasks_positive"),
        id="agents-max-concurrent-tasks",
    ),
    pytest.param(run_past_complete, check("runs", "progress_in_range"), id="runs-progress-over"),
    pytest.param(
        run_with_negative_progress, check("runs", "progress_in_range"), id="runs-progress-under"
    ),
    pytest.param(
        duplicate_provider_identity,
        unique("user_providers", "provider", "provider_user_id"),
        id="user-providers-unique",
    ),
    pytest.param(
        duplicate_api_key_hash, unique("user_api_keys", "key_hash"), id="user-api-keys-hash"
    ),
    pytest.param(
        duplicate_payment,
        unique("payment_records", "provider", "provider_payment_id"),
        id="payment-records-unique",
    ),
    pytest.param(
        duplicate_ledger_entry,
        unique("credit_ledger", "source", "external_id"),
        id="credit-ledger-unique",
    ),
    pytest.param(duplicate_nonce, unique("nonces", "scope", "key"), id="nonces-unique"),
]


@pytest.mark.parametrize(("build", "refusal"), VIOLATIONS)
async def test_a_row_violating_a_constraint_is_refused(
    session_factory: Sessions, backend: str, build: Builder, refusal: Refusal
) -> None:
    async with session_factory() as session:
        offender = await build(session)
        await session.commit()
        session.add(offender)
        with refused(refusal, backend):
            await session.flush()


def enumerated(attribute: InstrumentedAttribute[Any], valid: str) -> Any:
    column = attribute.property.columns[0]
    return pytest.param(
        column.table.name, column.name, column.type.name, valid, id=f"{column.table}.{column.name}"
    )


ENUMERATED_COLUMNS = [
    enumerated(Issue.status, "in-progress"),
    enumerated(Issue.priority, "urgent"),
    enumerated(Member.role, "admin"),
    enumerated(Agent.status, "offline"),
    enumerated(IssueDependency.dependency_type, "related"),
    enumerated(Run.state, "processing"),
    enumerated(Event.event_type, "worker_online"),
    enumerated(Project.status, "paused"),
]


@pytest.mark.parametrize(("table", "column", "enum_name", "valid"), ENUMERATED_COLUMNS)
async def test_an_enumerated_column_admits_only_its_values(
    session_factory: Sessions, backend: str, table: str, column: str, enum_name: str, valid: str
) -> None:
    async with session_factory() as session:
        await seed_workspace(session, "acme", await a_user(session))
        await session.commit()
    assign = text(f"UPDATE {table} SET {column} = :value WHERE id = :id")
    read = text(f"SELECT {column} FROM {table} WHERE id = :id")

    async with session_factory() as session:
        row_id = (await session.execute(text(f"SELECT min(id) FROM {table}"))).scalar_one()
        original = (await session.execute(read, {"id": row_id})).scalar_one()
        assert original != valid
        with refused(check(table, enum_name), backend):
            await session.execute(assign, {"value": "bogus", "id": row_id})

    async with session_factory() as session:
        assert (await session.execute(read, {"id": row_id})).scalar_one() == original
        await session.execute(assign, {"value": valid, "id": row_id})
        await session.commit()

    async with session_factory() as session:
        assert (await session.execute(read, {"id": row_id})).scalar_one() == valid


async def seed_workspace(session: AsyncSession, slug: str, user: User) -> Workspace:
    """A workspace with at least one row in every table that hangs off it."""
    workspace = await a_workspace(session, slug)
    await add(session, Member(workspace_id=workspace.id, user_id=user.id, role=MemberRole.OWNER))
    agent = await an_agent(session, workspace)
    project = await add(session, Project(workspace_id=workspace.id, name="Launch"))
    parent = await an_issue(session, workspace, "Ship it", project_id=project.id)
    child = await an_issue(session, workspace, "Write docs", parent_id=parent.id)
    await add(session, Comment(issue_id=parent.id, author_id=user.id, content="On it"))
    await add(session, Comment(issue_id=child.id, author_agent_id=agent.id, content="Done"))
    label = await add(session, IssueLabel(workspace_id=workspace.id, name="bug", color="#ff0000"))
    await add(session, IssueLabelLink(issue_id=parent.id, label_id=label.id))
    await add(session, IssueDependency(issue_id=child.id, depends_on_id=parent.id))
    await add(
        session,
        ActivityLog(
            workspace_id=workspace.id,
            entity_type="issue",
            entity_id=parent.id,
            issue_id=parent.id,
            action="created",
            actor_id=user.id,
        ),
    )
    run = await add(session, Run(workspace_id=workspace.id, issue_id=parent.id, agent_id=agent.id))
    await add(
        session, Event(event_type=EventType.RUN_PENDING, workspace_id=workspace.id, run_id=run.id)
    )
    await add(session, Event(event_type=EventType.RUN_PROGRESS, run_id=run.id))
    await add(
        session,
        UserApiKey(
            user_id=user.id, workspace_id=workspace.id, key_prefix="pk_", key_hash=f"hash-{slug}"
        ),
    )
    return workspace


WORKSPACE_OF_EACH_ROW = {
    "issues": "SELECT workspace_id FROM issues",
    "comments": "SELECT i.workspace_id FROM comments c JOIN issues i ON i.id = c.issue_id",
    "issue_labels": "SELECT workspace_id FROM issue_labels",
    "issue_label_links": (
        "SELECT l.workspace_id FROM issue_label_links k JOIN issue_labels l ON l.id = k.label_id"
    ),
    "issue_dependencies": (
        "SELECT i.workspace_id FROM issue_dependencies d JOIN issues i ON i.id = d.issue_id"
    ),
    "agents": "SELECT workspace_id FROM agents",
    "projects": "SELECT workspace_id FROM projects",
    "members": "SELECT workspace_id FROM members",
    "activity_logs": "SELECT workspace_id FROM activity_logs",
    "runs": "SELECT workspace_id FROM runs",
    "events": (
        "SELECT coalesce(e.workspace_id, r.workspace_id) FROM events e"
        " LEFT JOIN runs r ON r.id = e.run_id"
    ),
    "user_api_keys": "SELECT workspace_id FROM user_api_keys",
}


async def rows_per_workspace(session: AsyncSession) -> dict[str, Counter[str]]:
    return {
        table: Counter((await session.execute(text(query))).scalars())
        for table, query in WORKSPACE_OF_EACH_ROW.items()
    }


async def row_totals(session: AsyncSession) -> dict[str, int]:
    return {
        table: (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
        for table in WORKSPACE_OF_EACH_ROW
    }


async def delete_with_sql(session: AsyncSession, model: type[Base], row_id: str) -> None:
    await session.execute(text(f"DELETE FROM {model.__tablename__} WHERE id = :id"), {"id": row_id})


async def delete_with_orm(session: AsyncSession, model: type[Base], row_id: str) -> None:
    row = await session.get(model, row_id)
    assert row is not None
    await session.delete(row)


DELETERS = [pytest.param(delete_with_sql, id="sql"), pytest.param(delete_with_orm, id="orm")]


@pytest.mark.parametrize("delete", DELETERS)
async def test_deleting_a_workspace_removes_everything_in_it_and_nothing_else(
    session_factory: Sessions, delete: Deleter
) -> None:
    async with session_factory() as session:
        ada, bob = await a_user(session, "ada"), await a_user(session, "bob")
        doomed = await seed_workspace(session, "doomed", ada)
        kept = await seed_workspace(session, "kept", bob)
        await session.commit()
    async with session_factory() as session:
        before = await rows_per_workspace(session)
    assert all(rows[doomed.id] and rows[kept.id] for rows in before.values()), before

    async with session_factory() as session:
        await delete(session, Workspace, doomed.id)
        await session.commit()

    kept_rows = {table: rows[kept.id] for table, rows in before.items()}
    async with session_factory() as session:
        assert await row_totals(session) == kept_rows
        assert await rows_per_workspace(session) == {
            table: Counter({kept.id: count}) for table, count in kept_rows.items()
        }
        assert (await session.scalars(select(Workspace.id))).all() == [kept.id]
        assert await session.scalar(select(func.count()).select_from(User)) == 2


@pytest.mark.parametrize("delete", DELETERS)
async def test_deleting_an_issue_removes_its_comments_links_and_dependencies(
    session_factory: Sessions, delete: Deleter
) -> None:
    async with session_factory() as session:
        workspace = await a_workspace(session)
        doomed = await an_issue(session, workspace, "Parent")
        child = await an_issue(session, workspace, "Child", parent_id=doomed.id)
        other = await an_issue(session, workspace, "Other")
        label = await add(session, IssueLabel(workspace_id=workspace.id, name="bug"))
        for issue in (doomed, other):
            await add(session, Comment(issue_id=issue.id, content=f"About {issue.title}"))
            await add(session, IssueLabelLink(issue_id=issue.id, label_id=label.id))
        await add(session, IssueDependency(issue_id=doomed.id, depends_on_id=other.id))
        await add(
            session,
            IssueDependency(
                issue_id=other.id,
                depends_on_id=doomed.id,
                dependency_type=DependencyType.BLOCKED_BY,
            ),
        )
        await add(session, IssueDependency(issue_id=child.id, depends_on_id=other.id))
        await session.commit()

    async with session_factory() as session:
        await delete(session, Issue, doomed.id)
        await session.commit()

    async with session_factory() as session:
        issues = await session.execute(select(Issue.id, Issue.parent_id))
        parents = {row.id: row.parent_id for row in issues}
        assert parents == {child.id: None, other.id: None}
        assert (await session.scalars(select(Comment.issue_id))).all() == [other.id]
        assert (await session.scalars(select(IssueLabelLink.issue_id))).all() == [other.id]
        assert (await session.scalars(select(IssueLabel.id))).all() == [label.id]
        dependencies = await session.execute(
            select(IssueDependency.issue_id, IssueDependency.depends_on_id)
        )
        assert [(row.issue_id, row.depends_on_id) for row in dependencies] == [(child.id, other.id)]


@pytest.mark.parametrize("delete", DELETERS)
async def test_deleting_a_user_clears_their_references_and_memberships(
    session_factory: Sessions, delete: Deleter
) -> None:
    async with session_factory() as session:
        workspace = await a_workspace(session)
        doomed, kept = await a_user(session, "ada"), await a_user(session, "bob")
        for user in (doomed, kept):
            await add(session, Member(workspace_id=workspace.id, user_id=user.id))
        theirs = await an_issue(
            session, workspace, "Theirs", assignee_id=doomed.id, created_by_id=doomed.id
        )
        others = await an_issue(
            session, workspace, "Others", assignee_id=kept.id, created_by_id=kept.id
        )
        their_comment = await add(
            session, Comment(issue_id=others.id, author_id=doomed.id, content="Mine")
        )
        other_comment = await add(
            session, Comment(issue_id=theirs.id, author_id=kept.id, content="Yours")
        )
        agent = await add(session, Agent(workspace_id=workspace.id, name="Bot", owner_id=doomed.id))
        project = await add(
            session, Project(workspace_id=workspace.id, name="Plan", lead_id=doomed.id)
        )
        await session.commit()

    async with session_factory() as session:
        await delete(session, User, doomed.id)
        await session.commit()

    async with session_factory() as session:
        assert (await session.scalars(select(User.id))).all() == [kept.id]
        assert (await session.scalars(select(Member.user_id))).all() == [kept.id]
        issues = await session.execute(select(Issue.id, Issue.assignee_id, Issue.created_by_id))
        assert {row.id: (row.assignee_id, row.created_by_id) for row in issues} == {
            theirs.id: (None, None),
            others.id: (kept.id, kept.id),
        }
        comments = await session.execute(select(Comment.id, Comment.author_id))
        authors = {row.id: row.author_id for row in comments}
        assert authors == {their_comment.id: None, other_comment.id: kept.id}
        assert await session.scalar(select(Agent.owner_id).where(Agent.id == agent.id)) is None
        assert await session.scalar(select(Project.lead_id).where(Project.id == project.id)) is None


@pytest.mark.parametrize(
    ("history", "refusal"),
    [
        pytest.param(
            ledger_entry, foreign_key("credit_ledger", "user_id", "users"), id="credit-ledger"
        ),
        pytest.param(
            payment, foreign_key("payment_records", "user_id", "users"), id="payment-records"
        ),
    ],
)
async def test_a_user_with_money_history_cannot_be_deleted(
    session_factory: Sessions,
    backend: str,
    history: Callable[[User], Base],
    refusal: Refusal,
) -> None:
    async with session_factory() as session:
        user = await a_user(session)
        await add(session, history(user))
        await session.commit()

    async with session_factory() as session:
        with refused(refusal, backend):
            await delete_with_sql(session, User, user.id)

    async with session_factory() as session:
        assert (await session.scalars(select(User.id))).all() == [user.id]
