"""How issues read in the terminal: who they are assigned to, their labels, what an update
changed, and their Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from praisonai_platform.client.models import Issue

if TYPE_CHECKING:
    from rich.markdown import Markdown


def differences(before: Issue, after: Issue, names: dict[str, str]) -> str:
    """`: status todo → done, assignee ada → -`, or ` (no change)`."""
    changed = [
        f"{field} {_plain(getattr(before, field))} → {_plain(getattr(after, field))}"
        for field in ("status", "priority", "title")
        if getattr(before, field) != getattr(after, field)
    ]
    if before.assignee_id != after.assignee_id:
        old, new = assignee_name(before, names) or "-", assignee_name(after, names) or "-"
        changed.append(f"assignee {old} → {new}")
    changed += [
        field.removesuffix("_id")
        for field in ("description", "project_id")
        if getattr(before, field) != getattr(after, field)
    ]
    return ": " + ", ".join(changed) if changed else " (no change)"


def _plain(value: Any) -> str:
    return "-" if value is None else str(getattr(value, "value", value))


def assignee_name(issue: Issue, names: dict[str, str]) -> str | None:
    if issue.assignee_id is None:
        return None
    return names.get(issue.assignee_id, issue.assignee_id)


def label_names(issue: Issue) -> str | None:
    """`bug, docs`, or None for an issue without labels."""
    return ", ".join(label.name for label in issue.labels) or None


def markdown(text: str) -> Markdown:
    """Descriptions and comments as rendered Markdown. The text is parsed as Markdown only,
    never as rich markup, so brackets people type are printed as they are."""
    # Imported here: the Markdown parser is a tenth of every command's start-up, and only
    # `issue show` needs it.
    from rich.markdown import Markdown

    return Markdown(text, hyperlinks=False)
