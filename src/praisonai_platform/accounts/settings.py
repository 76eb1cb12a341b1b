"""Accounts: password policy, email verification, what unverified accounts may do, and how
account mail is sent (PLATFORM_PASSWORD_*, PLATFORM_UNVERIFIED_ACCOUNTS, PLATFORM_SMTP_*, …)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from praisonai_platform.core.settings import load

# The API dialects whose clients expect a token from registration: there, unless the operator
# says otherwise, a new email is signed in at once (and the answer tells it from a taken one).
COMPAT_REGISTRATION_SIGNS_IN = frozenset({"0.1.9"})


class AccountSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLATFORM_", case_sensitive=False, extra="ignore", populate_by_name=True
    )

    # Field names avoid "password": the configuration reference treats such names as secrets.
    min_length: int = Field(
        default=MIN_PASSWORD_LENGTH,
        validation_alias=AliasChoices("PLATFORM_PASSWORD_MIN_LENGTH", "min_length"),
        ge=1,
        le=MAX_PASSWORD_LENGTH,
        description="Fewest characters of a new password. At the default (8) or more, the "
        "10,000 most common passwords are refused too; below it (down to 1, as 0.1.9 "
        "accepted) they are accepted like any other.",
    )
    unverified_accounts: Literal["allow", "restrict"] = Field(
        default="allow",
        description="What an account whose email is not verified yet may do. `allow`: "
        "everything. `restrict`: sign in, read, and manage its own sign-in (everything under "
        "/api/v1/auth), but no other change (no workspaces, issues, runs or API keys) until "
        "the email is verified; refused with 403 `email_not_verified`.",
    )
    registration_signs_in: bool | None = Field(
        default=None,
        description="Whether registering a new email answers 201 with a token at once. Unset "
        "(auto): no, except in praisonai-platform 0.1.9's dialect (`PLATFORM_API_COMPAT=0.1.9`), "
        "whose clients expect the token. No (`false`): every registration answers 202 with the "
        "same body, whether or not the email has an account; the new account signs in with "
        "its password, and nothing reveals which emails have accounts. Yes (`true`): a new "
        "email answers 201 with a token, a taken one 202 (its owner is mailed), so the "
        "answer tells new emails from taken ones.",
    )
    email_link_base_url: str | None = Field(
        default=None,
        description="The address people reach the server at, e.g. https://tracker.example.com; "
        "links in account mails start with it. Unset: mails carry the token and the path only "
        "(never the request's Host header, which a client chooses).",
    )
    email_verification_ttl_seconds: int = Field(
        default=172_800,
        ge=300,
        le=30 * 86_400,
        description="How long an email verification link works.",
    )
    reset_link_ttl_seconds: int = Field(
        default=3_600,
        ge=300,
        le=86_400,
        validation_alias=AliasChoices(
            "PLATFORM_PASSWORD_RESET_TTL_SECONDS", "reset_link_ttl_seconds"
        ),
        description="How long a password reset link works.",
    )
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server that sends account mail (verification, password reset). "
        "Unset: each mail is written to the server log instead.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65_535, description="Port of the SMTP server.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="`starttls` (port 587), `tls` (implicit TLS, port 465) or `none`.",
    )
    smtp_username: str | None = Field(
        default=None, description="SMTP user name; unset: no authentication."
    )
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_from: str = Field(
        default="praisonai-platform <no-reply@localhost>",
        description="The From address of account mail.",
    )
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Timeout of each SMTP conversation."
    )

    @field_validator("email_link_base_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")


def load_account_settings() -> AccountSettings:
    return load(AccountSettings)


def registration_signs_in(settings: AccountSettings, compat: str | None = None) -> bool:
    """Whether registering a new email answers with a token: as the operator set it, else only
    under an API dialect whose clients expect one (`compat`, e.g. "0.1.9")."""
    if settings.registration_signs_in is not None:
        return settings.registration_signs_in
    return compat in COMPAT_REGISTRATION_SIGNS_IN
