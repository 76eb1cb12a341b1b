"""Hot-path inserts: one Core INSERT for a new ORM object, without the unit of work.

Flushing a new object makes the ORM sort dependencies, run mapper events and read back what the
database computed; for a row whose every value is known in Python that is most of the cost of the
insert. `insert_row` writes the object's row with one Core statement and, when asked, enters the
object into the session as if it had just been loaded, so later changes to it are flushed as
usual. Columns the database computes are left unloaded, as after a flush.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Column, Insert, Table, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, make_transient_to_detached


async def insert_row(session: AsyncSession, instance: object, *, keep: bool = True) -> None:
    """INSERT `instance`'s row; Python-side defaults fill the columns it leaves unset and are set
    on the object too. `keep=False` leaves the object out of the session (an audit row nobody
    reads back)."""
    mapped_class: Any = type(instance)
    table, columns = _written_columns(mapped_class)
    values: dict[str, Any] = {}
    state = instance.__dict__
    for key, column_key, column in columns:
        if key not in state:
            default = _python_default(column)
            if default is _NO_DEFAULT:
                continue  # the server default or NULL
            setattr(instance, key, default)
        values[column_key] = state[key]
    connection = await session.connection()
    await connection.execute(_insert_into(table), values)
    if keep:
        make_transient_to_detached(instance)
        session.add(instance)


_NO_DEFAULT = object()


@functools.cache
def _written_columns(cls: Any) -> tuple[Table, tuple[tuple[str, str, Column[Any]], ...]]:
    """A mapped class's table and the columns an INSERT writes (attribute key, column key,
    column): every plain column, not the computed ones. Worked out once per class."""
    mapper: Mapper[Any] = inspect(cls)
    table = mapper.local_table
    assert isinstance(table, Table)
    columns = []
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        if isinstance(column, Column) and column.computed is None:
            columns.append((attribute.key, column.key, column))
    return table, tuple(columns)


@functools.cache
def _insert_into(table: Table) -> Insert:
    """One statement object per table: its compiled form is cached per set of columns given,
    and the values travel as parameters instead of being built into a new statement."""
    return insert(table)


def _python_default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return _NO_DEFAULT
    if default.is_scalar:
        return default.arg  # type: ignore[attr-defined]
    if default.is_callable:
        return default.arg(None)  # type: ignore[attr-defined]  # wrapped to take a context
    return _NO_DEFAULT
