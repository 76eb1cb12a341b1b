"""`praisonai-platform login | register | logout | whoami`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from praisonai_platform.cli import session_store
from praisonai_platform.cli.connection import connect
from praisonai_platform.cli.options import JsonOption, UrlOption
from praisonai_platform.cli.output import (
    CliError,
    need_a_terminal,
    print_fields,
    print_json,
    say,
)
from praisonai_platform.cli.settings import load_client_settings
from praisonai_platform.client.models import Session

EmailOption = Annotated[
    str | None, typer.Option("--email", "-e", help="Your email address (asked for when omitted).")
]
PasswordStdinOption = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (for scripts)."),
]


def login(
    email: EmailOption = None,
    password_stdin: PasswordStdinOption = False,
    url: UrlOption = None,
) -> None:
    """Sign in and keep the token in your config directory (readable by you only).

    The password comes from --password-stdin, else PLATFORM_PASSWORD, else a prompt."""
    address = _email(email)
    password = _password(password_stdin, confirm=False)
    with connect(url, signed_in=False) as client:
        _remember(client.login(email=address, password=password), client.base_url)


def register(
    email: EmailOption = None,
    name: Annotated[str | None, typer.Option(help="Your user name (else from the email).")] = None,
    password_stdin: PasswordStdinOption = False,
    url: UrlOption = None,
) -> None:
    """Create an account (8 or more characters of password) and sign in.

    The password comes from --password-stdin, else PLATFORM_PASSWORD, else a prompt."""
    address = _email(email)
    password = _password(password_stdin, confirm=True)
    with connect(url, signed_in=False) as client:
        _remember(client.register(email=address, password=password, name=name), client.base_url)


def logout() -> None:
    """Forget the stored token."""
    path = session_store.session_path()
    say(f"Signed out (removed {path})" if session_store.clear() else "Not signed in.")


def whoami(url: UrlOption = None, json: JsonOption = False) -> None:
    """Show who you are signed in as, and where."""
    with connect(url) as client:
        user = client.me()
        if json:
            print_json({**user.model_dump(mode="json"), "url": client.base_url})
            return
        print_fields(
            [
                ("user", user.name),
                ("email", user.email),
                ("id", user.id),
                ("server", client.base_url),
            ]
        )


def _email(given: str | None) -> str:
    if given:
        return given
    need_a_terminal("no email: pass --email")
    return str(typer.prompt("Email"))


def _password(from_stdin: bool, *, confirm: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on standard input")
        return password
    configured = load_client_settings().password
    if configured is not None:
        return configured.get_secret_value()
    need_a_terminal(
        "no password: pass --password-stdin and write it to standard input, or set "
        "PLATFORM_PASSWORD"
    )
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm))


def _remember(session: Session, url: str) -> None:
    stored = session_store.StoredSession(url=url, token=session.token, email=session.user.email)
    path = session_store.save(stored)
    say(f"Signed in as {session.user.email} at {url} (token saved in {path})")
