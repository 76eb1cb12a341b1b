"""Issues as the API shows them: filled one way for the REST routes and the MCP server."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.db.models import Issue, IssueLabel
from praisonai_platform.issues.labels import service as labels
from praisonai_platform.issues.schemas import IssueLabelSummary, IssueResponse


def actor_kind(user_id: str | None, agent_id: str | None) -> str | None:
    """`user` or `agent`: which of a person/agent column pair is set (None when neither)."""
    if user_id is not None:
        return "user"
    return "agent" if agent_id is not None else None


def issue_response(issue: Issue, issue_labels: Sequence[IssueLabel]) -> IssueResponse:
    return IssueResponse(
        id=issue.id,
        workspace_id=issue.workspace_id,
        project_id=issue.project_id,
        title=issue.title,
        description=issue.description,
        status=issue.status,
        priority=issue.priority,
        assignee_type=actor_kind(issue.assignee_id, issue.assignee_agent_id),
        assignee_id=issue.assignee_id or issue.assignee_agent_id,
        creator_type=actor_kind(issue.created_by_id, issue.created_by_agent_id),
        creator_id=issue.created_by_id or issue.created_by_agent_id,
        number=issue.issue_number,
        issue_number=issue.issue_number,
        identifier=issue.identifier,
        parent_issue_id=issue.parent_id,
        created_by_id=issue.created_by_id,
        acceptance_criteria=issue.acceptance_criteria,
        labels=[IssueLabelSummary.model_validate(label) for label in issue_labels],
        version=issue.version,
        created_at=issue.created_at,
        updated_at=issue.updated_at,
    )


async def issue_responses(session: AsyncSession, found: Sequence[Issue]) -> list[IssueResponse]:
    """Responses for a page of issues, their labels loaded in one query for the whole page."""
    by_issue = await labels.labels_of(session, [issue.id for issue in found])
    return [issue_response(issue, by_issue[issue.id]) for issue in found]
