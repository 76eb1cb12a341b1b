"""`NonceItem` is the platform's single-use key record (table `nonces`), in a scope of its own
(`planexe`) beside the API's Idempotency-Keys. PlanExe's `nonce_key` is `key` and its `context`
is `response`; `request_count` and `last_accessed_at` are the platform's own columns."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import synonym

from praisonai_platform.core.clock import utcnow
from praisonai_platform.db.compat import db
from praisonai_platform.db.models import Nonce

__all__ = ["NonceItem"]

SCOPE = "planexe"
KEEP_FOR = timedelta(days=30)


class NonceItem(Nonce):
    nonce_key = synonym("key")
    context = synonym("response")

    def __init__(self, **fields: Any) -> None:
        fields.setdefault("scope", SCOPE)
        fields.setdefault("expires_at", utcnow() + KEEP_FOR)
        super().__init__(**fields)

    @classmethod
    def get_or_create(
        cls, nonce_key: str, context: dict[str, Any] | None = None
    ) -> tuple[NonceItem, bool]:
        """Count one more request for `nonce_key`, creating it on the first: one atomic upsert,
        so concurrent first requests make one row and count every request. Commits."""
        now = utcnow()
        insert: Any = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert
        statement = insert(Nonce).values(
            scope=SCOPE,
            key=nonce_key,
            response=context,
            expires_at=now + KEEP_FOR,
            request_count=1,
            last_accessed_at=now,
            created_at=now,
        )
        changes: dict[str, Any] = {
            "request_count": Nonce.request_count + 1,
            "last_accessed_at": now,
        }
        if context:
            changes["response"] = statement.excluded.response
        statement = statement.on_conflict_do_update(
            index_elements=[Nonce.scope, Nonce.key], set_=changes
        ).returning(Nonce.id, Nonce.request_count)
        try:
            nonce_id, count = db.session.execute(statement).one()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        item = db.session.get(cls, nonce_id, populate_existing=True)
        assert item is not None
        return item, count == 1

    @classmethod
    def cleanup_old_nonces(cls, days_old: int = 30) -> int:
        """Delete this scope's nonces created more than `days_old` days ago; commits."""
        cutoff = utcnow() - timedelta(days=days_old)
        result = db.session.execute(
            delete(Nonce).where(Nonce.scope == SCOPE, Nonce.created_at < cutoff)
        )
        db.session.commit()
        return int(getattr(result, "rowcount", 0) or 0)
