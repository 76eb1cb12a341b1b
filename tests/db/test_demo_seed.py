"""`praisonai-platform demo seed`: bulk issues with gap-free numbers that later creates continue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from praisonai_platform.cli.app import app
from praisonai_platform.config import derive_alembic_database_url
from praisonai_platform.db.base import Base
from praisonai_platform.db.models import (
    Comment,
    Issue,
    IssueLabel,
    IssueLabelLink,
    IssuePriority,
    IssueStatus,
    Member,
    Workspace,
)
from praisonai_platform.db.models.issues import PRIORITY_RANKS

runner = CliRunner()


def count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def database(db_url: str) -> Iterator[Engine]:
    engine = create_engine(derive_alembic_database_url(db_url))
    yield engine
    engine.dispose()


def test_seed_fills_a_new_workspace_then_an_existing_one(db_url: str, database: Engine) -> None:
    result = runner.invoke(
        app,
        ["demo", "seed", "--issues", "300", "--batch-size", "120", "--database-url", db_url],
    )
    assert result.exit_code == 0, result.output
    assert "added 300 issues (numbers 1 to 300)" in result.output
    with Session(database) as session:
        workspace = session.scalar(select(Workspace))
        assert workspace is not None and workspace.issue_counter == 300
        slug = workspace.slug
        issues = list(session.scalars(select(Issue).order_by(Issue.issue_number)))
        assert [i.issue_number for i in issues] == list(range(1, 301))
        assert all(i.identifier == f"DEMO-{i.issue_number}" for i in issues)
        assert all(i.priority_rank == PRIORITY_RANKS[i.priority] for i in issues)
        assert all(i.assignee_key == (i.assignee_id or i.assignee_agent_id) for i in issues)
        assert all(i.created_at <= i.updated_at for i in issues)
        # realistic spread: several statuses and priorities, people and agents, labels, comments
        assert len({i.status for i in issues}) >= 4 and len({i.priority for i in issues}) == 5
        assert any(i.assignee_id for i in issues) and any(i.assignee_agent_id for i in issues)
        assert any(i.assignee_key is None for i in issues)
        assert any(i.parent_id for i in issues)
        assert count(session, Comment) > 100
        assert count(session, IssueLabelLink) > 100
        assert count(session, IssueLabel) == 10
        assert count(session, Member) >= 3

        # the next issue, made the ordinary way, takes the next number
        session.add(Issue(workspace_id=workspace.id, title="After the seed"))
        session.flush()
        created = session.scalar(select(Issue).where(Issue.title == "After the seed"))
        assert created is not None and created.issue_number == 301
        session.commit()

    again = runner.invoke(
        app,
        [
            "demo", "seed", "--issues", "5", "--workspace", slug,
            "--database-url", db_url,
        ],
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "added 5 issues (numbers 302 to 306)" in again.output
    with Session(database) as session:
        assert count(session, Workspace) == 1
        assert count(session, IssueLabel) == 10
        numbers = session.scalars(select(Issue.issue_number).order_by(Issue.issue_number))
        assert list(numbers) == list(range(1, 307))
        statuses = set(session.scalars(select(Issue.status)))
        assert statuses <= set(IssueStatus) and IssuePriority.URGENT in set(
            session.scalars(select(Issue.priority))
        )

    unknown = ["demo", "seed", "--issues", "3", "--workspace", "nope", "--database-url", db_url]
    refused = runner.invoke(app, unknown)
    assert (refused.exit_code, "no workspace 'nope'" in refused.output) == (1, True)
