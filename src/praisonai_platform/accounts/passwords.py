"""Password hashing with argon2id. Hashing runs off the event loop: it is deliberately slow."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A real hash of nothing anyone knows: verified against when the email is unknown, so an
    unknown email costs the same time as a wrong password."""
    return _hasher().hash("decoy password that matches no account")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher().hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash (unknown user, OAuth-only user) burn the same time."""
    if password_hash is None:
        await asyncio.to_thread(_hasher().verify, password, _decoy_hash())
        return False
    return await asyncio.to_thread(_hasher().verify, password, password_hash)


def warm_up() -> None:
    """Compute the decoy hash at start-up rather than inside the first failed login."""
    _decoy_hash()
