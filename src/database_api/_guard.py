"""What PlanExe's services did that the platform does not allow, refused with the safe call."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from praisonai_platform.db.compat import db
from praisonai_platform.db.models import CreditLedgerEntry, PaymentRecord, User


class UnsafeOperation(RuntimeError):
    """A write the platform refuses because it would race or rewrite history."""


def _refuse_unsafe_writes(session: Session, _context: Any, _instances: Any) -> None:
    for item in session.new:
        if isinstance(item, CreditLedgerEntry):
            raise UnsafeOperation(
                "credit_ledger rows are written with their balance change, atomically: "
                "call CreditHistory.adjust(user_id, delta, reason) instead of adding rows"
            )
        if isinstance(item, PaymentRecord):
            raise UnsafeOperation(
                "payments are recorded once per provider payment id by the payment webhooks "
                "(praisonai_platform.billing.payments.service.record); a check-then-insert "
                "could credit one payment twice"
            )
    for item in (*session.dirty, *session.deleted):
        if isinstance(item, CreditLedgerEntry):
            raise UnsafeOperation(
                "credit_ledger is append-only: post a correcting entry with "
                "CreditHistory.adjust(user_id, delta, reason)"
            )
        if isinstance(item, User) and inspect(item).attrs.credit_balance.history.has_changes():
            raise UnsafeOperation(
                "a balance moves only with its ledger entry: call "
                "CreditHistory.adjust(user_id, delta, reason) instead of setting credit_balance"
            )


event.listen(db.session_factory, "before_flush", _refuse_unsafe_writes)
