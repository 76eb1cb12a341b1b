"""Routes of /api/v1/workspaces/{workspace_id}/… for comments (the issue by id or key)."""

from __future__ import annotations

from fastapi import Response

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.db.models import Comment
from praisonai_platform.issues.comments import service as comments
from praisonai_platform.issues.comments.schemas import CommentCreate, CommentResponse, CommentUpdate

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["comments"])


def _comment_response(comment: Comment) -> CommentResponse:
    author_type = None
    if comment.author_id is not None:
        author_type = "user"
    elif comment.author_agent_id is not None:
        author_type = "agent"
    return CommentResponse(
        id=comment.id,
        issue_id=comment.issue_id,
        author_type=author_type,
        author_id=comment.author_id or comment.author_agent_id,
        parent_id=comment.parent_id,
        content=comment.content,
        type=comment.type,
        created_at=comment.created_at,
        updated_at=comment.updated_at,
    )


_COMMENTS = "/issues/{issue_id}/comments"


@router.post(_COMMENTS, status_code=201, response_model=CommentResponse)
async def create_comment(
    workspace_id: str, issue_id: str, body: CommentCreate, actor: CurrentActor, session: DbSession
) -> CommentResponse:
    """Comment on an issue, or reply to one of its comments with `parent_id`."""
    comment = await comments.create(
        session, actor, workspace_id, issue_id, content=body.content, parent_id=body.parent_id
    )
    return _comment_response(comment)


@router.get(_COMMENTS, response_model=list[CommentResponse])
async def list_comments(
    workspace_id: str,
    issue_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
) -> list[CommentResponse]:
    """The issue's comments, oldest first."""
    page = await comments.list_comments(session, actor, workspace_id, issue_id, listing.page)
    return [_comment_response(comment) for comment in listing.items(page)]


@router.patch(_COMMENTS + "/{comment_id}", response_model=CommentResponse)
async def update_comment(
    workspace_id: str,
    issue_id: str,
    comment_id: str,
    body: CommentUpdate,
    actor: CurrentActor,
    session: DbSession,
) -> CommentResponse:
    """Edit your own comment."""
    comment = await comments.update(
        session, actor, workspace_id, issue_id, comment_id, content=body.content
    )
    return _comment_response(comment)


@router.delete(_COMMENTS + "/{comment_id}", status_code=204)
async def delete_comment(
    workspace_id: str, issue_id: str, comment_id: str, actor: CurrentActor, session: DbSession
) -> Response:
    """Delete a comment (its author, or an admin); replies to it stay."""
    await comments.delete(session, actor, workspace_id, issue_id, comment_id)
    return Response(status_code=204)
