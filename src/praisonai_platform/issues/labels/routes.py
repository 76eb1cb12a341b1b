"""Routes of /api/v1/workspaces/{workspace_id}/… for labels."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.issues.labels import service as labels
from praisonai_platform.issues.labels.schemas import LabelCreate, LabelResponse, LabelUpdate

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["labels"])


@router.post("/labels", status_code=201, response_model=LabelResponse)
async def create_label(
    workspace_id: str, body: LabelCreate, actor: CurrentActor, session: DbSession
) -> LabelResponse:
    """Create a label (members); names are unique in a workspace (409 `label_exists`)."""
    label = await labels.create(session, actor, workspace_id, **body.model_dump())
    return LabelResponse.model_validate(label)


@router.get("/labels", response_model=list[LabelResponse])
async def list_labels(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
) -> list[LabelResponse]:
    """The workspace's labels by name."""
    page = await labels.list_for(session, actor, workspace_id, listing.page)
    return [LabelResponse.model_validate(label) for label in listing.items(page)]


@router.patch("/labels/{label_id}", response_model=LabelResponse)
async def update_label(
    workspace_id: str, label_id: str, body: LabelUpdate, actor: CurrentActor, session: DbSession
) -> LabelResponse:
    """Rename or recolour a label (admins)."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    label = await labels.update(session, actor, workspace_id, label_id, changes)
    return LabelResponse.model_validate(label)


@router.delete("/labels/{label_id}", status_code=204)
async def delete_label(
    workspace_id: str, label_id: str, actor: CurrentActor, session: DbSession
) -> Response:
    """Delete a label and detach it from every issue (admins)."""
    await labels.delete(session, actor, workspace_id, label_id)
    return Response(status_code=204)


# `:path` lets a name like `area/api` through (URL-encoded or not); the OpenAPI document still
# shows `{label_id}`. The trailing slash every route tolerates is dropped here for the same reason.
LabelRef = Annotated[str, Path(description="The label's id or its name (URL-encoded).")]


@router.post("/issues/{issue_id}/labels/{label_id:path}", status_code=204)
async def attach_label(
    workspace_id: str, issue_id: str, label_id: LabelRef, actor: CurrentActor, session: DbSession
) -> Response:
    """Attach a label, by id or name, to an issue (id or key like ENG-42); attaching it twice is
    harmless. An id is tried before a name; 404 `label_not_found` if neither matches."""
    await labels.attach(session, actor, workspace_id, issue_id, _label_ref(label_id))
    return Response(status_code=204)


@router.delete("/issues/{issue_id}/labels/{label_id:path}", status_code=204)
async def detach_label(
    workspace_id: str, issue_id: str, label_id: LabelRef, actor: CurrentActor, session: DbSession
) -> Response:
    """Detach a label (id or name) from an issue; 404 `label_not_attached` if it was not
    attached, `label_not_found` if no label has this id or name."""
    await labels.detach(session, actor, workspace_id, issue_id, _label_ref(label_id))
    return Response(status_code=204)


def _label_ref(raw: str) -> str:
    return raw.removesuffix("/")


@router.get("/issues/{issue_id}/labels", response_model=list[LabelResponse])
async def list_issue_labels(
    workspace_id: str,
    issue_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
) -> list[LabelResponse]:
    """The labels attached to an issue, by name."""
    page = await labels.list_for_issue(session, actor, workspace_id, issue_id, listing.page)
    return [LabelResponse.model_validate(label) for label in listing.items(page)]
