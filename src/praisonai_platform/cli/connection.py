"""From command-line options to a signed-in client, a workspace and an issue."""

from __future__ import annotations

from collections.abc import Callable

from praisonai_platform.cli import session_store
from praisonai_platform.cli.output import CliError
from praisonai_platform.cli.settings import load_client_settings
from praisonai_platform.client import NotFound, PlatformClient
from praisonai_platform.client.models import Issue, Workspace
from praisonai_platform.client.transport import DEFAULT_URL, resolve_base_url


def server_url(url: str | None) -> str:
    """--url / PLATFORM_URL, else the URL signed in to, else the default."""
    if url:
        return resolve_base_url(url)
    stored = session_store.load()
    return resolve_base_url(stored.url if stored else DEFAULT_URL)


def connect(url: str | None, *, signed_in: bool = True) -> PlatformClient:
    """A client for the server; with the stored token when it was issued by that server
    (PLATFORM_TOKEN, when set, wins)."""
    base_url = server_url(url)
    stored = session_store.load()
    token = stored.token if stored and resolve_base_url(stored.url) == base_url else None
    if load_client_settings().token is not None:
        token = None  # the client takes it from the environment
    client = PlatformClient(base_url=base_url, token=token if signed_in else "")
    if signed_in and client.token is None and client.api_key is None:
        client.close()
        elsewhere = f" (you are signed in at {stored.url})" if stored else ""
        raise CliError(f"not signed in at {base_url}{elsewhere}: run `praisonai-platform login`")
    return client


def workspace(client: PlatformClient, reference: str | None) -> Workspace:
    """The workspace named by id, slug, issue prefix or name; without one, your only one."""
    mine = list(client.workspaces.iter())
    if reference is None:
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise CliError(
                "you have no workspace yet: create one with `praisonai-platform workspace create`"
            )
        raise CliError(
            "you have several workspaces: choose one with --workspace or PLATFORM_WORKSPACE "
            f"({_names(mine)})"
        )
    wanted = reference.strip()
    keys: list[Callable[[Workspace], bool]] = [
        lambda w: w.id == wanted,
        lambda w: w.slug == wanted.lower(),
        lambda w: w.issue_prefix == wanted.upper(),
        lambda w: w.name.lower() == wanted.lower(),
    ]
    for matches in keys:
        found = [w for w in mine if matches(w)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CliError(f"{wanted!r} names several workspaces; use the id or slug")
    raise CliError(f"no workspace {wanted!r} among yours ({_names(mine) or 'none'})")


def issue(client: PlatformClient, key: str, workspace_reference: str | None) -> Issue:
    """An issue by key (ENG-42) or id: in the given workspace, else found by its prefix."""
    try:
        if workspace_reference is not None:
            return client.issues.get(workspace(client, workspace_reference).id, key)
        return client.issues.get_by_key(key)
    except NotFound:
        raise CliError(f"no issue {key} in your workspaces") from None


def _names(workspaces: list[Workspace]) -> str:
    return ", ".join(w.slug for w in workspaces)
