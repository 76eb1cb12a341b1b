"""Rows as the REST API shows them: the same response schemas, filled the same way."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import queries as activity_queries
from praisonai_platform.activity.schemas import ActivityLogResponse
from praisonai_platform.db.models import ActivityLog, Comment, Issue
from praisonai_platform.issues.comments.schemas import CommentResponse
from praisonai_platform.issues.labels import service as labels
from praisonai_platform.issues.schemas import IssueLabelSummary, IssueResponse


def _kind(user_id: str | None, agent_id: str | None) -> str | None:
    if user_id is not None:
        return "user"
    return "agent" if agent_id is not None else None


async def issues(session: AsyncSession, found: Sequence[Issue]) -> list[IssueResponse]:
    """Issues with their labels (one query for all of them)."""
    by_issue = await labels.labels_of(session, [issue.id for issue in found])
    return [
        IssueResponse(
            id=issue.id,
            workspace_id=issue.workspace_id,
            project_id=issue.project_id,
            title=issue.title,
            description=issue.description,
            status=issue.status,
            priority=issue.priority,
            assignee_type=_kind(issue.assignee_id, issue.assignee_agent_id),
            assignee_id=issue.assignee_id or issue.assignee_agent_id,
            creator_type=_kind(issue.created_by_id, issue.created_by_agent_id),
            creator_id=issue.created_by_id or issue.created_by_agent_id,
            number=issue.issue_number,
            issue_number=issue.issue_number,
            identifier=issue.identifier,
            parent_issue_id=issue.parent_id,
            created_by_id=issue.created_by_id,
            acceptance_criteria=issue.acceptance_criteria,
            labels=[IssueLabelSummary.model_validate(label) for label in by_issue[issue.id]],
            version=issue.version,
            created_at=issue.created_at,
            updated_at=issue.updated_at,
        )
        for issue in found
    ]


async def issue(session: AsyncSession, found: Issue) -> IssueResponse:
    (answer,) = await issues(session, [found])
    return answer


def comment(found: Comment) -> CommentResponse:
    return CommentResponse(
        id=found.id,
        issue_id=found.issue_id,
        author_type=_kind(found.author_id, found.author_agent_id),
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
