"""`UserAccount` is the platform's user (table `users`); credits live in `credit_balance`,
moved only through the ledger (see `model_credit_history.CreditHistory.adjust`)."""

from praisonai_platform.db.models import User as UserAccount

__all__ = ["UserAccount"]
