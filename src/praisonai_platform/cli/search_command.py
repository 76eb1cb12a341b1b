"""`praisonai-platform search WORDS`: issues, comments and projects of a workspace."""

from __future__ import annotations

import html
import re
from typing import Annotated

import typer

from praisonai_platform.cli import connection
from praisonai_platform.cli.options import JsonOption, UrlOption, WorkspaceOption
from praisonai_platform.cli.output import print_json, print_table, say

_MARK = re.compile(r"</?mark>")


def search(
    words: Annotated[
        str,
        typer.Argument(
            help="Words to find (the last also as a prefix: webh finds webhook), or an issue's key "
            "or number (ENG-42, 42)."
        ),
    ],
    workspace: WorkspaceOption = None,
    limit: Annotated[int, typer.Option(min=1, max=50, help="How many results.")] = 20,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Search a workspace: the issue a key names, then title matches, then description
    matches, then comments; newest first within each."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        results = client.search(found.id, words, limit=limit)
    if json:
        print_json(results)
    elif not results:
        say(f"Nothing in {found.slug} matches {words!r}.")
    else:
        print_table(
            ["TYPE", "KEY", "TITLE", "MATCH"],
            [(r.type.value, r.issue_key or "-", r.title, plain(r.snippet) or "-") for r in results],
        )


def plain(highlighted: str | None) -> str | None:
    """A highlight (escaped HTML with <mark>) as the text it shows."""
    return None if highlighted is None else html.unescape(_MARK.sub("", highlighted))
