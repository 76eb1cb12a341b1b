"""`praisonai-platform api-key create | list | revoke`."""

from __future__ import annotations

from typing import Annotated

import typer

from praisonai_platform.cli import connection
from praisonai_platform.cli.options import JsonOption, UrlOption
from praisonai_platform.cli.output import print_json, print_table, say

app = typer.Typer(help="API keys for scripts and agents.", no_args_is_help=True)


@app.command("create")
def create_key(
    label: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Only reads.")] = False,
    workspace: Annotated[
        str | None, typer.Option(help="Limit the key to this workspace (id).")
    ] = None,
    agent: Annotated[str | None, typer.Option(help="Act as this agent (id).")] = None,
    expires_in_days: Annotated[int | None, typer.Option(min=1, max=3650)] = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Create a key and print its secret, which is shown this once."""
    with connection.connect(url) as client:
        created = client.api_keys.create(
            label=label,
            scopes=["read"] if read_only else ["read", "write"],
            workspace_id=workspace,
            agent_id=agent,
            expires_in_days=expires_in_days,
        )
    if json:
        print_json(created)
    else:
        say(f"Created API key {created.prefix}… (id {created.id}). Store it now:")
        typer.echo(created.key)


@app.command("list")
def list_keys(url: UrlOption = None, json: JsonOption = False) -> None:
    """Your keys: prefix, label, scopes, last use and status (never the secret)."""
    with connection.connect(url) as client:
        keys = list(client.api_keys.iter())
    if json:
        print_json(keys)
    elif not keys:
        say("No API keys.")
    else:
        print_table(
            ["PREFIX", "LABEL", "SCOPES", "LAST USED", "STATUS", "ID"],
            [
                (
                    f"{k.prefix}…",
                    k.label or "",
                    ",".join(k.scopes),
                    k.last_used_at.strftime("%Y-%m-%d %H:%M") if k.last_used_at else "never",
                    "active" if k.active else "revoked/expired",
                    k.id,
                )
                for k in keys
            ],
        )


@app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `api-key list`).")],
    url: UrlOption = None,
) -> None:
    """Revoke a key; it stops working at once."""
    with connection.connect(url) as client:
        client.api_keys.revoke(key_id)
    say(f"Revoked API key {key_id}")
