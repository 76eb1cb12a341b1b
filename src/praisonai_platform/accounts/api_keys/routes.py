"""API keys of the signed-in user."""

from __future__ import annotations

from fastapi import Response

from praisonai_platform.accounts.api_keys import service as api_keys
from praisonai_platform.accounts.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyResponse
from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.db.models import UserApiKey

router = APIRouter(prefix="/api-keys", tags=["api keys"])


def _response(key: UserApiKey) -> ApiKeyResponse:
    return ApiKeyResponse(
        id=key.id,
        label=key.label,
        prefix=key.key_prefix,
        scopes=list(key.scopes),
        workspace_id=key.workspace_id,
        agent_id=key.agent_id,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        active=api_keys.is_active(key),
    )


@router.post("", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(
    body: ApiKeyCreate, actor: CurrentActor, session: DbSession
) -> ApiKeyCreated:
    """Create a key (signed-in sessions only; a key cannot make keys). The secret is in this
    response only; store it now."""
    key, secret = await api_keys.create(session, actor, **body.model_dump())
    return ApiKeyCreated(**_response(key).model_dump(), key=secret)


@router.get("", response_model=list[ApiKeyResponse])
async def list_api_keys(
    actor: CurrentActor, session: DbSession, listing: ListPaging
) -> list[ApiKeyResponse]:
    """Your keys, newest first: prefix, label, scopes, dates and status; never the secret.
    Needs a session or a full key: read-only, workspace-limited and agents' keys get 403."""
    page = await api_keys.list_for(session, actor, listing.page)
    return [_response(key) for key in listing.items(page)]


@router.delete("/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, actor: CurrentActor, session: DbSession) -> Response:
    """Revoke a key; it stops working at once. Any key may revoke itself; revoking another
    needs a session or a full key (403 `restricted_key_not_allowed` otherwise)."""
    await api_keys.revoke(session, actor, key_id)
    return Response(status_code=204)
