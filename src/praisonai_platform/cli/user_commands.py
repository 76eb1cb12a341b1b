"""`praisonai-platform user …`: accounts made straight in the database, such as the first admin."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import typer

from praisonai_platform.cli.output import CliUsageError, need_a_terminal
from praisonai_platform.core.errors import NotFound, PlatformError, ValidationFailed

if TYPE_CHECKING:
    from praisonai_platform.db.models import User

# The database layer is imported inside the functions: other commands start faster without it.

app = typer.Typer(help="Manage accounts directly in the database.", no_args_is_help=True)

DatabaseOption = typer.Option(None, "--database-url", help="Database URL; overrides DATABASE_URL.")


@app.command()
def create(
    email: str = typer.Option(..., help="Email address; the user signs in with it."),
    name: str | None = typer.Option(None, help="User name; derived from the email when left out."),
    password: str | None = typer.Option(
        None,
        envvar="PLATFORM_USER_PASSWORD",
        help="Password (8 to 1024 characters); asked for, unseen, when left out.",
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
    admin: bool = typer.Option(False, "--admin", help="May sign in to the admin UI at /admin."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Create a user (with --admin: an administrator)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliUsageError("no password on standard input")
    elif password is None:
        need_a_terminal(
            "no password: pass --password-stdin and write it to standard input, or set "
            "PLATFORM_USER_PASSWORD"
        )
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = _run(_create(database_url, email=email, name=name, password=password, admin=admin))
    role = "admin" if user.is_admin else "user"
    typer.echo(f"created {role} {user.name} <{user.email}> (id {user.id})")


@app.command()
def promote(
    email: str = typer.Argument(..., help="Email address of an existing user."),
    revoke: bool = typer.Option(False, "--revoke", help="Take the admin right away instead."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Make an existing user an administrator (or, with --revoke, no longer one)."""
    user = _run(_set_admin(database_url, email, not revoke))
    typer.echo(f"{user.name} <{user.email}> is {'an admin' if user.is_admin else 'not an admin'}")


def _run(work: Coroutine[Any, Any, User]) -> User:
    try:
        return asyncio.run(work)
    except PlatformError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None


async def _create(
    database_url: str | None, *, email: str, name: str | None, password: str, admin: bool
) -> User:
    from praisonai_platform.accounts import service as users
    from praisonai_platform.db import reset_engine, session_scope

    try:
        _open(database_url)
        async with session_scope() as session:
            # The operator vouches for the address: no verification mail is needed.
            return await users.register(
                session,
                email=email,
                password=password,
                name=name,
                is_admin=admin,
                email_verified=True,
            )
    finally:
        await reset_engine()


async def _set_admin(database_url: str | None, email: str, is_admin: bool) -> User:
    from sqlalchemy import select

    from praisonai_platform.accounts import service as users
    from praisonai_platform.db import reset_engine, session_scope
    from praisonai_platform.db.models import User

    try:
        _open(database_url)
        async with session_scope() as session:
            user = await session.scalar(
                select(User).where(User.email == users.normalise_email(email))
            )
            if user is None:
                raise NotFound(f"no user with the email {email}")
            user.is_admin = is_admin
            return user
    finally:
        await reset_engine()


def _open(database_url: str | None) -> None:
    from praisonai_platform.db import get_engine, get_settings

    get_engine(database_url)
    if get_settings().is_memory_sqlite:
        raise ValidationFailed(
            "no database configured: set DATABASE_URL (or pass --database-url) to the server's "
            "database"
        )
