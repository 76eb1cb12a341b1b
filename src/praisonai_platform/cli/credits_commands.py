"""`praisonai-platform credits …`: checks of the credit ledger, straight on the database."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from praisonai_platform.billing.service import Mismatch

app = typer.Typer(help="Check balances against the credit ledger.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Check that every balance equals the sum of its ledger; exit 1 listing any that do not."""
    checked, mismatches = asyncio.run(_verify())
    for mismatch in mismatches:
        typer.echo(
            f"{mismatch.user_id} {mismatch.email}: balance {mismatch.balance}, "
            f"ledger sum {mismatch.ledger_sum} (off by {mismatch.balance - mismatch.ledger_sum})"
        )
    if mismatches:
        typer.echo(
            f"{len(mismatches)} of {checked} balances differ from their ledger (micro-credits)",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"all {checked} balances equal their ledger")


async def _verify() -> tuple[int, list[Mismatch]]:
    from praisonai_platform.billing import service as credits
    from praisonai_platform.db import get_engine, reset_engine, session_scope

    get_engine()  # the database the environment names (DATABASE_URL, APP_DATABASE_*)
    try:
        async with session_scope(read_only=True) as session:
            return await credits.verify(session)
    finally:
        await reset_engine()
