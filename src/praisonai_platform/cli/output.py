"""What commands print: rich tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console(highlight=False, soft_wrap=False)
error_console = Console(stderr=True, highlight=False)


class CliError(Exception):
    """A failure that main() reports as one line, `error: <message>`, with exit status 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def print_error(message: str) -> None:
    line = " ".join(message.split())
    error_console.print(f"[red]error:[/red] {escape(line)}", markup=True, soft_wrap=True)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(_plain(data), indent=2, ensure_ascii=False))


def print_table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None
) -> None:
    table = Table(title=title, title_justify="left", header_style="bold", box=None, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    console.print(table)


def print_fields(fields: Sequence[tuple[str, Any]]) -> None:
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        console.print(f"[bold]{escape(name.ljust(width))}[/bold]  {_cell(value)}", markup=True)


def say(message: str) -> None:
    console.print(message, markup=False, soft_wrap=True)


def when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return when(value)
    return escape(str(value))


def _plain(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_plain(item) for item in data]
    return data
