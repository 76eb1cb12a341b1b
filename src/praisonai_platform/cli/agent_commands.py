"""`praisonai-platform agent list | create`."""

from __future__ import annotations

from typing import Annotated

import typer

from praisonai_platform.cli import connection
from praisonai_platform.cli.options import JsonOption, UrlOption, WorkspaceOption
from praisonai_platform.cli.output import print_json, print_table, report, say

app = typer.Typer(help="AI agents of a workspace.", no_args_is_help=True)


@app.command("list")
def list_agents(
    workspace: WorkspaceOption = None,
    status: Annotated[
        str | None, typer.Option(help="idle, active, offline, blocked, error")
    ] = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """The agents of a workspace."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        agents = list(client.agents.iter(found.id, status=status))
    if json:
        print_json(agents)
    elif not agents:
        say(f"No agents in {found.slug}.")
    else:
        print_table(
            ["NAME", "STATUS", "RUNTIME", "ID"],
            [(a.name, a.status.value, a.runtime_mode.value, a.id) for a in agents],
        )


@app.command("create")
def create_agent(
    name: Annotated[str, typer.Argument(help="The agent's name.")],
    workspace: WorkspaceOption = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    instructions: Annotated[str | None, typer.Option(help="What the agent is told to do.")] = None,
    runtime: Annotated[str | None, typer.Option(help="local, cloud or remote")] = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Create an agent; you become its owner."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        agent = client.agents.create(
            found.id,
            name,
            description=description,
            instructions=instructions,
            runtime_mode=runtime,
        )
    report(agent, f"Created agent {agent.name} in {found.slug} (id {agent.id})", as_json=json)
