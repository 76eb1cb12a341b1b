"""`praisonai-platform project list | create`."""

from __future__ import annotations

from typing import Annotated

import typer

from praisonai_platform.cli import connection
from praisonai_platform.cli.options import JsonOption, UrlOption, WorkspaceOption
from praisonai_platform.cli.output import print_json, print_table, report, say

app = typer.Typer(help="Projects of a workspace.", no_args_is_help=True)


@app.command("list")
def list_projects(
    workspace: WorkspaceOption = None, url: UrlOption = None, json: JsonOption = False
) -> None:
    """The projects of a workspace."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        projects = list(client.projects.iter(found.id))
    if json:
        print_json(projects)
    elif not projects:
        say(f"No projects in {found.slug}.")
    else:
        print_table(["NAME", "STATUS", "ID"], [(p.name, p.status.value, p.id) for p in projects])


@app.command("create")
def create_project(
    name: Annotated[str, typer.Argument(help="The project's name.")],
    workspace: WorkspaceOption = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    status: Annotated[
        str | None, typer.Option(help="planned, active, paused, completed, cancelled")
    ] = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Create a project (admins)."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        project = client.projects.create(found.id, name, description=description, status=status)
    report(project, f"Created project {project.name} in {found.slug}", as_json=json)
