"""What every admin view shares: plain columns only (relationships are lazy="raise" and never
loaded here), database refusals shown as a short message, and filters that ignore bad input."""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from sqladmin import ModelView
from sqladmin.filters import StaticValuesFilter
from sqlalchemy import Select, inspect
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.requests import Request

from praisonai_platform.core.errors import PlatformError
from praisonai_platform.db.base import Base


def plain_columns(model: type[Base], *hidden: str) -> list[Any]:
    """The model's column attributes, in table order, without `hidden`."""
    return [
        getattr(model, attribute.key)
        for attribute in inspect(model).column_attrs
        if attribute.key not in hidden
    ]


class PlatformView(ModelView):
    page_size = 25
    page_size_options: ClassVar[list[int]] = [25, 50, 100]
    column_default_sort: ClassVar[Any] = ("created_at", True)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        try:
            return await super().update_model(request, pk, data)
        except IntegrityError:
            raise ValueError(
                "this conflicts with existing data (a unique or required value)"
            ) from None
        except DBAPIError:
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
