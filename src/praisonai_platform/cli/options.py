"""Options shared by the client commands."""

from __future__ import annotations

from typing import Annotated

import typer

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="PLATFORM_URL",
        help="Server URL; else the URL you signed in to, else http://127.0.0.1:8000.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
WorkspaceOption = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar="PLATFORM_WORKSPACE",
        help="Workspace id, slug, issue prefix or name; else your only workspace, or the one "
        "an issue key's prefix names.",
        show_default=False,
    ),
]
