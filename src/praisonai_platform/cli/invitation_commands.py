"""`praisonai-platform invitation list | accept | decline | send | sent | revoke`."""

from __future__ import annotations

from typing import Annotated

import typer

from praisonai_platform.cli import connection
from praisonai_platform.cli.options import JsonOption, UrlOption, WorkspaceOption
from praisonai_platform.cli.output import print_json, print_table, report, say, when

app = typer.Typer(
    help="Invitations: join workspaces you are invited to; invite people to yours.",
    no_args_is_help=True,
)

RoleOption = Annotated[
    str, typer.Option("--role", help="member, admin or owner (owners invite admins and owners).")
]


@app.command("list")
def list_invitations(url: UrlOption = None, json: JsonOption = False) -> None:
    """Invitations waiting for your answer."""
    with connection.connect(url) as client:
        received = list(client.invitations.iter())
    if json:
        print_json(received)
    elif not received:
        say("No invitations waiting for you.")
    else:
        print_table(
            ["WORKSPACE", "ROLE", "FROM", "EXPIRES", "ID"],
            [
                (i.workspace_name, i.role.value, i.invited_by_name or "", when(i.expires_at), i.id)
                for i in received
            ],
        )


@app.command("accept")
def accept_invitation(
    invitation: Annotated[str, typer.Argument(help="The invitation's id (see `list`).")],
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Join the workspace you were invited to."""
    with connection.connect(url) as client:
        member = client.invitations.accept(invitation)
    report(member, f"Joined workspace {member.workspace_id} as {member.role.value}.", as_json=json)


@app.command("decline")
def decline_invitation(
    invitation: Annotated[str, typer.Argument(help="The invitation's id (see `list`).")],
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Say no to an invitation."""
    with connection.connect(url) as client:
        declined = client.invitations.decline(invitation)
    report(declined, "Declined.", as_json=json)


@app.command("send")
def send_invitation(
    email: Annotated[str, typer.Argument(help="Whom to invite.")],
    role: RoleOption = "member",
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Invite an email to a workspace; the person joins when they accept."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        sent = client.invitations.create(found.id, email, role=role)
    report(
        sent,
        f"Invited {sent.email} to {found.name} as {sent.role.value} (id {sent.id}).",
        as_json=json,
    )


@app.command("sent")
def list_sent(
    status: Annotated[
        str | None, typer.Option(help="pending, accepted, declined or revoked.")
    ] = None,
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """A workspace's invitations (admins)."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        invitations = list(client.invitations.iter_for_workspace(found.id, status=status))
    if json:
        print_json(invitations)
    elif not invitations:
        say("No invitations.")
    else:
        print_table(
            ["EMAIL", "ROLE", "STATUS", "SENT", "ID"],
            [
                (i.email, i.role.value, i.status.value, when(i.created_at), i.id)
                for i in invitations
            ],
        )


@app.command("revoke")
def revoke_invitation(
    invitation: Annotated[str, typer.Argument(help="The invitation's id (see `sent`).")],
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Withdraw a pending invitation (admins)."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        revoked = client.invitations.revoke(found.id, invitation)
    report(revoked, f"Revoked the invitation of {revoked.email}.", as_json=json)
