"""Rows as the REST API shows them: the same response schemas, filled the same way."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import queries as activity_queries
from praisonai_platform.activity.schemas import ActivityLogResponse
from praisonai_platform.db.models import ActivityLog, Comment, Issue
from praisonai_platform.issues.comments.schemas import CommentResponse
from praisonai_platform.issues.responses import actor_kind, issue_responses
from praisonai_platform.issues.schemas import IssueResponse


async def issues(session: AsyncSession, found: Sequence[Issue]) -> list[IssueResponse]:
    """Issues with their labels (one query for all of them)."""
    return await issue_responses(session, found)


async def issue(session: AsyncSession, found: Issue) -> IssueResponse:
    (answer,) = await issue_responses(session, [found])
    return answer


def comment(found: Comment) -> CommentResponse:
    return CommentResponse(
        id=found.id,
        issue_id=found.issue_id,
        author_type=actor_kind(found.author_id, found.author_agent_id),
        author_id=found.author_id or found.author_agent_id,
        parent_id=found.parent_id,
        content=found.content,
        type=found.type,
        created_at=found.created_at,
        updated_at=found.updated_at,
    )


async def activity(
    session: AsyncSession, entries: Sequence[ActivityLog]
) -> list[ActivityLogResponse]:
    """Audit entries with the names of who acted."""
    names = await activity_queries.actor_names(session, entries)
    answers = []
    for entry in entries:
        answer = ActivityLogResponse.model_validate(entry)
        if entry.actor_id is not None:
            answer.actor_name = names.get((entry.actor_type, entry.actor_id))
        answers.append(answer)
    return answers
