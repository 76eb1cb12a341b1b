"""`praisonai-platform login | register | logout | whoami | password | reset-password |
verify-email | resend-verification`."""

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
from praisonai_platform.client import AuthenticationError
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

    A verification link is mailed to the address. If signing in with this password fails (the
    address may already have an account), says so and exits with status 1.
    The password comes from --password-stdin, else PLATFORM_PASSWORD, else a prompt."""
    address = _email(email)
    password = _password(password_stdin, confirm=True)
    with connect(url, signed_in=False) as client:
        _remember(client.register(email=address, password=password, name=name), client.base_url)


def logout(
    url: UrlOption = None,
    local: Annotated[
        bool, typer.Option("--local", help="Only forget the token; do not tell the server.")
    ] = False,
) -> None:
    """Sign out: the server ends every session of your account (API keys stay), and the stored
    token is forgotten."""
    stored = session_store.load()
    if stored is not None and not local:
        try:
            with connect(url or stored.url) as client:
                client.logout()
        except AuthenticationError:
            pass  # the token had stopped working already
        except CliError:
            pass  # signed in elsewhere: nothing to end here
    path = session_store.session_path()
    say(f"Signed out (removed {path})" if session_store.clear() else "Not signed in.")


def password(
    revoke_api_keys: Annotated[
        bool, typer.Option("--revoke-api-keys", help="Also revoke every API key of yours.")
    ] = False,
    url: UrlOption = None,
) -> None:
    """Change your password: every other session ends; this one continues with a new token.

    Asks for the current and the new password (PLATFORM_PASSWORD is not used here)."""
    need_a_terminal("changing a password needs a terminal to ask for both passwords")
    current = str(typer.prompt("Current password", hide_input=True))
    new = str(typer.prompt("New password", hide_input=True, confirmation_prompt=True))
    with connect(url) as client:
        _remember(
            client.change_password(current, new, revoke_api_keys=revoke_api_keys),
            client.base_url,
        )


def reset_password(
    email: EmailOption = None,
    token: Annotated[
        str | None,
        typer.Option("--token", help="The token from the reset mail: choose the new password."),
    ] = None,
    password_stdin: PasswordStdinOption = False,
    url: UrlOption = None,
) -> None:
    """Forgot your password? Without --token: mail a reset link to --email. With --token (from
    that mail): choose a new password, end every session and sign in."""
    with connect(url, signed_in=False) as client:
        if token is None:
            accepted = client.request_password_reset(_email(email))
            say(accepted.detail)
            return
        new = _password(password_stdin, confirm=True)
        _remember(client.reset_password(token, new), client.base_url)


def verify_email(
    token: Annotated[str, typer.Argument(help="The token from the verification mail.")],
    url: UrlOption = None,
) -> None:
    """Verify your email address with the token from the verification mail."""
    with connect(url, signed_in=False) as client:
        user = client.verify_email(token)
    say(f"Verified {user.email}")


def resend_verification(url: UrlOption = None) -> None:
    """Mail a new verification link to your address."""
    with connect(url) as client:
        say(client.resend_verification().detail)


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
