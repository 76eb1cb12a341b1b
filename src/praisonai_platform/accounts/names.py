"""The user name a person chooses when registering."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.accounts.service import MAX_NAME_LENGTH
from praisonai_platform.core.errors import Conflict, ValidationFailed
from praisonai_platform.db.models import User


async def check_chosen_name(session: AsyncSession, name: str | None) -> None:
    """Refuse a chosen name that registration would refuse (422 `invalid_name`, 409
    `name_taken`). Registration checks it before it looks the email up, so the answer about
    a name is the same whether or not the email has an account."""
    if not name:  # none chosen: one is derived from the email
        return
    chosen = name.strip()
    if not chosen or len(chosen) > MAX_NAME_LENGTH:
        raise ValidationFailed("a name has 1 to 200 characters", code="invalid_name")
    if await session.scalar(select(User.id).where(User.name == chosen)):
        raise Conflict("this name is taken", code="name_taken")
