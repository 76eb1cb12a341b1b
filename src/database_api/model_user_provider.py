"""`UserProvider` links an OAuth provider's identity to a user (table `user_providers`)."""

from praisonai_platform.db.models import UserProvider

__all__ = ["UserProvider"]
