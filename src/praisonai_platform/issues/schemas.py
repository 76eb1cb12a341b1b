"""Issues: what clients send and what they get back (a superset of 0.1.9's fields)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, field_validator

from praisonai_platform.core.enums import IssuePriority, IssueStatus
from praisonai_platform.core.schemas import (
    EntityId,
    LongText,
    ResponseSchema,
    Schema,
    Title,
    lenient_input,
)


class AssigneeType(enum.StrEnum):
    USER = "user"
    AGENT = "agent"


class IssueSort(enum.StrEnum):
    NUMBER = "number"
    NUMBER_DESC = "-number"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    UPDATED_AT = "updated_at"
    UPDATED_AT_DESC = "-updated_at"
    PRIORITY = "priority"
    PRIORITY_DESC = "-priority"


StatusInput = Annotated[IssueStatus, lenient_input(IssueStatus)]
PriorityInput = Annotated[IssuePriority, lenient_input(IssuePriority)]
AssigneeTypeInput = Annotated[AssigneeType, lenient_input(AssigneeType)]
Criterion = Annotated[str, Field(min_length=1, max_length=10_000)]
AcceptanceCriteria = Annotated[list[Criterion], Field(max_length=200)]
IssueRef = Annotated[EntityId, Field(description="An issue id or key (ENG-42).")]


class IssueCreate(Schema):
    title: Title
    description: LongText | None = None
    project_id: EntityId | None = None
    status: StatusInput = IssueStatus.BACKLOG
    priority: PriorityInput = IssuePriority.MEDIUM
    assignee_type: AssigneeTypeInput | None = Field(
        default=None, description="`user` (default when assignee_id is given) or `agent`."
    )
    assignee_id: EntityId | None = None
    parent_issue_id: IssueRef | None = None
    acceptance_criteria: AcceptanceCriteria | None = None


class IssueUpdate(Schema):
    """Only the fields sent change. `null` clears a field that may be empty (unassigns, detaches
    from a project or parent); for title, status and priority it means "leave as is"."""

    title: Title | None = None
    description: LongText | None = None
    status: StatusInput | None = None
    priority: PriorityInput | None = None
    assignee_type: AssigneeTypeInput | None = None
    assignee_id: EntityId | None = None
    project_id: EntityId | None = None
    parent_issue_id: IssueRef | None = None
    acceptance_criteria: AcceptanceCriteria | None = None

    def changes(self) -> dict[str, Any]:
        sent = self.model_dump(exclude_unset=True)
        return {
            name: value
            for name, value in sent.items()
            if value is not None or name not in ("title", "status", "priority")
        }


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    return value


class IssueListQuery(Schema):
    """Filters of the issue list; repeat a list parameter (or separate values by commas) to
    match any of its values."""

    status: list[StatusInput] = Field(default_factory=list, max_length=20)
    priority: list[PriorityInput] = Field(default_factory=list, max_length=20)
    assignee_id: EntityId | None = Field(default=None, description="A user or agent id; `none`.")
    assignee_type: AssigneeTypeInput | None = None
    creator_id: EntityId | None = None
    project_id: EntityId | None = None
    label: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50, description="Label id or name."
    )
    parent_issue_id: IssueRef | None = Field(
        default=None, description="Children of this issue; `none` for top-level issues only."
    )
    updated_since: AwareDatetime | None = None
    q: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        default=None, description="Case-insensitive text in the title or description."
    )
    sort: IssueSort = IssueSort.NUMBER

    @field_validator("status", "priority", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split_commas(value)

    @field_validator("updated_since")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        try:
            return None if value is None else value.astimezone(UTC)
        except OverflowError:
            raise ValueError("updated_since is out of range") from None


class IssueLabelSummary(ResponseSchema):
    """A label as an issue shows it; GET /labels has the rest."""

    id: str
    name: str
    color: str


class IssueResponse(ResponseSchema):
    id: str
    workspace_id: str
    project_id: str | None = None
    title: str
    description: str | None = None
    status: StatusInput  # read leniently: the SDK reads 0.1.9's `in_progress` too
    priority: IssuePriority
    assignee_type: str | None = None
    assignee_id: str | None = None
    creator_type: str | None = None
    creator_id: str | None = None
    number: int
    issue_number: int
    identifier: str
    parent_issue_id: str | None = None
    created_by_id: str | None = None
    acceptance_criteria: list[Any] | None = None
    labels: list[IssueLabelSummary] = Field(
        default_factory=list, description="The issue's labels, by name."
    )
    version: int
    created_at: datetime
    updated_at: datetime
