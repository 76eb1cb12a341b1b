"""Python SDK of the platform's REST API: PlatformClient (sync) and AsyncPlatformClient (async).

    from praisonai_platform.client import PlatformClient

    client = PlatformClient(base_url="http://localhost:8000")
    client.login(email="me@example.com", password="...")
    workspace = client.workspaces.create(name="Research")
    issue = client.issues.create(workspace_id=workspace.id, title="Setup database")

Results are the server's response models (`issue.identifier`, `workspace.id`); lists return a
`Page` (a sequence with `total` and `next_cursor`) and `iter(...)` goes through every item.
Failures raise subclasses of `PlatformError`.
"""

from praisonai_platform.client.async_client import AsyncPlatformClient
from praisonai_platform.client.calls import UNSET
from praisonai_platform.client.errors import (
    AuthenticationError,
    Conflict,
    ConnectionFailed,
    NotFound,
    PermissionDenied,
    PlatformError,
    PreconditionFailed,
    RateLimited,
    RequestTimeout,
    ServerError,
    ValidationError,
    WaitTimeout,
)
from praisonai_platform.client.pages import Page
from praisonai_platform.client.sync_client import PlatformClient
from praisonai_platform.client.transport import RetryPolicy
from praisonai_platform.client.webhooks import WebhookVerificationError, verify_webhook

__all__ = [
    "UNSET",
    "AsyncPlatformClient",
    "AuthenticationError",
    "Conflict",
    "ConnectionFailed",
    "NotFound",
    "Page",
    "PermissionDenied",
    "PlatformClient",
    "PlatformError",
    "PreconditionFailed",
    "RateLimited",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "ValidationError",
    "WaitTimeout",
    "WebhookVerificationError",
    "verify_webhook",
]
