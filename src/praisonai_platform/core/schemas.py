"""Building blocks of every schema: safe strings, bounded sizes, tolerant enum input."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from praisonai_platform.core.limits import (
    MAX_ID,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_JSON_DEPTH_SHOWN,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
)
from praisonai_platform.core.validation import clip_depth, deeper_than, unstorable

E = TypeVar("E", bound=enum.StrEnum)


def check_text(value: Any) -> Any:
    """Refuse what no database stores faithfully: NUL characters, unpaired surrogates, NaN."""
    problem = unstorable(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def check_json(value: Any) -> Any:
    """Refuse JSON nested more than MAX_JSON_DEPTH levels (error type `json_too_deep`), then
    what no database stores faithfully."""
    if deeper_than(value, MAX_JSON_DEPTH):
        raise PydanticCustomError(
            "json_too_deep", "JSON nested more than {depth} levels", {"depth": MAX_JSON_DEPTH}
        )
    return check_text(value)


def check_json_size(value: Any) -> Any:
    """Refuse JSON larger than MAX_JSON_BYTES once encoded (error type `json_too_large`)."""
    size = len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    if size > MAX_JSON_BYTES:
        raise PydanticCustomError(
            "json_too_large", "JSON larger than {size} bytes", {"size": MAX_JSON_BYTES}
        )
    return value


def show_stored_json(value: Any) -> Any:
    """Stored JSON as responses show it: parts nested deeper than MAX_JSON_DEPTH_SHOWN (only in
    rows stored before depth was limited) are replaced by a marker, so such a row never keeps
    a list from answering."""
    return clip_depth(value, MAX_JSON_DEPTH_SHOWN)


class Schema(BaseModel):
    """Base of request bodies: unknown fields are ignored, every string is checked."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    @model_validator(mode="after")
    def _text_is_storable(self) -> Schema:
        for name in type(self).model_fields:
            check_text(getattr(self, name))
        return self


class ResponseSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _stripped(min_length: int, max_length: int) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Title = Annotated[str, _stripped(1, MAX_TITLE)]
Name = Annotated[str, _stripped(1, MAX_NAME)]
LongText = Annotated[str, Field(max_length=MAX_TEXT)]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#6B7280"])]
EntityId = Annotated[str, Field(min_length=1, max_length=MAX_ID)]
# Input: a JSON object of bounded depth (a request body is bounded in size as a whole).
JsonObject = Annotated[dict[str, Any], AfterValidator(check_json)]
# Input kept on a record with no size limit of its own (agent config, workspace settings).
JsonSettings = Annotated[JsonObject, AfterValidator(check_json_size)]
# Output: a JSON object as stored, deeper parts of old rows replaced by a marker.
StoredJsonObject = Annotated[dict[str, Any], BeforeValidator(show_stored_json)]


def lenient_enum(
    enum_class: type[E], aliases: dict[str, str] | None = None
) -> Callable[[Any], Any]:
    """Accept any case, `_` for `-`, and the given aliases; the stored value is canonical."""
    canonical = {member.value for member in enum_class}
    extra = {k.lower(): v for k, v in (aliases or {}).items()}

    def parse(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        key = value.strip().lower()
        if key in extra:
            return extra[key]
        if key in canonical:
            return key
        dashed = key.replace("_", "-")
        if dashed in canonical:
            return dashed
        underscored = key.replace("-", "_")
        return underscored if underscored in canonical else value

    return parse


def lenient_input(enum_class: type[E], aliases: dict[str, str] | None = None) -> BeforeValidator:
    """Metadata for `Annotated[SomeEnum, lenient_input(SomeEnum)]`: the field keeps the enum as
    its type (for type checkers and the OpenAPI schema) and also accepts lenient spellings."""
    return BeforeValidator(lenient_enum(enum_class, aliases))


class ErrorResponse(BaseModel):
    """Every error: a human-readable `detail` (a list of problems for malformed requests) and a
    stable machine-readable `code`."""

    detail: str | list[dict[str, Any]]
    code: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (401, "Not signed in, or the credential is invalid or expired"),
        (403, "Signed in, but your role does not allow this"),
        (404, "Not found, or in a workspace you are not a member of"),
        (409, "Conflicts with existing data or a concurrent change"),
        (412, "If-Match does not match the current version"),
        (413, "Request body larger than allowed"),
        (422, "Invalid input"),
        (429, "Too many requests: retry after the Retry-After header's seconds"),
    )
}
