"""Who may put whom into a workspace (PLATFORM_DIRECT_MEMBERSHIP, PLATFORM_INVITATION_*)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load

# The API dialect under which adding a member by user_id always works, as it did there.
COMPAT_DIRECT_MEMBERSHIP = frozenset({"0.1.9"})


class MembershipSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLATFORM_", case_sensitive=False, extra="ignore")

    direct_membership: bool = Field(
        default=False,
        description="Let workspace admins add an existing user by `user_id` at once, without "
        "an invitation the user accepts. Only for closed servers whose users all belong to one "
        "team; off, people join only by accepting an invitation to their email.",
    )
    invitation_ttl_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="Days an invitation can be accepted; inviting the same email again while "
        "it is pending renews it.",
    )

    @property
    def invitation_ttl(self) -> timedelta:
        return timedelta(days=self.invitation_ttl_days)


def load_membership_settings() -> MembershipSettings:
    """Read PLATFORM_DIRECT_MEMBERSHIP and PLATFORM_INVITATION_*; a bad value raises
    ConfigurationError naming the variable."""
    return load(MembershipSettings)


def direct_membership_allowed(settings: MembershipSettings, compat: str | None = None) -> bool:
    """Whether members may be added by `user_id` without their consent: where the operator
    allows it, and always under an API dialect that did so (`compat`, e.g. "0.1.9")."""
    return settings.direct_membership or compat in COMPAT_DIRECT_MEMBERSHIP
