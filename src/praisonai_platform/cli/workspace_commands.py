"""`praisonai-platform workspace list | create | show`."""

from __future__ import annotations

from typing import Annotated

import typer

from praisonai_platform.cli import connection
from praisonai_platform.cli.options import JsonOption, UrlOption
from praisonai_platform.cli.output import print_fields, print_json, print_table, say

app = typer.Typer(help="Your workspaces.", no_args_is_help=True)


@app.command("list")
def list_workspaces(url: UrlOption = None, json: JsonOption = False) -> None:
    """The workspaces you are a member of."""
    with connection.connect(url) as client:
        workspaces = list(client.workspaces.iter())
    if json:
        print_json(workspaces)
        return
    if not workspaces:
        say("No workspaces yet: create one with `praisonai-platform workspace create NAME`.")
        return
    print_table(
        ["PREFIX", "SLUG", "NAME", "ID"],
        [(w.issue_prefix, w.slug, w.name, w.id) for w in workspaces],
    )


@app.command("create")
def create_workspace(
    name: Annotated[str, typer.Argument(help="The workspace's name.")],
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Issue key prefix, e.g. ENG for ENG-1.")
    ] = None,
    slug: Annotated[str | None, typer.Option(help="URL name (from the name when omitted).")] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Create a workspace; you become its owner."""
    with connection.connect(url) as client:
        workspace = client.workspaces.create(
            name=name, issue_prefix=prefix, slug=slug, description=description
        )
    if json:
        print_json(workspace)
        return
    keys = f"{workspace.issue_prefix}-N"
    say(f"Created workspace {workspace.name} (slug {workspace.slug}, issue keys {keys})")


@app.command("show")
def show_workspace(
    workspace: Annotated[str, typer.Argument(help="Id, slug, issue prefix or name.")],
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """A workspace and its members."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        members = list(client.members.iter(found.id))
    if json:
        print_json({**found.model_dump(mode="json"), "members": members})
        return
    print_fields(
        [
            ("name", found.name),
            ("slug", found.slug),
            ("prefix", found.issue_prefix),
            ("id", found.id),
            ("description", found.description),
            ("created", found.created_at),
        ]
    )
    say("")
    print_table(["MEMBER", "EMAIL", "ROLE"], [(m.name, m.email, m.role.value) for m in members])
