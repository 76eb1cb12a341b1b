"""Options shared by the client commands."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

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


class PlainHelpGroup(TyperGroup):
    """The root command group. Its help, and its sub-commands', shows TEXT, INTEGER or [a|b]
    beside an option that takes a value and nothing beside a flag or an argument, where Typer
    would show type tags such as `<str>`, `<bool>` or `<list[str]>`."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        _plain_metavars(self)
        return super().main(*args, **kwargs)


# Typer's type names, as click has always shown them.
_LABELS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "int range": "INTEGER"}


def _plain_metavars(command: Any) -> None:
    context = typer.Context(command, **command.context_settings)
    # The help option is made on first use, and then kept: make it now, to reach it.
    help_option = command.get_help_option(context)
    for param in [*command.params, *([help_option] if help_option else [])]:
        if param.metavar is not None:
            continue
        if param.param_type_name == "argument":
            # An argument's name is its label; setting a metavar would rename it in usage.
            param.display_type_rich = _no_type_tag
        elif param.is_flag:
            param.metavar = ""
        else:
            param.metavar = _metavar(param.display_type(context))
    for child in getattr(command, "commands", {}).values():
        _plain_metavars(child)


def _metavar(tag: str) -> str:
    label = tag.strip("<>")
    if label.startswith("list[") and label.endswith("]"):
        label = label[len("list[") : -1]
    if "|" in label:
        return f"[{label}]"
    return _LABELS.get(label, label.upper())


def _no_type_tag(ctx: Any) -> None:
    return None
