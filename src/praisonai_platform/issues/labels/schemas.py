"""Labels of a workspace, attached to issues."""

from __future__ import annotations

from datetime import datetime

from praisonai_platform.core.schemas import Color, LongText, Name, ResponseSchema, Schema

DEFAULT_COLOR = "#6B7280"


class LabelCreate(Schema):
    name: Name
    color: Color = DEFAULT_COLOR
    description: LongText | None = None


class LabelUpdate(Schema):
    name: Name | None = None
    color: Color | None = None
    description: LongText | None = None


class LabelResponse(ResponseSchema):
    id: str
    workspace_id: str
    name: str
    color: str
    description: str | None = None
    created_at: datetime
    updated_at: datetime
