"""Workspaces."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from praisonai_platform.core.schemas import JsonObject, LongText, Name, ResponseSchema, Schema

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
    settings: JsonObject | None = None


class WorkspaceUpdate(Schema):
    name: Name | None = None
    description: LongText | None = None
    settings: JsonObject | None = None
    issue_prefix: IssuePrefix | None = None


class WorkspaceResponse(ResponseSchema):
    id: str
    name: str
    slug: str
    description: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    issue_prefix: str
    created_at: datetime
    updated_at: datetime
