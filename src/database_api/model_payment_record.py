"""`PaymentRecord`: a Stripe or Telegram payment, credited at most once (table
`payment_records`). New records come only from the payment webhooks, which insert once per
provider payment id; adding one through `db.session` is refused (see `UnsafeOperation`)."""

from database_api._guard import UnsafeOperation
from praisonai_platform.db.models import PaymentRecord

__all__ = ["PaymentRecord", "UnsafeOperation"]
