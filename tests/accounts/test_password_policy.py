"""The password policy on its own: length bounds, and the common-password list, which applies at
the default minimum or above and steps aside when an operator lowers it (as 0.1.9 allowed)."""

from __future__ import annotations

import pytest

from praisonai_platform.accounts import passwords
from praisonai_platform.core.errors import ValidationFailed


@pytest.mark.parametrize(
    ("password", "min_length", "code"),
    [
        ("sh0rt!", 8, "password_too_short"),
        ("Password1", 8, "password_too_common"),
        ("qwertyuiop", 10, "password_too_common"),
        ("x" * 1025, 1, "password_too_long"),
        ("", 1, "password_too_short"),
    ],
)
def test_refused(password: str, min_length: int, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        passwords.check_policy(password, min_length)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("password", "min_length"),
    [("correct horse battery", 8), ("pass", 1), ("testpass", 4), ("password", 7)],
)
def test_accepted(password: str, min_length: int) -> None:
    passwords.check_policy(password, min_length)
