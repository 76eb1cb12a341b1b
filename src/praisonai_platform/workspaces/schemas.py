"""Workspaces."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from praisonai_platform.core.schemas import (
    JsonSettings,
    LongText,
    Name,
    ResponseSchema,
    Schema,
    StoredJsonObject,
)

IssuePrefix = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z][A-Za-z0-9]{0,9}$",
        description="Letters and digits, starting with a letter; stored upper-case (e.g. ENG).",
        examples=["ENG"],
    ),
]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", examples=["research"])]


class WorkspaceCreate(Schema):
    name: Name
    slug: Slug | None = None
    description: LongText | None = None
    issue_prefix: IssuePrefix | None = None
    settings: JsonSettings | None = None


class WorkspaceUpdate(Schema):
    name: Name | None = None
    description: LongText | None = None
    settings: JsonSettings | None = None
    issue_prefix: IssuePrefix | None = None


class WorkspaceResponse(ResponseSchema):
    id: str
    name: str
    slug: str
    description: str | None = None
    settings: StoredJsonObject = Field(default_factory=dict)
    issue_prefix: str
    created_at: datetime
    updated_at: datetime
