"""`praisonai-platform webhooks create | list | update | delete | deliveries | redeliver | ping`."""

from __future__ import annotations

from typing import Annotated

import typer

from praisonai_platform.cli import connection
from praisonai_platform.cli.options import JsonOption, UrlOption, WorkspaceOption
from praisonai_platform.cli.output import print_json, print_table, report, say, when
from praisonai_platform.client.calls import UNSET

app = typer.Typer(help="Outgoing webhooks of a workspace (admins).", no_args_is_help=True)

EventOption = Annotated[
    list[str] | None,
    typer.Option(
        "--event",
        "-e",
        help="An event type to send: `*` (all), `issue.created`, `issue.*`, …; repeat it for more.",
    ),
]
WebhookId = Annotated[str, typer.Argument(help="The webhook's id (see `webhooks list`).")]


@app.command("create")
def create_webhook(
    target: Annotated[str, typer.Argument(help="The URL to POST the events to.")],
    event: EventOption = None,
    description: Annotated[
        str | None, typer.Option("--description", "-d", help="What the webhook is for.")
    ] = None,
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Subscribe a URL to the workspace's events and print its signing secret (shown once)."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        created = client.webhooks.create(
            found.id, target, event_types=event or None, description=description
        )
    if json:
        print_json(created)
    else:
        say(f"Created webhook {created.id} in {found.slug}. Its signing secret (store it now):")
        typer.echo(created.secret)


@app.command("list")
def list_webhooks(
    workspace: WorkspaceOption = None, url: UrlOption = None, json: JsonOption = False
) -> None:
    """The workspace's webhooks."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        hooks = list(client.webhooks.iter(found.id))
    if json:
        print_json(hooks)
    elif not hooks:
        say(f"No webhooks in {found.slug}.")
    else:
        print_table(
            ["URL", "EVENTS", "STATUS", "FAILURES", "ID"],
            [
                (
                    h.url,
                    ",".join(h.event_types),
                    "active" if h.active else ("disabled" if h.disabled_reason else "off"),
                    h.consecutive_failures,
                    h.id,
                )
                for h in hooks
            ],
        )


@app.command("update")
def update_webhook(
    webhook_id: WebhookId,
    target: Annotated[str | None, typer.Option("--target", help="A new URL.")] = None,
    event: EventOption = None,
    description: Annotated[
        str | None, typer.Option("--description", "-d", help="What the webhook is for.")
    ] = None,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="Turn it on (again) or off.", show_default=False),
    ] = None,
    rotate_secret: Annotated[
        bool, typer.Option("--rotate-secret", help="Make a new signing secret and print it.")
    ] = False,
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Change a webhook: its URL, event types, description, on/off, or its secret."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        updated = client.webhooks.update(
            found.id,
            webhook_id,
            url=target if target is not None else UNSET,
            event_types=event if event else UNSET,
            description=description if description is not None else UNSET,
            active=active if active is not None else UNSET,
            rotate_secret=rotate_secret,
        )
    if json:
        print_json(updated)
        return
    say(f"Updated webhook {updated.id} ({'active' if updated.active else 'off'})")
    if updated.secret:
        say("Its new signing secret (store it now):")
        typer.echo(updated.secret)


@app.command("delete")
def delete_webhook(
    webhook_id: WebhookId, workspace: WorkspaceOption = None, url: UrlOption = None
) -> None:
    """Delete a webhook and its delivery log."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        client.webhooks.delete(found.id, webhook_id)
    say(f"Deleted webhook {webhook_id}")


@app.command("deliveries")
def list_deliveries(
    webhook_id: WebhookId,
    state: Annotated[
        str | None, typer.Option(help="pending, in_flight, succeeded, failed or dead.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many, newest first.")] = 20,
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """A webhook's latest deliveries: state, attempts, status code and error."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        page = client.webhooks.deliveries(found.id, webhook_id, state=state, limit=limit)
    deliveries = list(page)
    if json:
        print_json(deliveries)
    elif not deliveries:
        say("No deliveries.")
    else:
        print_table(
            ["ID", "EVENT", "STATE", "ATTEMPTS", "STATUS", "ERROR", "QUEUED"],
            [
                (
                    d.id,
                    d.event_type,
                    d.state,
                    d.attempts,
                    d.last_status_code,
                    d.last_error,
                    when(d.created_at),
                )
                for d in deliveries
            ],
        )


@app.command("redeliver")
def redeliver(
    webhook_id: WebhookId,
    delivery_id: Annotated[int, typer.Argument(min=1, help="The delivery to send again.")],
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Send a delivery's body again, as a new delivery."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        delivery = client.webhooks.redeliver(found.id, webhook_id, delivery_id)
    report(delivery, f"Queued delivery {delivery.id} ({delivery.event_type})", as_json=json)


@app.command("ping")
def ping(
    webhook_id: WebhookId,
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Queue a `webhook.ping` delivery to test the receiver."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        delivery = client.webhooks.ping(found.id, webhook_id)
    report(delivery, f"Queued ping delivery {delivery.id}", as_json=json)
