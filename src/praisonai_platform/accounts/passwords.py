"""Password hashing with argon2id, and the password policy.

Hashing is deliberately slow (~250 ms and 64 MiB each). It runs off the event loop, and at most
one hash per CPU runs at a time in a process: a flood of sign-ins queues here instead of
exhausting memory and threads, and never while a database transaction is open (callers hash
before they open one).
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from praisonai_platform.core.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
# How many of the most common passwords (zxcvbn's ranked list) are refused.
COMMON_PASSWORDS = 10_000

T = TypeVar("T")
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def concurrency() -> int:
    """Hashes that may run at once in one process: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _semaphore() -> asyncio.Semaphore:
    # One per event loop: an asyncio primitive belongs to the loop it first waited on.
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(concurrency())
    return slots


async def _bounded(work: Callable[..., T], *args: object) -> T:
    async with _semaphore():
        return await asyncio.to_thread(work, *args)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A real hash of nothing anyone knows: verified against when the email is unknown, so an
    unknown email costs the same time as a wrong password."""
    return _hasher().hash("decoy password that matches no account")


async def hash_password(password: str) -> str:
    return await _bounded(_hasher().hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash (unknown user, OAuth-only user) burn the same time."""
    if password_hash is None:
        await _bounded(_hasher().verify, password, _decoy_hash())
        return False
    return await _bounded(_hasher().verify, password, password_hash)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The most common passwords, ranked by zxcvbn's maintainers; loaded on first use."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_PASSWORDS])


def check_policy(password: str, min_length: int = MIN_PASSWORD_LENGTH) -> None:
    """Refuse (422) a password that is too short, too long or, unless the minimum was lowered
    below the default, among the 10,000 most common ones."""
    if len(password) < min_length:
        raise ValidationFailed(
            f"a password has at least {min_length} characters", code="password_too_short"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"a password has at most {MAX_PASSWORD_LENGTH} characters", code="password_too_long"
        )
    # An operator who lowers the minimum below the default (for 0.1.9's clients, say) accepts
    # weak passwords, and the common ones with them.
    if min_length >= MIN_PASSWORD_LENGTH and password.lower() in _common_passwords():
        raise ValidationFailed(
            "this password is among the most common ones; choose another",
            code="password_too_common",
        )


def warm_up() -> None:
    """Compute the decoy hash at start-up rather than inside the first failed login."""
    _decoy_hash()
