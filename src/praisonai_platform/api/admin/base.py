"""What every admin view shares: plain columns only (relationships are lazy="raise" and never
loaded here), edit forms that show and keep what is stored, the API's rules for what is changed,
database refusals shown as a short message, and filters that ignore bad input."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqladmin import ModelView
from sqladmin.filters import StaticValuesFilter
from sqladmin.forms import ModelConverter, converts
from sqlalchemy import Select, inspect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import ColumnProperty
from starlette.requests import Request

from praisonai_platform.core.errors import PlatformError
from praisonai_platform.core.validation import unstorable
from praisonai_platform.db.base import Base


def plain_columns(model: type[Base], *hidden: str) -> list[Any]:
    """The model's column attributes, in table order, without `hidden`."""
    return [
        getattr(model, attribute.key)
        for attribute in inspect(model).column_attrs
        if attribute.key not in hidden
    ]


def _to_member(enum_class: type[enum.Enum]) -> Callable[[Any], Any]:
    def coerce(value: Any) -> Any:
        if value is None or isinstance(value, enum_class):
            return value
        return enum_class(value)  # an unknown value is a ValueError: "not a valid choice"

    return coerce


class PlatformConverter(ModelConverter):
    """sqladmin's form fields, with enumerated columns' selects compared by member.

    sqladmin coerces a stored member to its name (TODO) while the options are the stored values
    (todo): no option was marked selected, so a browser submitted the first one and saving a form
    untouched reset every enum (an urgent issue became priority none, a member an owner)."""

    @converts("Enum")
    def conv_enum(self, model: type, prop: ColumnProperty[Any], kwargs: dict[str, Any]) -> Any:
        enum_class = getattr(prop.columns[0].type, "enum_class", None)
        if enum_class is not None:
            kwargs["coerce"] = _to_member(enum_class)
        return super().conv_enum(model, prop, kwargs)


def _same(stored: Any, submitted: Any) -> bool:
    """Whether a submitted value only repeats the stored one, as far as a form can show it."""
    if isinstance(stored, datetime) and isinstance(submitted, datetime):
        # The form shows times to the second.
        return stored.replace(microsecond=0) == submitted
    if isinstance(stored, str) and isinstance(submitted, str):
        return stored.replace("\r\n", "\n") == submitted
    if stored in (None, "") and submitted is None:
        return True
    return bool(stored == submitted)


def drop_unchanged(model: Any, data: dict[str, Any]) -> None:
    """Leave out of `data` what the form only repeats, so that saving a form untouched writes
    nothing: no UPDATE, no new `updated_at`, no audit entry.

    An empty input of an optional column means "no value": NULL, except that a stored "" stays
    "" (the form cannot tell the two apart, so it changes neither into the other). Browsers send
    a textarea's line breaks as CRLF whatever is stored: they are taken as LF.
    """
    columns = inspect(type(model)).columns
    for name in list(data):
        column = columns.get(name)
        if column is None:
            continue
        if isinstance(data[name], str):
            data[name] = data[name].replace("\r\n", "\n")
        if column.nullable and data[name] == "":
            data[name] = None
        if _same(getattr(model, name), data[name]):
            del data[name]


@cache
def _field_rule(rules: type[BaseModel], name: str) -> TypeAdapter[Any] | None:
    """The validator of the field `name` of the API schema `rules`, if it has one."""
    field = rules.model_fields.get(name)
    if field is None:
        return None
    annotated: Any = Annotated[field.annotation, field]  # the field's type with its constraints
    return TypeAdapter(annotated)


def check_changes(model: Any, data: dict[str, Any], rules: type[BaseModel] | None) -> None:
    """Refuse (ValueError, shown on the form) what the API would refuse: text no database
    stores faithfully (NUL, unpaired surrogates) in any field, and values outside the rules of
    the same field of `rules`. Values are kept as the API keeps them (titles stripped); one that
    then only repeats the stored value is left out."""
    for name in list(data):
        problem = unstorable(data[name])
        if problem is not None:
            raise ValueError(f"{name}: {problem}")
        rule = _field_rule(rules, name) if rules is not None else None
        if rule is None:
            continue
        try:
            data[name] = rule.validate_python(data[name])
        except ValidationError as exc:
            raise ValueError(f"{name}: {exc.errors()[0]['msg']}") from None
        if _same(getattr(model, name), data[name]):
            del data[name]


class PlatformView(ModelView):
    page_size = 25
    page_size_options: ClassVar[list[int]] = [25, 50, 100]
    column_default_sort: ClassVar[Any] = ("created_at", True)
    form_converter: ClassVar[Any] = PlatformConverter
    # The API's request schema whose field rules apply to this view's form fields.
    field_rules: ClassVar[type[BaseModel] | None] = None

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Subclasses call this first: what follows sees only what really changes, and only
        values the API would accept."""
        if not is_created:
            drop_unchanged(model, data)
        check_changes(model, data, self.field_rules)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        try:
            return await super().update_model(request, pk, data)
        except IntegrityError:
            raise ValueError(
                "this conflicts with existing data (a unique or required value)"
            ) from None
        except (DBAPIError, OverflowError):
            # OverflowError: SQLite's driver refuses integers beyond 64 bits itself.
            raise ValueError("the database refused this value") from None
        except PlatformError as exc:
            raise ValueError(exc.detail) from None


class ReadOnlyView(PlatformView):
    """For what is append-only or owned by another process: look, never touch."""

    can_create = False
    can_edit = False
    can_delete = False


class EnumFilter(StaticValuesFilter):
    """A filter on an enumerated column; a value outside the enum filters nothing rather than
    reaching the database (which would refuse it)."""

    def __init__(self, column: Any, enum_class: type[enum.StrEnum], **options: Any) -> None:
        values = [(member.value, member.value) for member in enum_class]
        super().__init__(column, values, **options)
        self._allowed = {member.value for member in enum_class}

    async def get_filtered_query(self, query: Select[Any], value: Any, model: Any) -> Select[Any]:
        if value not in self._allowed:
            return query
        return await super().get_filtered_query(query, value, model)
