"""`UserApiKey`: a user's API key (table `user_api_keys`; only a hash of the key is stored)."""

from praisonai_platform.db.models import UserApiKey

__all__ = ["UserApiKey"]
