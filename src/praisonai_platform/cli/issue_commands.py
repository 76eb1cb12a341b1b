"""`praisonai-platform issue list | create | show | update | comment | close`."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.text import Text

from praisonai_platform.cli import connection, lookups
from praisonai_platform.cli.issue_text import assignee_name, differences, label_names, markdown
from praisonai_platform.cli.options import JsonOption, UrlOption, WorkspaceOption
from praisonai_platform.cli.output import (
    CliError,
    console,
    print_fields,
    print_json,
    print_table,
    report,
    say,
    when,
)
from praisonai_platform.client import PlatformClient
from praisonai_platform.client.models import Issue

app = typer.Typer(help="Issues, addressed by key (ENG-42).", no_args_is_help=True)

KeyArgument = Annotated[str, typer.Argument(help="The issue's key, e.g. ENG-42.")]
StatusOption = Annotated[
    str | None,
    typer.Option(
        "--status", "-s", help="backlog, todo, in-progress, in-review, blocked, done, cancelled"
    ),
]
PriorityOption = Annotated[
    str | None, typer.Option("--priority", "-p", help="none, low, medium, high, urgent")
]
AssigneeOption = Annotated[
    str | None,
    typer.Option(
        "--assignee", "-a", help="me, none, or a member's email or name or an agent's name"
    ),
]
ProjectOption = Annotated[str | None, typer.Option("--project", help="Project name or id.")]
TitleOption = Annotated[str | None, typer.Option("--title", "-t")]
DescriptionOption = Annotated[str | None, typer.Option("--description", "-d")]


@app.command("list")
def list_issues(
    workspace: WorkspaceOption = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", "-s", help="Repeat for any of several.")
    ] = None,
    priority: Annotated[list[str] | None, typer.Option("--priority", "-p")] = None,
    assignee: AssigneeOption = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", "-l", help="Label name; repeatable.")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Text in the title or description.")
    ] = None,
    project: ProjectOption = None,
    sort: Annotated[
        str, typer.Option(help="number, created_at, updated_at, priority; '-' first: descending")
    ] = "number",
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many to show.")] = 50,
    every: Annotated[bool, typer.Option("--all", help="Show every match.")] = False,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Issues of a workspace, filtered."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        filters: dict[str, Any] = {
            "status": status,
            "priority": priority,
            "label": label,
            "q": search,
            "sort": sort,
        }
        if assignee is not None:
            filters["assignee_id"] = (
                "none"
                if assignee.strip().lower() == "none"
                else lookups.assignee(client, found.id, assignee)[0]
            )
        if project is not None:
            filters["project_id"] = lookups.project_id(client, found.id, project)
        if every:
            issues, total = list(client.issues.iter(found.id, **filters)), None
        else:
            page = client.issues.list(found.id, limit=limit, **filters)
            issues, total = page.items, page.total
        if json:
            print_json(issues)
            return
        names = (
            lookups.display_names(client, found.id) if any(i.assignee_id for i in issues) else {}
        )
    if not issues:
        say(f"No issues in {found.slug} match.")
        return
    print_table(
        ["KEY", "STATUS", "PRIORITY", "TITLE", "ASSIGNEE", "LABELS"],
        [
            (
                i.identifier,
                i.status.value,
                i.priority.value,
                i.title,
                assignee_name(i, names),
                label_names(i),
            )
            for i in issues
        ],
    )
    if total is not None and total > len(issues):
        console.print(f"[dim]{len(issues)} of {total}; --all or --limit for more[/dim]")


@app.command("create")
def create_issue(
    title: Annotated[str, typer.Argument(help="What needs doing.")],
    workspace: WorkspaceOption = None,
    description: DescriptionOption = None,
    status: StatusOption = None,
    priority: PriorityOption = None,
    assignee: AssigneeOption = None,
    project: ProjectOption = None,
    label: Annotated[list[str] | None, typer.Option("--label", "-l", help="Repeatable.")] = None,
    parent: Annotated[str | None, typer.Option(help="Parent issue key (sub-issue).")] = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Create an issue; it gets the workspace's next key."""
    with connection.connect(url) as client:
        found = connection.workspace(client, workspace)
        assigned = lookups.assignee(client, found.id, assignee) if assignee else (None, None)
        label_ids = lookups.label_ids(client, found.id, label or [])
        issue = client.issues.create(
            found.id,
            title,
            description=description,
            status=status,
            priority=priority,
            assignee_id=assigned[0],
            assignee_type=assigned[1],
            project_id=lookups.project_id(client, found.id, project) if project else None,
            parent_issue_id=parent,
        )
        for label_id in label_ids:
            client.issues.add_label(found.id, issue.id, label_id)
        if label_ids:
            issue = client.issues.get(found.id, issue.id)  # with the labels just attached
    report(issue, f"Created {issue.identifier}: {issue.title}", as_json=json)


@app.command("show")
def show_issue(
    key: KeyArgument,
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """An issue with its labels and comments."""
    with connection.connect(url) as client:
        issue = connection.issue(client, key, workspace)
        comments = list(client.comments.iter(issue.workspace_id, issue.id))
        if json:
            # The labels in full (description, timestamps), as this command has always printed.
            labels = list(client.issues.labels(issue.workspace_id, issue.id, limit=200))
            print_json({**issue.model_dump(mode="json"), "labels": labels, "comments": comments})
            return
        names = lookups.display_names(client, issue.workspace_id)
    console.print(Text.assemble((issue.identifier, "bold"), "  ", issue.title))
    print_fields(
        [
            ("status", issue.status.value),
            ("priority", issue.priority.value),
            ("assignee", assignee_name(issue, names)),
            ("labels", label_names(issue)),
            ("created", issue.created_at),
            ("updated", issue.updated_at),
        ]
    )
    if issue.description:
        say("")
        console.print(markdown(issue.description))
    for comment in comments:
        author = names.get(comment.author_id or "", comment.author_id or "system")
        say("")
        console.print(Text.assemble((author, "bold"), " ", (when(comment.created_at), "dim")))
        console.print(markdown(comment.content))


@app.command("update")
def update_issue(
    key: KeyArgument,
    workspace: WorkspaceOption = None,
    title: TitleOption = None,
    description: DescriptionOption = None,
    status: StatusOption = None,
    priority: PriorityOption = None,
    assignee: AssigneeOption = None,
    project: Annotated[str | None, typer.Option(help="Project name or id; none to detach.")] = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Change an issue's fields; `--assignee none` unassigns."""
    with connection.connect(url) as client:
        issue = connection.issue(client, key, workspace)
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("title", title),
                ("description", description),
                ("status", status),
                ("priority", priority),
            )
            if value is not None
        }
        if assignee is not None:
            unassign = assignee.strip().lower() == "none"
            who = (
                (None, None) if unassign else lookups.assignee(client, issue.workspace_id, assignee)
            )
            changes["assignee_id"], changes["assignee_type"] = who
        if project is not None:
            detach = project.strip().lower() == "none"
            changes["project_id"] = (
                None if detach else lookups.project_id(client, issue.workspace_id, project)
            )
        if not changes:
            raise CliError("nothing to change: give --status, --priority, --title, --assignee, …")
        updated = client.issues.update(
            issue.workspace_id, issue.id, if_match=issue.version, **changes
        )
        names = (
            lookups.display_names(client, issue.workspace_id)
            if updated.assignee_id != issue.assignee_id
            else {}
        )
    _report(updated, json, f"Updated {updated.identifier}{differences(issue, updated, names)}")


@app.command("comment")
def comment_issue(
    key: KeyArgument,
    text: Annotated[str, typer.Argument(help="The comment; - reads it from standard input.")],
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Comment on an issue."""
    content = sys.stdin.read() if text == "-" else text
    with connection.connect(url) as client:
        issue = connection.issue(client, key, workspace)
        comment = client.comments.create(issue.workspace_id, issue.id, content)
    report(comment, f"Commented on {issue.identifier}", as_json=json)


@app.command("close")
def close_issue(
    key: KeyArgument,
    cancel: Annotated[bool, typer.Option("--cancel", help="Close as cancelled, not done.")] = False,
    comment: Annotated[str | None, typer.Option("--comment", "-m", help="Say why.")] = None,
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Close an issue as done (or cancelled)."""
    with connection.connect(url) as client:
        issue = connection.issue(client, key, workspace)
        if comment:
            client.comments.create(issue.workspace_id, issue.id, comment)
        closed = _close(client, issue, "cancelled" if cancel else "done")
    _report(closed, json, f"Closed {closed.identifier} ({closed.status.value})")


def _close(client: PlatformClient, issue: Issue, status: str) -> Issue:
    if issue.status.value == status:
        return issue
    return client.issues.update(issue.workspace_id, issue.id, status=status, if_match=issue.version)


def _report(issue: Issue, json: bool, message: str) -> None:
    report(issue, message, as_json=json)
