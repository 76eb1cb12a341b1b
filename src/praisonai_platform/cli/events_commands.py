"""`praisonai-platform events tail`: a workspace's changes as they happen."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer

from praisonai_platform.cli import connection
from praisonai_platform.cli.options import JsonOption, UrlOption, WorkspaceOption
from praisonai_platform.cli.output import report, say, when
from praisonai_platform.client.resources.events import StreamItem
from praisonai_platform.events.schemas import EventStreamReset, WorkspaceEventResponse

app = typer.Typer(help="A workspace's live changes.", no_args_is_help=True)


@app.command("tail")
def tail(
    workspace: WorkspaceOption = None,
    types: Annotated[
        str | None,
        typer.Option(
            "--types",
            "-t",
            help="Comma-separated event types to show: issue.created, or comment.* for every "
            "comment event. All by default.",
        ),
    ] = None,
    after: Annotated[
        int | None,
        typer.Option(
            "--after",
            min=0,
            help="First show the events after this id (as printed first on each line).",
        ),
    ] = None,
    count: Annotated[
        int | None, typer.Option("--count", "-n", min=1, help="Stop after this many events.")
    ] = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Print the workspace's changes as they happen, one line each, until interrupted (or
    --count events). A lost connection is resumed where it stopped. With --json, one JSON
    object per line."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        if not json:
            say(f"Following {found.slug}; Ctrl-C stops.")
        shown = 0
        with contextlib.suppress(KeyboardInterrupt):
            for item in client.events.stream(found.id, after=after, types=types):
                _show(item, json)
                if isinstance(item, WorkspaceEventResponse):
                    shown += 1
                    if count is not None and shown >= count:
                        break


def _show(item: StreamItem, as_json: bool) -> None:
    if as_json:
        typer.echo(item.model_dump_json())
    elif isinstance(item, EventStreamReset):
        say(
            f"(events after {item.after} are no longer kept: some were missed; "
            f"continuing after {item.id})"
        )
    else:
        report(item, line(item), as_json=False)


def line(event: WorkspaceEventResponse) -> str:
    """`#id  time  type  entity  by actor  title`."""
    actor = (
        event.actor.type.value
        if event.actor.id is None
        else f"{event.actor.type.value} {event.actor.id}"
    )
    parts = [f"#{event.id}", when(event.created_at), event.type, event.entity_id, f"by {actor}"]
    title = event.data.get("title") or event.data.get("name")
    if isinstance(title, str) and title:
        parts.append(title)
    return "  ".join(parts)
