"""What commands print: rich tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console(highlight=False, soft_wrap=False)
error_console = Console(stderr=True, highlight=False)


# Columns whose values people copy (ids, keys, prefixes): never wrapped, folded or cut.
WHOLE_COLUMNS = frozenset({"ID", "KEY", "PREFIX", "SLUG"})


class CliError(Exception):
    """A failure that main() reports as one line, `error: <message>`, with exit status 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CliUsageError(CliError):
    """A command used in a way that cannot work (such as a prompt without a terminal): status 2."""

    exit_code = 2


def print_error(message: str) -> None:
    line = " ".join(message.split())
    error_console.print(f"[red]error:[/red] {escape(line)}", markup=True, soft_wrap=True)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(_plain(data), indent=2, ensure_ascii=False))


def print_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    whole: Collection[str] = WHOLE_COLUMNS,
) -> None:
    """A table that fits the terminal by folding its text columns; the `whole` columns keep
    their values on one line even when that makes the table wider than the terminal."""
    cells = [[_cell(value) for value in row] for row in rows]
    table = Table(title=title, title_justify="left", header_style="bold", box=None, pad_edge=False)
    needed = 0
    for index, column in enumerate(columns):
        longest = max([len(column), *(len(row[index]) for row in cells)])
        if column in whole:
            table.add_column(column, no_wrap=True, min_width=longest, overflow="ignore")
            needed += longest + 2
        else:
            table.add_column(column, overflow="fold")
            needed += min(longest, 12) + 2
    for row in cells:
        table.add_row(*row)
    # Rich would cut a no-wrap column on a narrow terminal: give the table the width it needs.
    target = console if needed <= console.width else _wider_console(needed)
    target.print(table)


def _wider_console(width: int) -> Console:
    return Console(
        file=console.file,
        width=width,
        highlight=False,
        soft_wrap=False,
        force_terminal=console.is_terminal,
        color_system=console.color_system,  # type: ignore[arg-type]
    )


def print_fields(fields: Sequence[tuple[str, Any]]) -> None:
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        console.print(f"[bold]{escape(name.ljust(width))}[/bold]  {_cell(value)}", markup=True)


def say(message: str) -> None:
    console.print(message, markup=False, soft_wrap=True)


def report(data: Any, message: str, *, as_json: bool) -> None:
    """What a command did: `data` as JSON with --json, else the one-line `message`."""
    if as_json:
        print_json(data)
    else:
        say(message)


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


def need_a_terminal(problem: str) -> None:
    """Prompts need someone at a terminal; without one, say what to pass instead."""
    if not sys.stdin.isatty():
        raise CliUsageError(
            f"{problem} (standard input is not a terminal, so nothing can be asked)"
        )
