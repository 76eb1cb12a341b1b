"""Names people type, turned into the ids the API wants: assignees, labels, projects."""

from __future__ import annotations

from praisonai_platform.cli.output import CliError
from praisonai_platform.client import PlatformClient


def assignee(client: PlatformClient, workspace_id: str, value: str) -> tuple[str, str]:
    """(id, "user" | "agent") for `me`, a member's id, email or name, or an agent's id or name."""
    wanted = value.strip()
    if wanted.lower() == "me":
        return client.me().id, "user"
    for member in client.members.iter(workspace_id):
        if wanted in (member.user_id, member.name) or wanted.lower() == member.email.lower():
            return member.user_id, "user"
    for agent in client.agents.iter(workspace_id):
        if wanted in (agent.id, agent.name):
            return agent.id, "agent"
    raise CliError(f"no member or agent {wanted!r} in this workspace")


def label_ids(client: PlatformClient, workspace_id: str, names: list[str]) -> list[str]:
    if not names:
        return []
    labels = {label.name.lower(): label.id for label in client.labels.iter(workspace_id)}
    ids = {label_id: label_id for label_id in labels.values()}
    missing = [name for name in names if name.lower() not in labels and name not in ids]
    if missing:
        known = ", ".join(sorted(labels)) or "none yet"
        raise CliError(f"no label {', '.join(missing)} in this workspace (labels: {known})")
    return [labels.get(name.lower()) or name for name in names]


def project_id(client: PlatformClient, workspace_id: str, value: str) -> str:
    wanted = value.strip()
    for project in client.projects.iter(workspace_id):
        if wanted == project.id or wanted.lower() == project.name.lower():
            return project.id
    raise CliError(f"no project {wanted!r} in this workspace")


def display_names(client: PlatformClient, workspace_id: str) -> dict[str, str]:
    """Member and agent names by id, for showing who issues are assigned to."""
    names = {member.user_id: member.name for member in client.members.iter(workspace_id)}
    names.update({agent.id: agent.name for agent in client.agents.iter(workspace_id)})
    return names
