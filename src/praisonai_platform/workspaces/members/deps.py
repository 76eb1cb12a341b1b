"""What the member and invitation routes share: the membership settings, and whether members
may be added directly."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from praisonai_platform.api.deps import app_setting
from praisonai_platform.workspaces.members.settings import (
    MembershipSettings,
    direct_membership_allowed,
    load_membership_settings,
)


async def get_membership_settings(request: Request) -> MembershipSettings:
    """PLATFORM_DIRECT_MEMBERSHIP and PLATFORM_INVITATION_*, read once per application."""
    return app_setting(request, "membership_settings", load_membership_settings)


async def get_direct_membership(request: Request) -> bool:
    """`app.state.direct_membership` (create_app sets it from the settings, and an API dialect
    that adds members directly may set it to True); else the setting alone."""
    state: Any = request.app.state
    flag = getattr(state, "direct_membership", None)
    if flag is None:
        flag = direct_membership_allowed(
            app_setting(request, "membership_settings", load_membership_settings)
        )
        state.direct_membership = flag
    return bool(flag)


MembershipConfig = Annotated[MembershipSettings, Depends(get_membership_settings)]
DirectMembership = Annotated[bool, Depends(get_direct_membership)]
