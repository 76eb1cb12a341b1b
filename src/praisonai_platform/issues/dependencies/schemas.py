"""Dependencies between issues: blocks, blocked_by, related."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from praisonai_platform.core.enums import DependencyType
from praisonai_platform.core.schemas import EntityId, ResponseSchema, Schema, lenient_input

DependencyTypeInput = Annotated[
    DependencyType,
    lenient_input(
        DependencyType,
        {
            "blocking": "blocks",
            "depends_on": "blocked_by",
            "depends-on": "blocked_by",
            "relates": "related",
            "relates_to": "related",
            "relates-to": "related",
        },
    ),
]


class DependencyCreate(Schema):
    depends_on_issue_id: EntityId = Field(
        description="The other issue, by id or key (ENG-42), in the same workspace."
    )
    type: DependencyTypeInput = Field(
        default=DependencyType.BLOCKS,
        description="`blocks`: this issue blocks the other; `blocked_by`: the other blocks this "
        "one; `related`.",
    )


class DependencyResponse(ResponseSchema):
    id: str
    issue_id: str
    depends_on_issue_id: str
    depends_on_id: str
    type: DependencyType
    dependency_type: DependencyType
    created_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _from_dependency(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {
            "id": data.id,
            "issue_id": data.issue_id,
            "depends_on_issue_id": data.depends_on_id,
            "depends_on_id": data.depends_on_id,
            "type": data.dependency_type,
            "dependency_type": data.dependency_type,
            "created_at": data.created_at,
        }
