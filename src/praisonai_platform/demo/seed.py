"""Fill a workspace with many realistic issues, fast: the data behind demos and scale benchmarks.

Rows go in as bulk writes in batches, one transaction per batch: COPY on PostgreSQL, one
prepared statement run over the whole batch on SQLite. Each batch first takes its block of
issue numbers from the workspace's counter in one atomic UPDATE, so numbers stay gap-free and
an issue created later (or meanwhile) gets the next one. Everything the database computes itself
(the priority rank, search indexes kept by triggers) stays its job.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from praisonai_platform.core.enums import IssuePriority, IssueStatus, MemberRole
from praisonai_platform.core.errors import NotFound, ValidationFailed
from praisonai_platform.db.models import (
    Agent,
    IssueLabel,
    Member,
    Project,
    User,
    Workspace,
)
from praisonai_platform.db.session import create_session_factory
from praisonai_platform.db.types import new_id
from praisonai_platform.demo import words

STATUSES = {
    IssueStatus.BACKLOG: 25,
    IssueStatus.TODO: 20,
    IssueStatus.IN_PROGRESS: 10,
    IssueStatus.IN_REVIEW: 5,
    IssueStatus.BLOCKED: 2,
    IssueStatus.DONE: 33,
    IssueStatus.CANCELLED: 5,
}
PRIORITIES = {
    IssuePriority.NONE: 20,
    IssuePriority.LOW: 25,
    IssuePriority.MEDIUM: 30,
    IssuePriority.HIGH: 18,
    IssuePriority.URGENT: 7,
}
LABELS_PER_ISSUE = {0: 30, 1: 40, 2: 20, 3: 10}
COMMENTS_PER_ISSUE = {0: 45, 1: 30, 2: 15, 3: 10}
K = TypeVar("K")
HISTORY = timedelta(days=730)  # how far back the first issue was created

ISSUE_COLUMNS = (
    "id", "workspace_id", "project_id", "parent_id", "title", "description", "status",
    "priority", "assignee_id", "assignee_agent_id", "created_by_id", "created_by_agent_id",
    "issue_number", "identifier", "version", "created_at", "updated_at",
)  # fmt: skip
COMMENT_COLUMNS = (
    "id", "issue_id", "author_id", "author_agent_id", "type", "content", "created_at",
    "updated_at",
)  # fmt: skip
LINK_COLUMNS = ("id", "issue_id", "label_id", "created_at")


@dataclass(frozen=True, slots=True)
class Team:
    """Who and what the seeded issues refer to."""

    workspace_id: str
    workspace_slug: str
    users: Sequence[str]
    agents: Sequence[str]
    labels: Sequence[str]
    projects: Sequence[str]


@dataclass(slots=True)
class SeedResult:
    workspace_id: str
    workspace_slug: str
    issues: int = 0
    comments: int = 0
    label_links: int = 0
    first_number: int | None = None
    last_number: int | None = None


async def seed(
    engine: AsyncEngine,
    issues: int,
    *,
    workspace: str | None = None,
    batch_size: int = 10_000,
    random_seed: int | None = None,
    progress: Callable[[int], None] = lambda _done: None,
) -> SeedResult:
    """Add `issues` issues to `workspace` (an id or slug; a new workspace when None).

    `progress` is called after each committed batch with the number of issues in it.
    """
    if issues < 1 or batch_size < 1:
        raise ValidationFailed("the number of issues and the batch size must be positive")
    rng = random.Random(random_seed)
    async with create_session_factory(engine)() as session, session.begin():
        team = await _prepare_team(session, workspace, rng)
    result = SeedResult(team.workspace_id, team.workspace_slug)
    now = datetime.now(UTC)
    done = 0
    while done < issues:
        count = min(batch_size, issues - done)
        async with engine.begin() as connection:
            batch = _Batch(team, rng, now, position=(done, issues))
            first = await _take_numbers(connection, team.workspace_id, count)
            prefix = await _prefix(connection, team.workspace_id)
            for offset in range(count):
                batch.add_issue(first + offset, prefix)
            await _write(connection, "issues", ISSUE_COLUMNS, batch.issues)
            await _write(connection, "issue_label_links", LINK_COLUMNS, batch.links)
            await _write(connection, "comments", COMMENT_COLUMNS, batch.comments)
        result.first_number = result.first_number or first
        result.last_number = first + count - 1
        result.issues += count
        result.comments += len(batch.comments)
        result.label_links += len(batch.links)
        done += count
        progress(count)
    async with engine.begin() as connection:
        # the planner's statistics, so that it sees the new distribution of every column
        for table in ("issues", "issue_label_links", "comments"):
            await connection.exec_driver_sql(f"ANALYZE {table}")
    return result


class _Batch:
    """The rows of one batch, as tuples in the column orders above."""

    def __init__(
        self, team: Team, rng: random.Random, now: datetime, position: tuple[int, int]
    ) -> None:
        self.team, self.rng, self.now = team, rng, now
        self.done, self.total = position
        self.issues: list[tuple[Any, ...]] = []
        self.comments: list[tuple[Any, ...]] = []
        self.links: list[tuple[Any, ...]] = []
        self._ids: list[str] = []

    def add_issue(self, number: int, prefix: str) -> None:
        rng, team = self.rng, self.team
        # created in number order, spread over the history up to now
        share = (self.done + len(self.issues) + 1) / self.total
        created = self.now - HISTORY * (1 - share)
        updated = min(self.now, created + timedelta(hours=rng.expovariate(1 / 48)))
        user, agent = self._actor()
        assignee_user, assignee_agent = (None, None) if rng.random() < 0.3 else self._actor()
        issue_id = new_id()
        parent = rng.choice(self._ids) if self._ids and rng.random() < 0.05 else None
        self.issues.append(
            (
                issue_id,
                team.workspace_id,
                rng.choice(team.projects) if team.projects and rng.random() < 0.8 else None,
                parent,
                words.title(rng),
                words.description(rng),
                _pick(rng, STATUSES).value,
                _pick(rng, PRIORITIES).value,
                assignee_user,
                assignee_agent,
                user,
                agent,
                number,
                f"{prefix}-{number}",
                1,
                created,
                updated,
            )
        )
        self._ids.append(issue_id)
        for label in rng.sample(team.labels, min(len(team.labels), _pick(rng, LABELS_PER_ISSUE))):
            self.links.append((new_id(), issue_id, label, created))
        for _ in range(_pick(rng, COMMENTS_PER_ISSUE)):
            author, author_agent = self._actor()
            at = min(self.now, created + timedelta(hours=rng.expovariate(1 / 24)))
            row = (new_id(), issue_id, author, author_agent, "comment", words.comment(rng), at, at)
            self.comments.append(row)

    def _actor(self) -> tuple[str | None, str | None]:
        """A person (mostly) or an agent, as the (user, agent) pair of columns."""
        if self.team.agents and self.rng.random() < 0.15:
            return None, self.rng.choice(self.team.agents)
        return self.rng.choice(self.team.users), None


def _pick(rng: random.Random, weights: dict[K, int]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


async def _take_numbers(connection: AsyncConnection, workspace_id: str, count: int) -> int:
    """Reserve `count` consecutive numbers in one atomic UPDATE; the first of them."""
    counter = await connection.scalar(
        update(Workspace)
        .where(Workspace.id == workspace_id)
        .values(issue_counter=Workspace.issue_counter + count, updated_at=Workspace.updated_at)
        .returning(Workspace.issue_counter)
    )
    assert counter is not None
    return int(counter) - count + 1


async def _prefix(connection: AsyncConnection, workspace_id: str) -> str:
    prefix = await connection.scalar(
        select(Workspace.issue_prefix).where(Workspace.id == workspace_id)
    )
    return str(prefix)


async def _write(
    connection: AsyncConnection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table, records=rows, columns=list(columns)
        )
        return
    # SQLite stores UTC timestamps as naive text, as the UTCDateTime column type writes them.
    plain = [tuple(_sqlite_value(value) for value in row) for row in rows]
    marks = ", ".join("?" * len(columns))
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    await connection.exec_driver_sql(statement, plain)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


async def _prepare_team(session: AsyncSession, ref: str | None, rng: random.Random) -> Team:
    workspace: Workspace | None
    if ref is None:
        workspace = await _new_workspace(session)
    else:
        workspace = await session.scalar(
            select(Workspace).where((Workspace.id == ref) | (Workspace.slug == ref))
        )
        if workspace is None:
            raise NotFound(f"no workspace {ref!r}")
    users = list(
        await session.scalars(select(Member.user_id).where(Member.workspace_id == workspace.id))
    )
    if len(users) < 3:
        users += await _demo_people(session, workspace, rng)
    agents = list(await session.scalars(select(Agent.id).where(Agent.workspace_id == workspace.id)))
    if not agents:
        made = [Agent(workspace_id=workspace.id, name=name) for name in words.AGENT_NAMES]
        session.add_all(made)
        await session.flush()
        agents = [agent.id for agent in made]
    return Team(
        workspace_id=workspace.id,
        workspace_slug=workspace.slug,
        users=users,
        agents=agents,
        labels=await _labels(session, workspace.id),
        projects=await _projects(session, workspace.id),
    )


async def _new_workspace(session: AsyncSession) -> Workspace:
    suffix = secrets.token_hex(3)
    workspace = Workspace(name="Demo", slug=f"demo-{suffix}", issue_prefix="DEMO", settings={})
    session.add(workspace)
    await session.flush()
    return workspace


async def _demo_people(
    session: AsyncSession, workspace: Workspace, rng: random.Random
) -> list[str]:
    """Members who cannot sign in (no password): names to assign issues to."""
    suffix = secrets.token_hex(3)
    has_owner = await session.scalar(
        select(Member.id).where(
            Member.workspace_id == workspace.id, Member.role == MemberRole.OWNER
        )
    )
    people = [
        User(name=f"{first.lower()}-{suffix}", email=f"{first.lower()}.{suffix}@example.com")
        for first in rng.sample(words.FIRST_NAMES, 8)
    ]
    session.add_all(people)
    await session.flush()
    for index, person in enumerate(people):
        role = MemberRole.OWNER if index == 0 and has_owner is None else MemberRole.MEMBER
        session.add(Member(workspace_id=workspace.id, user_id=person.id, role=role))
    await session.flush()
    return [person.id for person in people]


async def _labels(session: AsyncSession, workspace_id: str) -> list[str]:
    existing = {
        label.name: label.id
        for label in await session.scalars(
            select(IssueLabel).where(IssueLabel.workspace_id == workspace_id)
        )
    }
    missing = [
        IssueLabel(workspace_id=workspace_id, name=name, color=color)
        for name, color in words.LABELS
        if name not in existing
    ]
    session.add_all(missing)
    await session.flush()
    return [*existing.values(), *(label.id for label in missing)]


async def _projects(session: AsyncSession, workspace_id: str) -> list[str]:
    existing = list(
        await session.scalars(select(Project.id).where(Project.workspace_id == workspace_id))
    )
    if existing:
        return existing
    made = [Project(workspace_id=workspace_id, name=name) for name in words.PROJECTS]
    session.add_all(made)
    await session.flush()
    return [project.id for project in made]
