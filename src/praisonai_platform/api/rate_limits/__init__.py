"""Rate limits: per client address and account on the sign-in paths, per token or API key (reads
and writes apart) on the rest of the API. See docs/security.md."""

from praisonai_platform.api.rate_limits.middleware import RateLimitMiddleware, RateLimits
from praisonai_platform.api.rate_limits.settings import (
    RateLimitSettings,
    load_rate_limit_settings,
)

__all__ = ["RateLimitMiddleware", "RateLimitSettings", "RateLimits", "load_rate_limit_settings"]
