"""Projects: the name is one column, accepted and returned both as `title` (the field of API
version 0.1.9) and as `name`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from praisonai_platform.core.enums import IssuePriority, IssueStatus, ProjectStatus
from praisonai_platform.core.schemas import (
    MAX_ID,
    JsonSettings,
    LongText,
    Name,
    ResponseSchema,
    Schema,
    StoredJsonObject,
    lenient_input,
)

# Tolerant status input. Issue-style words map onto the project life cycle where the meaning is
# unambiguous: in-progress/started → active, done/complete → completed, on-hold → paused,
# backlog/planning → planned, and the American spelling of cancelled.
ProjectStatusInput = Annotated[
    ProjectStatus,
    lenient_input(
        ProjectStatus,
        {
            "in_progress": "active",
            "in-progress": "active",
            "started": "active",
            "done": "completed",
            "complete": "completed",
            "on_hold": "paused",
            "on-hold": "paused",
            "backlog": "planned",
            "planning": "planned",
            "canceled": "cancelled",
        },
    ),
]


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


LeadType = Annotated[Literal["user", "agent"], BeforeValidator(_lower)]
# An empty string clears the lead on update (null leaves it unchanged, as in 0.1.9).
LeadId = Annotated[str, Field(max_length=MAX_ID)]
Icon = Annotated[str, Field(max_length=100)]


def _one_name(title: str | None, name: str | None) -> str | None:
    if title is not None and name is not None and title != name:
        raise ValueError("title and name are the same field; send one of them")
    return title if title is not None else name


class ProjectCreate(Schema):
    title: Name | None = Field(default=None, description="The project's name (0.1.9).")
    name: Name | None = Field(default=None, description="Same as `title`.")
    description: LongText | None = None
    icon: Icon | None = None
    status: ProjectStatusInput | None = None
    lead_type: LeadType | None = Field(
        default=None, description="`user` or `agent`; inferred from `lead_id` when omitted."
    )
    lead_id: LeadId | None = None
    settings: JsonSettings | None = None

    @model_validator(mode="after")
    def _named(self) -> ProjectCreate:
        if _one_name(self.title, self.name) is None:
            raise ValueError("title (or name) is required")
        return self

    @property
    def project_name(self) -> str:
        return _one_name(self.title, self.name) or ""


class ProjectUpdate(Schema):
    title: Name | None = None
    name: Name | None = None
    description: LongText | None = None
    icon: Icon | None = None
    status: ProjectStatusInput | None = None
    lead_type: LeadType | None = None
    lead_id: LeadId | None = Field(
        default=None, description="A member's or agent's id; an empty string removes the lead."
    )
    settings: JsonSettings | None = None

    @model_validator(mode="after")
    def _names_agree(self) -> ProjectUpdate:
        _one_name(self.title, self.name)
        return self

    def changes(self) -> dict[str, Any]:
        """The fields given with a value, `title`/`name` folded into the column's name."""
        given = self.model_dump(exclude_none=True, exclude={"title", "name", "lead_type"})
        new_name = _one_name(self.title, self.name)
        if new_name is not None:
            given["name"] = new_name
        return given


class ProjectResponse(ResponseSchema):
    id: str
    workspace_id: str
    title: str
    name: str
    description: str | None = None
    icon: str | None = None
    status: ProjectStatus
    lead_type: Literal["user", "agent"] | None = None
    lead_id: str | None = None
    settings: StoredJsonObject = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _from_project(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        lead_agent_id = data.lead_agent_id
        return {
            "id": data.id,
            "workspace_id": data.workspace_id,
            "title": data.name,
            "name": data.name,
            "description": data.description,
            "icon": data.icon,
            "status": data.status,
            "lead_type": "agent" if lead_agent_id else "user" if data.lead_id else None,
            "lead_id": lead_agent_id or data.lead_id,
            "settings": data.settings,
            "created_at": data.created_at,
            "updated_at": data.updated_at,
        }


class ProjectStatsResponse(ResponseSchema):
    project_id: str
    total: int = Field(description="All issues of the project.")
    done: int
    cancelled: int
    open: int = Field(description="Neither done nor cancelled.")
    completion_ratio: float = Field(
        ge=0, le=1, description="done / (total - cancelled); 0 when no issue counts."
    )
    by_status: dict[Annotated[IssueStatus, lenient_input(IssueStatus)], int] = Field(
        description="Every status, zero included."
    )
    by_priority: dict[IssuePriority, int] = Field(description="Every priority, zero included.")
